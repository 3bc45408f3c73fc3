import Backoff
import Foundation
import Logging
import PartylineCore
import PostgresNIO

/// One process's PostgreSQL state: a journal connection (reconnected after a server restart, with
/// idempotent retries) and a dedicated lock connection holding session advisory locks, one per
/// conversation. `PostgresJournal` and `PostgresLocker` are views of it.
///
/// Intents about a conversation this process has locked are written on the lock connection itself: a
/// write there succeeds only while the session holding the lock is alive, so a run that lost its locks
/// (server restart, `state unlock`) cannot record an intent, and never acts without one.
public actor PostgresStore {
  /// Where the state lives.
  public nonisolated let url: PostgresURL
  /// Who this process is, in words, noted with every lock it holds so that a waiting run can name it.
  public nonisolated let holder: String
  /// How long a journal write or read keeps retrying through a lost connection.
  public var retryBudget: Double
  let logger: Logger
  private var journalConnection: PostgresConnection?
  private var lockConnection: PostgresConnection?
  private var connectingLocks: Task<PostgresConnection, any Error>?
  private var held: [String: Int64] = [:]
  /// Conversations a task of this process is acquiring right now.
  private var acquiring: Set<String> = []
  private var nextID = 1
  /// The rows the last read of the journal skipped.
  private var unreadableRows: [UnreadableRecord] = []
  /// Each workspace's rows read so far (see `ReadCache`).
  private var readCache: [String: ReadCache] = [:]
  /// The leader epoch every journal row this process writes carries (a watcher's, once it campaigns:
  /// 0 before it first leads, so a standby's write is refused); nil for applies, which are not fenced.
  private(set) var fence: Int64?

  /// Fences this process's journal writes with `epoch` (see `fence`).
  func fence(_ epoch: Int64) { fence = epoch }

  init(url: PostgresURL, holder: String, retryBudget: Double) {
    self.url = url
    self.holder = holder
    self.retryBudget = retryBudget
    var logger = Logger(label: "partyline.state.postgres")
    logger.logLevel = .critical
    self.logger = logger
  }

  /// Connects and, when `migrate`, brings the schema up to date (plan passes false: it writes nothing).
  public static func open(
    _ url: PostgresURL, holder: String, migrate: Bool = true, retryBudget: Double = 30
  ) async throws -> PostgresStore {
    let store = PostgresStore(url: url, holder: holder, retryBudget: retryBudget)
    do {
      try await store.prepare(migrate: migrate)
    } catch {
      await store.close()
      throw error
    }
    return store
  }

  /// Whether the tables exist (after a read-only open they may not).
  public private(set) var schemaVersion = 0

  private func prepare(migrate: Bool) async throws {
    do {
      let c = try await journal()
      if migrate { try await PostgresSchema.migrate(c, logger: logger) }
      schemaVersion = try await PostgresSchema.version(c, logger: logger)
      if schemaVersion > PostgresSchema.latest { throw PostgresSchema.TooNew(found: schemaVersion) }
    } catch {
      throw describe(error)
    }
  }

  /// Closes both connections, which also releases every lock this process holds.
  public func close() async {
    for c in [journalConnection, lockConnection].compactMap({ $0 }) { try? await c.close() }
    journalConnection = nil
    lockConnection = nil
    held = [:]
  }

  // MARK: Connections

  func connect(_ role: String) async throws -> PostgresConnection {
    let tls: PostgresConnection.Configuration.TLS
    switch url.tls {
    case .disable: tls = .disable
    case .prefer, .require:
      var c = TLSConfiguration.makeClientConfiguration()
      c.certificateVerification = .none
      tls =
        url.tls == .prefer
        ? .prefer(try NIOSSLContext(configuration: c)) : .require(try NIOSSLContext(configuration: c))
    case .verifyFull:
      tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
    }
    var config = PostgresConnection.Configuration(
      host: url.host, port: url.port, username: url.user, password: url.password, database: url.database,
      tls: tls)
    config.options.connectTimeout = .seconds(10)
    var params = [("application_name", "partyline \(role) pid \(getpid())")]
    // The server probes an idle session after 10 s, every 5 s, 3 times: a runner that vanished without
    // closing its connection (a machine gone, a cut network) loses its session, and with it its
    // advisory locks, within about 25 s instead of the kernel's default of about 2 h.
    params += Self.keepalives
    if let searchPath = url.searchPath { params.append(("search_path", searchPath)) }
    config.options.additionalStartupParameters = params
    nextID += 1
    return try await PostgresConnection.connect(configuration: config, id: nextID, logger: logger)
  }

  /// The server-side TCP keepalive settings every session starts with.
  static let keepalives = [
    ("tcp_keepalives_idle", "10"), ("tcp_keepalives_interval", "5"), ("tcp_keepalives_count", "3"),
  ]

  func journal() async throws -> PostgresConnection {
    if let c = journalConnection, !c.isClosed { return c }
    let c = try await connect("journal")
    journalConnection = c
    return c
  }

  /// Runs `body` on the journal connection, reconnecting and retrying through connection failures for
  /// up to `retryBudget` seconds. `body` must be idempotent.
  func withRetry<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
    let url = self.url
    do {
      return try await Backoff.postgres.retrying(
        deadline: Date().timeIntervalSince1970 + retryBudget, now: { Date().timeIntervalSince1970 },
        retryable: { Self.fenced($0, url: url) == nil && Self.isConnectionFailure($0) },
        failed: { _, _ in
          if let c = journalConnection { try? await c.close() }
          journalConnection = nil
        }
      ) { _ in try await body(try await journal()) }
    } catch {
      if let fenced = Self.fenced(error, url: url) { throw fenced }
      throw describe(error)
    }
  }

  /// The database server's clock minus this machine's, in seconds: the best of three round trips (the one
  /// with the shortest round trip, its server time taken as of the trip's middle). Every runner that
  /// shares this database times its records and leases on the server's clock (DESIGN §5, clocks).
  public func clockOffset() async throws -> Double {
    try await clockOffset(local: { Date().timeIntervalSince1970 })
  }

  /// The server's clock minus `local` (a test's clock set hours off, say).
  public func clockOffset(local: @escaping @Sendable () -> Double) async throws -> Double {
    try await withRetry { c in
      var best: (trip: Double, offset: Double)?
      for _ in 0..<3 {
        let t0 = local()
        let rows = try await c.query(
          "SELECT extract(epoch FROM clock_timestamp())::float8", logger: self.logger)
        var server = Double.nan
        for try await s in rows.decode(Double.self) { server = s }
        let t1 = local()
        guard server.isFinite else { continue }
        if best == nil || t1 - t0 < best!.trip { best = (t1 - t0, server - (t0 + t1) / 2) }
      }
      return best?.offset ?? 0
    }
  }

  // MARK: Journal

  struct Row: Sendable {
    var rid: String
    var record: JournalRecord
  }

  /// One statement for all `rows`, each with `epoch` (nil: not fenced; see migration 3).
  static func insert(_ rows: [Row], epoch: Int64?, on c: PostgresConnection, logger: Logger) async throws {
    let q: PostgresQuery = """
      INSERT INTO partyline_journal (rid, workspace, run, id, kind, conversation, at, record, epoch)
      SELECT r::uuid, w, n, i, k, c, to_timestamp(t), j::jsonb, \(epoch)::int8
      FROM unnest(\(rows.map(\.rid)), \(rows.map(\.record.workspace)), \(rows.map(\.record.run)),
                  \(rows.map(\.record.id)), \(rows.map(\.record.kind.rawValue)),
                  \(rows.map(\.record.conversation)), \(rows.map(\.record.at)), \(rows.map(\.record.line)))
        AS u(r, w, n, i, k, c, t, j)
      ON CONFLICT (rid) DO NOTHING
      """
    try await c.query(q, logger: logger)
  }

  func append(_ records: [JournalRecord]) async throws {
    guard !records.isEmpty else { return }
    // Fixed row ids make a retry after a lost commit acknowledgement harmless.
    let rows = records.map { Row(rid: UUID().uuidString.lowercased(), record: $0) }
    let lockedHere = records.contains { held[$0.conversation] != nil }
    if lockedHere {
      if let c = lockConnection, !c.isClosed {
        do {
          try await Self.insert(rows, epoch: fence, on: c, logger: logger)
          return
        } catch {
          if let fenced = Self.fenced(error, url: url) { throw fenced }
          guard Self.isConnectionFailure(error) else { throw describe(error) }
        }
      }
      if let intent = records.first(where: { $0.kind == .intent }) {
        throw StateError(
          "lost the PostgreSQL session holding the lock on conversation \(intent.conversation); "
            + "not acting on it (re-run to converge)")
      }
      // An outcome is recorded whatever happened to the lock: it says what was done.
    }
    let fence = self.fence
    try await withRetry { c in try await Self.insert(rows, epoch: fence, on: c, logger: self.logger) }
  }

  func records(workspace: String?) async throws -> [JournalRecord] {
    guard schemaVersion > 0 else { return [] }
    guard let workspace else {
      let lines: [(Int64, String)] = try await withRetry { c in
        let rows = try await c.query(
          "SELECT seq, record::text FROM partyline_journal ORDER BY seq", logger: self.logger)
        var out: [(Int64, String)] = []
        for try await row in rows.decode((Int64, String).self) { out.append(row) }
        return out
      }
      var cache = ReadCache()
      cache.add(lines)
      unreadableRows = cache.unreadable
      return cache.records
    }
    // Incremental: only rows after the last one read, and those written in the last minute (a row whose
    // transaction took a lower seq but committed after a higher one was read is not missed).
    var cache = readCache[workspace] ?? ReadCache()
    let last = cache.last
    let lines: [(Int64, String)] = try await withRetry { c in
      let rows = try await c.query(
        """
        SELECT seq, record::text FROM partyline_journal WHERE workspace = \(workspace)
          AND (seq > \(last) OR written_at > now() - interval '60 seconds') ORDER BY seq
        """, logger: self.logger)
      var out: [(Int64, String)] = []
      for try await row in rows.decode((Int64, String).self) { out.append(row) }
      return out
    }
    cache.add(lines)
    readCache[workspace] = cache
    unreadableRows = cache.unreadable
    return cache.records
  }

  /// The records of `conversations` and, when `open`, of the conversations that may hold an open
  /// lease in `workspace` (see `Journal.slice`): their rows only, never the whole journal. A candidate
  /// found without an open lease leaves `partyline_open_leases`, up to the last mute seen there (a mute
  /// written meanwhile keeps it). Counts are of every row, as `recordCounts` counts.
  func slice(workspace: String, conversations: Set<String>, open: Bool) async throws -> JournalSlice {
    var zero = JournalSlice(conversations: conversations)
    for c in conversations { zero.counts[c] = 0 }
    guard schemaVersion > 0 else { return zero }
    guard schemaVersion >= 2 else {
      // A database not yet migrated (`plan` does not migrate): cut from the workspace's rows.
      let counts = try await recordCounts(conversation: nil)
      return JournalSlice(
        cutting: try await records(workspace: workspace), workspace: workspace, conversations: conversations,
        open: open, counts: counts)
    }
    var candidates: [String] = []
    if open {
      candidates = try await withRetry { c in
        let rows = try await c.query(
          "SELECT conversation FROM partyline_open_leases WHERE workspace = \(workspace) ORDER BY conversation",
          logger: self.logger)
        var out: [String] = []
        for try await (cid, ) in rows.decode((String,).self) { out.append(cid) }
        return out
      }
    }
    let ask = Array(conversations.union(candidates)).sorted()
    guard !ask.isEmpty else { return zero }
    let lines: [(Int64, String, String)] = try await withRetry { c in
      let rows = try await c.query(
        "SELECT seq, conversation, record::text FROM partyline_journal WHERE conversation = ANY(\(ask)) ORDER BY seq",
        logger: self.logger)
      var out: [(Int64, String, String)] = []
      for try await row in rows.decode((Int64, String, String).self) { out.append(row) }
      return out
    }
    var counts: [String: Int] = [:]
    var records: [String: [JournalRecord]] = [:]
    var ordered: [JournalRecord] = []  // the workspace's records, in the order written
    var lastMute: [String: Int64] = [:]
    var unreadable: [UnreadableRecord] = []
    for (seq, cid, line) in lines {
      counts[cid, default: 0] += 1
      switch JournalRecord.read(Substring(line)) {
      case .success(let r) where r.workspace == workspace && r.conversation == cid:
        records[cid, default: []].append(r)
        ordered.append(r)
        if r.kind == .intent && r.action.opensLease { lastMute[cid] = seq }
      case .success: continue
      case .failure(let reason):
        if unreadable.count < 1000 {
          unreadable.append(UnreadableRecord(file: "partyline_journal", line: Int(seq), reason: reason))
        }
      }
    }
    unreadableRows = unreadable
    var wanted = conversations
    var served: [(String, Int64)] = []
    for c in candidates where !wanted.contains(c) {
      if !JournalState.openConversations(records[c] ?? [], workspace: workspace).isEmpty {
        wanted.insert(c)
      } else if let seq = lastMute[c] {
        served.append((c, seq))
      }
    }
    if !served.isEmpty {
      _ = try await withRetry { c in
        try await c.query(
          """
          DELETE FROM partyline_open_leases AS o USING unnest(\(served.map(\.0)), \(served.map(\.1))) AS u(c, s)
          WHERE o.workspace = \(workspace) AND o.conversation = u.c AND o.mute_seq <= u.s
          """, logger: self.logger)
      }
    }
    var slice = JournalSlice(conversations: wanted)
    for c in wanted { slice.counts[c] = counts[c] ?? 0 }
    slice.records = ordered.filter { wanted.contains($0.conversation) }
    return slice
  }

  /// What has been read of one workspace's rows: `watch` reads the journal every two seconds, so each
  /// read fetches and parses only what is new.
  struct ReadCache {
    var last: Int64 = 0
    var records: [JournalRecord] = []
    var seen = Set<Int64>()
    var unreadable: [UnreadableRecord] = []

    mutating func add(_ lines: [(Int64, String)]) {
      records.reserveCapacity(records.count + lines.count)
      for (seq, line) in lines where seen.insert(seq).inserted {
        last = max(last, seq)
        switch JournalRecord.read(Substring(line)) {
        case .success(let r): records.append(r)
        case .failure(let reason):
          if unreadable.count < 1000 {
            unreadable.append(UnreadableRecord(file: "partyline_journal", line: Int(seq), reason: reason))
          }
        }
      }
    }
  }

  /// Drops the history of the conversations `JournalCompaction` names, in one statement (atomic), only
  /// rows up to the last one read: a row appended meanwhile is never lost. Unreadable rows are kept.
  func compact(cutoff: Double) async throws -> CompactionReport {
    guard schemaVersion > 0 else { return CompactionReport(dropped: 0, conversations: 0, kept: 0) }
    if schemaVersion >= 2 { return try await compactInPlace(cutoff: cutoff) }
    let rows: [(Int64, String)] = try await withRetry { c in
      let rows = try await c.query(
        "SELECT seq, record::text FROM partyline_journal ORDER BY seq", logger: self.logger)
      var out: [(Int64, String)] = []
      for try await row in rows.decode((Int64, String).self) { out.append(row) }
      return out
    }
    guard let last = rows.last?.0 else { return CompactionReport(dropped: 0, conversations: 0, kept: 0) }
    let records = rows.compactMap { try? JournalRecord.read(Substring($0.1)).get() }
    let drop = Array(JournalCompaction.droppable(records, cutoff: cutoff)).sorted()
    guard !drop.isEmpty else { return CompactionReport(dropped: 0, conversations: 0, kept: rows.count) }
    let dropped: Int = try await withRetry { c in
      // (The dropped conversations hold no open lease: they leave the candidates too, in the same
      // statement, up to the last row read.)
      let result =
        if self.schemaVersion >= 2 {
          try await c.query(
            "WITH d AS (DELETE FROM partyline_journal WHERE conversation = ANY(\(drop)) AND seq <= \(last) AND at < to_timestamp(\(cutoff)) RETURNING 1), o AS (DELETE FROM partyline_open_leases WHERE conversation = ANY(\(drop)) AND mute_seq <= \(last)) SELECT count(*) FROM d",
            logger: self.logger)
        } else {
          try await c.query(
            "WITH d AS (DELETE FROM partyline_journal WHERE conversation = ANY(\(drop)) AND seq <= \(last) AND at < to_timestamp(\(cutoff)) RETURNING 1) SELECT count(*) FROM d",
            logger: self.logger)
        }
      var n = 0
      for try await (count, ) in result.decode((Int64,).self) { n = Int(count) }
      return n
    }
    readCache = [:]
    return CompactionReport(dropped: dropped, conversations: drop.count, kept: rows.count - dropped)
  }

  /// Compaction in the database (schema 2): no row is fetched. The candidates of open leases are
  /// checked first (a slice of each workspace's open leases removes those that hold none); then one
  /// statement deletes the rows older than the cutoff of every conversation whose newest row is older
  /// and that is not a candidate (so never a conversation with an open lease, in any workspace).
  func compactInPlace(cutoff: Double) async throws -> CompactionReport {
    let workspaces: [String] = try await withRetry { c in
      var out: [String] = []
      for try await (w, ) in try await c.query(
        "SELECT DISTINCT workspace FROM partyline_open_leases ORDER BY 1", logger: self.logger
      ).decode((String,).self) {
        out.append(w)
      }
      return out
    }
    for w in workspaces { _ = try await slice(workspace: w, conversations: [], open: true) }
    let (dropped, conversations, kept): (Int, Int, Int) = try await withRetry { c in
      let rows = try await c.query(
        """
        WITH drop_conversations AS (
          SELECT conversation FROM partyline_journal GROUP BY conversation
            HAVING max(at) < to_timestamp(\(cutoff))
          EXCEPT SELECT conversation FROM partyline_open_leases
        ), d AS (
          DELETE FROM partyline_journal WHERE conversation IN (SELECT conversation FROM drop_conversations)
            AND at < to_timestamp(\(cutoff))
          RETURNING conversation
        )
        SELECT (SELECT count(*) FROM d), (SELECT count(DISTINCT conversation) FROM d),
          (SELECT count(*) FROM partyline_journal) - (SELECT count(*) FROM d)
        """, logger: self.logger)
      var out = (0, 0, 0)
      for try await (a, b, k) in rows.decode((Int64, Int64, Int64).self) { out = (Int(a), Int(b), Int(k)) }
      return out
    }
    readCache = [:]
    return CompactionReport(dropped: dropped, conversations: conversations, kept: kept)
  }

  /// The rows the last read skipped (see `Journal.unreadable()`).
  func unreadable() -> [UnreadableRecord] { unreadableRows }

  /// Records per conversation, every workspace (one conversation's, when given).
  func recordCounts(conversation: String?) async throws -> [String: Int] {
    guard schemaVersion > 0 else { return [:] }
    return try await withRetry { c in
      let rows =
        if let conversation {
          try await c.query(
            "SELECT conversation, count(*) FROM partyline_journal WHERE conversation = \(conversation) GROUP BY conversation",
            logger: self.logger)
        } else {
          try await c.query(
            "SELECT conversation, count(*) FROM partyline_journal GROUP BY conversation", logger: self.logger)
        }
      var out: [String: Int] = [:]
      for try await (cid, n) in rows.decode((String, Int64).self) { out[cid] = Int(n) }
      return out
    }
  }

  // MARK: Locks

  /// Takes `conversation`'s advisory lock, polling it for up to `timeout` of the monotonic clock (a
  /// wall-clock jump neither ends the wait early nor stretches it).
  func lock(_ conversation: String, timeout: Duration) async throws -> Int64 {
    let key = LockKey.conversation(conversation)
    let start = ContinuousClock.now
    while true {
      if held[conversation] == nil && !acquiring.contains(conversation) {
        // Claimed before the first suspension, so a second task of this process asking for the same
        // conversation waits (a session advisory lock would let the same session take it twice).
        acquiring.insert(conversation)
        defer { acquiring.remove(conversation) }
        var got = false
        do {
          let c = try await lockSession()
          for try await ok in try await c.query("SELECT pg_try_advisory_lock(\(key))", logger: logger).decode(
            Bool.self)
          {
            got = ok
          }
          if got {
            held[conversation] = key
            try await c.query(
              """
              INSERT INTO partyline_lock_holders (lock_key, conversation, holder, backend_pid, since)
              VALUES (\(key), \(conversation), \(holder), pg_backend_pid(), now())
              ON CONFLICT (lock_key) DO UPDATE SET conversation = excluded.conversation,
                holder = excluded.holder, backend_pid = excluded.backend_pid, since = excluded.since
              """, logger: logger)
            return key
          }
        } catch {
          if got { await release(conversation, key: key) }
          throw describe(error)
        }
      }
      let waited = start.duration(to: .now)
      if waited >= timeout {
        // Held by this very process (another task of it): it is us; else ask the server.
        let who = held[conversation] != nil ? holder : ((try? await holders(key).first?.holder) ?? nil)
        throw LockTimeout(
          conversation: conversation, holder: who ?? "another run", waited: waited)
      }
      try await Task.sleep(nanoseconds: 100_000_000)
    }
  }

  /// The lock connection; a new one only when no lock is held (locks do not survive their session).
  private func lockSession() async throws -> PostgresConnection {
    if let c = lockConnection, !c.isClosed { return c }
    if let lost = held.keys.sorted().first {
      throw StateError(
        "lost the PostgreSQL session holding the lock on conversation \(lost); not acting on it (re-run to converge)"
      )
    }
    // Conversations are locked in parallel: the first caller connects, the others wait for the same
    // connection (two would leave one unclosed).
    if let pending = connectingLocks { return try await pending.value }
    let pending = Task { try await connect("locks") }
    connectingLocks = pending
    defer { connectingLocks = nil }
    do {
      let c = try await pending.value
      lockConnection = c
      return c
    } catch {
      throw describe(error)
    }
  }

  func release(_ conversation: String, key: Int64) async {
    guard held[conversation] == key else { return }
    held[conversation] = nil
    guard let c = lockConnection, !c.isClosed else { return }
    _ = try? await c.query(
      """
      WITH d AS (DELETE FROM partyline_lock_holders WHERE lock_key = \(key) AND backend_pid = pg_backend_pid()
        RETURNING 1)
      SELECT pg_advisory_unlock(\(key))
      """, logger: logger)
  }

  /// The sessions holding a lock key now, with the holder each recorded (or its application name).
  public struct LockHolder: Sendable {
    /// The holding session's server process id.
    public var backendPid: Int32
    /// Who holds the lock: the holder noted by a Partyline run, or else the session's application name.
    public var holder: String
    /// Whether the holder text came from `partyline_lock_holders` (else from `application_name`).
    public var recorded: Bool
  }

  func holders(_ key: Int64) async throws -> [LockHolder] {
    let (hi, lo) = LockKey.parts(key)
    return try await withRetry { c in
      var out: [LockHolder] = []
      let rows = try await c.query(
        """
        SELECT l.pid, h.holder, a.application_name
        FROM pg_locks l
        LEFT JOIN partyline_lock_holders h ON h.lock_key = \(key) AND h.backend_pid = l.pid
        LEFT JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
          AND l.classid::int8 = \(hi) AND l.objid::int8 = \(lo)
          AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        """, logger: self.logger)
      for try await (pid, h, app) in rows.decode((Int32, String?, String?).self) {
        out.append(
          LockHolder(
            backendPid: pid,
            holder: h ?? app.map { "\($0) (PostgreSQL backend pid \(pid))" }
              ?? "PostgreSQL backend pid \(pid)",
            recorded: h != nil))
      }
      return out
    }
  }

  /// What `state unlock` did.
  public struct UnlockReport: Sendable {
    /// The sessions that were ended.
    public var terminated: [LockHolder]
    /// Holder notes removed (stale ones left by a process that died, or the terminated holder's).
    public var clearedNotes: [String]
  }

  /// Ends the sessions holding the conversation's lock (which releases it) and clears holder notes.
  public func unlock(_ conversation: String) async throws -> UnlockReport {
    guard schemaVersion > 0 else { return UnlockReport(terminated: [], clearedNotes: []) }
    let key = LockKey.conversation(conversation)
    let live = try await holders(key)
    var terminated: [LockHolder] = []
    for h in live {
      let ok: Bool = try await withRetry { c in
        var ok = false
        for try await b in try await c.query(
          "SELECT pg_terminate_backend(\(h.backendPid))", logger: self.logger
        )
        .decode(Bool.self) {
          ok = b
        }
        return ok
      }
      if ok { terminated.append(h) }
    }
    let notes: [String] = try await withRetry { c in
      var out: [String] = []
      for try await n in try await c.query(
        "DELETE FROM partyline_lock_holders WHERE lock_key = \(key) RETURNING holder", logger: self.logger
      ).decode(String.self) {
        out.append(n)
      }
      return out
    }
    return UnlockReport(terminated: terminated, clearedNotes: notes)
  }

  /// Every lock held now by a Partyline run, from the holder notes that still have a live session.
  public func currentLocks() async throws -> [(conversation: String, holder: String)] {
    guard schemaVersion > 0 else { return [] }
    return try await withRetry { c in
      var out: [(String, String)] = []
      let rows = try await c.query(
        """
        SELECT h.conversation, h.holder FROM partyline_lock_holders h
        WHERE EXISTS (SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted
          AND l.pid = h.backend_pid AND l.objsubid = 1
          AND l.classid::int8 = ((h.lock_key >> 32) & 4294967295) AND l.objid::int8 = (h.lock_key & 4294967295))
        ORDER BY h.conversation
        """, logger: self.logger)
      for try await row in rows.decode((String, String).self) { out.append(row) }
      return out
    }
  }

  // MARK: Errors

  /// The fence's refusal of a write (see `PostgresSchema` version 3), as the core's `Fenced`.
  static func fenced(_ error: any Error, url: PostgresURL) -> Fenced? {
    guard let e = error as? PSQLError, e.serverInfo?[.sqlState] == PostgresSchema.fencedState else {
      return nil
    }
    return Fenced(url.redact("PostgreSQL at \(url): \(e.serverInfo?[.message] ?? "fenced")"))
  }

  /// Whether an error means the connection is gone (worth reconnecting), not that a statement failed.
  static func isConnectionFailure(_ error: any Error) -> Bool {
    if let e = error as? PSQLError {
      switch e.code {
      case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown:
        return true
      case .server:
        let state = e.serverInfo?[.sqlState] ?? ""
        return state.hasPrefix("08") || state.hasPrefix("57P")
      default:
        return false
      }
    }
    if let e = error as? PostgresTransactionError {
      return [e.beginError, e.closureError, e.commitError].contains { $0.map(isConnectionFailure) ?? false }
    }
    return error is ChannelError || error is IOError || error is NIOConnectionError
      || "\(type(of: error))".contains("Connect")
  }

  /// The innermost reason of a connection failure ("Connection refused").
  static func reason(_ error: any Error) -> String {
    if let e = error as? NIOConnectionError, let first = e.connectionErrors.first {
      return reason(first.error)
    }
    if let e = error as? IOError { return String(cString: strerror(e.errnoCode)) }
    return "\(error)"
  }

  /// A readable, password-free message for any error from the driver.
  func describe(_ error: any Error) -> StateError {
    if let e = error as? StateError { return e }
    if let e = error as? Fenced { return StateError(e.description) }
    let text: String
    if let e = error as? PSQLError {
      if let message = e.serverInfo?[.message] {
        let state = e.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
        text = "PostgreSQL at \(url): \(message)\(state)"
      } else if Self.isConnectionFailure(e) {
        let why = e.underlying.map(Self.reason) ?? "\(e.code)"
        text = "cannot reach PostgreSQL at \(url): \(why)"
      } else {
        text = "PostgreSQL at \(url): \(e.code)"
      }
    } else if let e = error as? PostgresTransactionError {
      return describe(e.closureError ?? e.commitError ?? e.beginError ?? e.rollbackError ?? error)
    } else if let e = error as? PostgresSchema.TooNew {
      text = "\(e)"
    } else if Self.isConnectionFailure(error) {
      text = "cannot reach PostgreSQL at \(url): \(Self.reason(error))"
    } else {
      text = "PostgreSQL at \(url): \(error)"
    }
    return StateError(url.redact(text))
  }
}
