public import PartylineCore

/// The journal as rows of `partyline_journal`: one row per record, the record as JSONB plus indexed
/// columns. An append is one INSERT, committed (durable) before it returns; a row is whole or absent, so
/// there is no torn record to repair.
public struct PostgresJournal: Journal {
  /// The store whose journal connection holds the rows.
  public let store: PostgresStore

  /// The journal of `store`.
  public init(store: PostgresStore) { self.store = store }

  /// Inserts the records in one statement, committed before it returns (on the lock connection when this
  /// process holds the lock of a record's conversation).
  public func append(_ records: [JournalRecord]) async throws { try await store.append(records) }

  /// The records of `workspace`, in the order written.
  public func records(workspace: String) async throws -> [JournalRecord] {
    try await store.records(workspace: workspace)
  }

  /// Every record of every workspace, in the order written.
  public func allRecords() async throws -> [JournalRecord] { try await store.records(workspace: nil) }

  /// How many records each conversation has, in every workspace.
  public func recordCounts() async throws -> [String: Int] { try await store.recordCounts(conversation: nil) }

  /// How many records `conversation` has, in every workspace (0 when it has none).
  public func recordCount(conversation: String) async throws -> Int {
    try await store.recordCounts(conversation: conversation)[conversation] ?? 0
  }
}

/// Per-conversation session advisory locks (`pg_try_advisory_lock` on a 64-bit hash of the
/// conversation id), polled until the timeout, held on the store's dedicated lock connection and
/// released when the run is done with the conversation, or by the server when the process dies. The
/// holder is noted in `partyline_lock_holders`, so a waiting run names it.
public struct PostgresLocker: ConversationLocker {
  /// The store whose lock connection holds the locks.
  public let store: PostgresStore
  /// How long `lock` waits for a conversation another run holds, in seconds.
  public let timeout: Double

  /// A locker on `store` that gives up after `timeout` seconds.
  public init(store: PostgresStore, timeout: Double) {
    self.store = store
    self.timeout = timeout
  }

  final class Held: ConversationLock {
    let store: PostgresStore
    let conversation: String
    let key: Int64
    init(store: PostgresStore, conversation: String, key: Int64) {
      self.store = store
      self.conversation = conversation
      self.key = key
    }
    func release() async { await store.release(conversation, key: key) }
  }

  /// Locks `conversation`, polling until the timeout, and throws `LockTimeout` (naming the holder) when it
  /// cannot; the lock is held until it is released.
  public func lock(_ conversation: String) async throws -> any ConversationLock {
    let key = try await store.lock(conversation, timeout: timeout)
    return Held(store: store, conversation: conversation, key: key)
  }
}
