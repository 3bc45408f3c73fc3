public import PartylineCore

/// PostgreSQL as a `StateStore`: the journal table, advisory locks, the server's clock and the
/// watchers' leader lease.
public struct PostgresStateStore: StateStore {
  public var label: String { url.description }
  public let clockOffset: Double
  public let journal: (any Journal)?
  public let locker: (any ConversationLocker)?
  public let leader: (any LeaderLease)?
  public var exists: Bool { true }
  let store: PostgresStore
  let url: PostgresURL
  let leaderLease: PostgresLeaderLease?

  /// Opens the database at `url` (`access` says whether its schema is created or migrated, and
  /// whether locks and the leader lease of `workspace` are wanted) and reads its clock; `say` is told
  /// when it differs from this machine's by more than 5 s.
  public static func open(
    _ url: PostgresURL, access: StateAccess, workspace: String, holder: String,
    say: @Sendable (String) -> Void
  ) async throws -> PostgresStateStore {
    let migrate: Bool
    switch access {
    case .write(let m): migrate = m
    case .read: migrate = false
    }
    let store = try await PostgresStore.open(url, holder: holder, migrate: migrate)
    let offset: Double
    do {
      offset = try await store.clockOffset()
    } catch {
      await store.close()
      throw error
    }
    if abs(offset) > 5 {
      say(
        "this machine's clock is \(PolicyDuration(seconds: Int(abs(offset).rounded()))) \(offset > 0 ? "behind" : "ahead of") PostgreSQL's; times are the database's"
      )
    }
    switch access {
    case .write:
      let lease = PostgresLeaderLease(store: store, workspace: workspace, holder: holder)
      return PostgresStateStore(
        clockOffset: offset, journal: PostgresJournal(store: store),
        locker: PostgresLocker(store: store), leader: lease, store: store, url: url,
        leaderLease: lease)
    case .read:
      return PostgresStateStore(
        clockOffset: offset, journal: PostgresJournal(store: store), locker: nil, leader: nil, store: store,
        url: url, leaderLease: nil)
    }
  }

  public func listing() async throws -> StateListing {
    StateListing(
      records: try await store.records(workspace: nil), locks: try await store.currentLocks(),
      leaders: try await store.leaders())
  }

  /// Ends the sessions holding the conversation's lock (which releases it) and clears holder notes.
  public func unlock(_ conversation: String) async throws -> UnlockOutcome {
    let report = try await store.unlock(conversation)
    return UnlockOutcome(
      ended: report.terminated.map { "PostgreSQL session \($0.backendPid) held by \($0.holder)" },
      clearedNotes: report.clearedNotes)
  }

  public func close() async {
    await leaderLease?.close()
    await store.close()
  }
}
