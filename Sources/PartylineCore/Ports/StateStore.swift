/// A state backend — a local directory or PostgreSQL — as every command sees it once opened: the
/// journal, the conversation locks, the watchers' leadership, what `state show` lists and what
/// `state unlock` breaks. Implemented by `LocalStateStore` (PartylineLocal) and `PostgresStateStore`
/// (PartylineStatePostgres); the executable chooses one by the location's form and nothing else.
public protocol StateStore: Sendable {
  /// For messages: the directory, or the PostgreSQL URL without its password.
  var label: String { get }
  /// The state's clock minus this machine's, in seconds: PostgreSQL's server clock is every runner's
  /// (DESIGN §5, clocks); a local directory has this machine's (0).
  var clockOffset: Double { get }
  /// The journal; nil when the store was opened to read and nothing was ever journalled there.
  var journal: (any Journal)? { get }
  /// The conversation locks; nil when the store was opened to read.
  var locker: (any ConversationLocker)? { get }
  /// The lead of a workspace's watchers (PostgreSQL); nil where one watcher per directory is the rule.
  var leader: (any LeaderLease)? { get }
  /// Whether anything is there (a directory that exists, a database that answers).
  var exists: Bool { get }
  /// Everything `state show` lists: every record, the locks held now, the watchers' leaders.
  func listing() async throws -> StateListing
  /// Breaks a conversation's lock where the backend can (`state unlock`).
  func unlock(_ conversation: String) async throws -> UnlockOutcome
  /// Closes connections and files.
  func close() async
}

/// How a store is opened.
public enum StateAccess: Sendable {
  /// To journal and lock: a PostgreSQL schema is created or migrated when `migrate`.
  case write(migrate: Bool)
  /// To read (plan, state show, compact, unlock): nothing is created or migrated.
  case read
}

/// What `state show` lists.
public struct StateListing: Sendable {
  /// Every journal record.
  public var records: [JournalRecord]
  /// The conversation locks held now, with who holds them.
  public var locks: [(conversation: String, holder: String)]
  /// Each workspace's watcher lead.
  public var leaders: [(workspace: String, holder: String, epoch: Int64, running: Bool)]

  /// A listing.
  public init(
    records: [JournalRecord], locks: [(conversation: String, holder: String)] = [],
    leaders: [(workspace: String, holder: String, epoch: Int64, running: Bool)] = []
  ) {
    self.records = records
    self.locks = locks
    self.leaders = leaders
  }
}

/// What `state unlock` did.
public struct UnlockOutcome: Sendable, Equatable {
  /// The holders whose hold was ended (PostgreSQL: their sessions, described).
  public var ended: [String]
  /// Holder notes removed (stale ones left by a process that died, or an ended holder's).
  public var clearedNotes: [String]
  /// A live holder that cannot be broken from outside (a local lock file's `flock`); nil: none.
  public var heldBy: String?

  /// An outcome.
  public init(ended: [String] = [], clearedNotes: [String] = [], heldBy: String? = nil) {
    self.ended = ended
    self.clearedNotes = clearedNotes
    self.heldBy = heldBy
  }
}
