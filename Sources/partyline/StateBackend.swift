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
  static func open(_ options: RunOptions, migrate: Bool = true, say: Say = stderr)
    async throws -> OpenedState
  {
    let location = location(options.state, sandbox: options.sandbox)
    var state = try await open(
      location, workspace: options.workspace, migrate: migrate, say: say)
    if !options.sandbox, state.store is LocalStateStore, ProcessInfo.processInfo.environment["CI"] == "true" {
      // DESIGN §5: a CI runner's directory vanishes with it, and with it the leases nobody else can see.
      say(
        "warning",
        "the state is a local directory on a CI runner (CI=true): it vanishes with the runner, and no other run will revert the mutes it journals; use --state postgres://… (or PARTYLINE_STATE)"
      )
    }
    if let sink = Connection.heartbeat {
      state.locker = ReportingLocker(inner: state.locker, sink: sink)
    }
    return state
  }

  /// Opens for writing: PostgreSQL's schema is created or migrated here.
  static func open(
    _ where: String, workspace: String, migrate: Bool = true, say: Say = stderr
  ) async throws -> OpenedState {
    let store = try await self.store(
      `where`, access: .write(migrate: migrate), workspace: workspace,
      holder: holder(workspace: workspace), say: say)
    guard let journal = store.journal, let locker = store.locker else {
      await store.close()
      throw StateError("the state at '\(store.label)' cannot be written")
    }
    return OpenedState(store: store, journal: journal, locker: locker)
  }

  /// The one place the backend is chosen: `postgres://…` is PostgreSQL, any other URL is refused
  /// (rather than taken for a directory whose name could hold a password, and would be printed; only
  /// the scheme is quoted), anything else is a local directory.
  static func store(
    _ where: String, access: StateAccess, workspace: String, holder: String, say: Say = stderr
  ) async throws -> any StateStore {
    if PostgresURL.isPostgres(`where`) {
      return try await PostgresStateStore.open(
        try PostgresURL(`where`), access: access, workspace: workspace, holder: holder
      ) { say("note", $0) }
    }
    if let r = `where`.range(of: "://") {
      throw StateError(
        "unsupported state URL scheme '\(`where`[..<r.lowerBound])': use a directory or postgres://user:password@host:port/database"
      )
    }
    return try LocalStateStore(directory: `where`, access: access, holder: holder)
  }

  /// For commands that write no state (plan, state show, compact, unlock): `body` gets the store
  /// opened to read, which is closed after. (A local journal may refresh its index beside it: a cache
  /// of the journal, never state of its own.)
  static func reading<T>(
    _ where: String, holder: String, _ body: (any StateStore) async throws -> T
  ) async throws -> T {
    let store = try await self.store(`where`, access: .read, workspace: "", holder: holder)
    do {
      let result = try await body(store)
      await store.close()
      return result
    } catch {
      await store.close()
      throw error
    }
  }
}
