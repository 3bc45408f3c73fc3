import Foundation
import GenesysCloud
import PartylineCore
import PartylineGenesys
import PartylineLocal
import PartylineViews
import PartylineStatePostgres
import WireTime

/// The state backend chosen by `--state` or `PARTYLINE_STATE`: a local directory (default
/// `.partyline`; the sandbox keeps its own) or `postgres://…`.
enum StateBackend {
  static func location(_ state: String?, sandbox: Bool = false) -> String {
    if sandbox { return Sandbox.directory }
    return state ?? ProcessInfo.processInfo.environment["PARTYLINE_STATE"] ?? ".partyline"
  }

  /// Who holds a lock, as a waiting run prints it.
  static func holder(workspace: String) -> String {
    "partyline pid \(getpid()) on \(ProcessInfo.processInfo.hostName), workspace \(workspace), since \(Timestamp.iso8601(Date().timeIntervalSince1970))"
  }

  /// What opening the state has to say besides errors: a level (`warning`, `note`) and the text.
  typealias Say = @Sendable (_ level: String, _ text: String) -> Void
  static let stderr: Say = { level, text in Terminal.stderr.write("\(level): \(text)\n") }

  /// `migrate: false` (dry runs) leaves a PostgreSQL schema as it is: a dry run writes nothing.
  static func open(_ options: RunOptions, lockTimeout: Double, migrate: Bool = true, say: Say = stderr)
    async throws -> OpenedState
  {
    let location = location(options.state, sandbox: options.sandbox)
    var state = try await open(
      location, workspace: options.workspace, lockTimeout: lockTimeout, migrate: migrate, say: say)
    if !options.sandbox, !PostgresURL.isPostgres(location),
      ProcessInfo.processInfo.environment["CI"] == "true"
    {
      // DESIGN §5: a CI runner's directory vanishes with it, and with it the leases nobody else can see.
      say(
        "warning",
        "the state is a local directory on a CI runner (CI=true): it vanishes with the runner, and no other run will revert the mutes it journals; use --state postgres://… (or PARTYLINE_STATE)"
      )
    }
    if let sink = Connection.heartbeat {
      state.locker = ReportingLocker(inner: state.locker, timeout: lockTimeout, sink: sink)
    }
    return state
  }

  /// Opens for writing: PostgreSQL's schema is created or migrated here.
  static func open(
    _ where: String, workspace: String, lockTimeout: Double, migrate: Bool = true, say: Say = stderr
  ) async throws -> OpenedState {
    let holder = holder(workspace: workspace)
    if PostgresURL.isPostgres(`where`) {
      let url = try PostgresURL(`where`)
      let store = try await PostgresStore.open(url, holder: holder, migrate: migrate)
      let journal = PostgresJournal(store: store)
      let offset: Double
      do {
        offset = try await serverClock(store, say: say)
      } catch {
        await store.close()
        throw error
      }
      let leader = PostgresLeaderLease(store: store, workspace: workspace, holder: holder)
      return OpenedState(
        journal: journal, locker: PostgresLocker(store: store, timeout: lockTimeout), label: url.description,
        allRecords: { try await journal.allRecords() },
        close: {
          await leader.close()
          await store.close()
        }, clockOffset: offset, leader: leader)
    }
    try refuseOtherURLs(`where`)
    let journal = try LocalJournal(directory: `where`)
    let locker = try LocalLocker(directory: `where`, timeout: lockTimeout, holder: holder)
    return OpenedState(
      journal: journal, locker: locker, label: `where`, allRecords: { try journal.allRecords() }, close: {},
      directory: `where`)
  }

  /// A URL that is not PostgreSQL's is refused rather than taken for a directory (whose name could
  /// hold a password, and would be printed); only the scheme is quoted.
  static func refuseOtherURLs(_ where: String) throws {
    if let r = `where`.range(of: "://") {
      throw StateError(
        "unsupported state URL scheme '\(`where`[..<r.lowerBound])': use a directory or postgres://user:password@host:port/database"
      )
    }
  }

  /// PostgreSQL's clock minus this machine's, said on stderr when it is more than 5 s.
  static func serverClock(_ store: PostgresStore, say: Say = stderr) async throws -> Double {
    let offset = try await store.clockOffset()
    if abs(offset) > 5 {
      say(
        "note",
        "this machine's clock is \(PolicyDuration(seconds: Int(abs(offset).rounded()))) \(offset > 0 ? "behind" : "ahead of") PostgreSQL's; times are the database's"
      )
    }
    return offset
  }

  /// For `plan`, which writes no state: `body` plans with the journal (nil when there is no state
  /// yet) and the state's clock offset (see `OpenedState.clockOffset`). (A local journal may refresh
  /// its index beside it: a cache of the journal, never state of its own.)
  static func readingJournal<T>(
    _ where: String, _ body: ((any Journal)?, Double) async throws -> T
  ) async throws -> T {
    if PostgresURL.isPostgres(`where`) {
      let store = try await PostgresStore.open(try PostgresURL(`where`), holder: "plan", migrate: false)
      do {
        let offset = try await serverClock(store)
        let result = try await body(PostgresJournal(store: store), offset)
        await store.close()
        return result
      } catch {
        await store.close()
        throw error
      }
    }
    try refuseOtherURLs(`where`)
    guard FileManager.default.fileExists(atPath: `where` + "/journal.jsonl") else {
      return try await body(nil, 0)
    }
    return try await body(try LocalJournal(directory: `where`), 0)
  }
}
