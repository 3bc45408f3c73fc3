import Foundation
import Logging
public import PartylineCore
import PostgresNIO
import WireTime

/// The lead of a workspace's watchers in PostgreSQL (DESIGN §4): a row of `partyline_leaders` per
/// workspace with a lease timed by the server's `now()` — never a session advisory lock, which breaks
/// behind transaction-mode poolers and outlives a half-open connection for hours. Taking the lead gives
/// a new epoch, which the store then writes with every journal row (the fence refuses any other).
///
/// The lease keeps a connection of its own. A call that does not answer is not waited for (the
/// campaign gives up on it); the next call abandons that connection and opens another, so one hung
/// session never holds up a renewal.
public actor PostgresLeaderLease: LeaderLease {
  /// The state whose journal writes the lead fences.
  public nonisolated let store: PostgresStore
  /// The workspace led.
  public nonisolated let workspace: String
  /// Who this process is, in words (shown to standbys and in `state show`).
  public nonisolated let holder: String
  /// This process, among all that campaign: the lead is this process's own again only with it.
  public nonisolated let instance: String
  /// The NOTIFY channel of resignations (the payload is the workspace).
  public static let channel = "partyline_leaders"

  private var connection: PostgresConnection?
  private var inFlight = 0

  /// A lease on `workspace` for this process, known to others as `holder`.
  public init(store: PostgresStore, workspace: String, holder: String) {
    self.store = store
    self.workspace = workspace
    self.holder = holder
    self.instance = UUID().uuidString.lowercased()
  }

  /// The lease's connection; a new one when a call on the old one is still waiting (it hung).
  private func session() async throws -> PostgresConnection {
    if let c = connection, !c.isClosed, inFlight == 0 { return c }
    if let stale = connection {
      connection = nil
      Task { try? await stale.close() }
    }
    let c = try await store.connect("leader")
    connection = c
    return c
  }

  private func query<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
    let c = try await session()
    inFlight += 1
    defer { inFlight -= 1 }
    do {
      return try await body(c)
    } catch {
      if PostgresStore.isConnectionFailure(error), connection === c {
        connection = nil
        try? await c.close()
      }
      throw await store.describe(error)
    }
  }

  public func acquire(lifetime: Duration) async throws -> LeaderClaim {
    let (workspace, holder, instance, logger) = (self.workspace, self.holder, self.instance, store.logger)
    let lifetime = lifetime.inSeconds
    let claim: LeaderClaim = try await query { c in
      // Free, lapsed, or this process's own: taken, under a new epoch. (`prev` is the row as it was.)
      var won: Int64?
      var previous: String?
      for try await (e, p, i) in try await c.query(
        """
        WITH prev AS (SELECT holder, instance FROM partyline_leaders WHERE workspace = \(workspace)),
        up AS (
          INSERT INTO partyline_leaders AS l (workspace, holder, instance, epoch, expires_at)
            VALUES (\(workspace), \(holder), \(instance), 1, now() + make_interval(secs => \(lifetime)))
          ON CONFLICT (workspace) DO UPDATE SET holder = excluded.holder, instance = excluded.instance,
            epoch = l.epoch + 1, since = now(), renewed_at = now(), expires_at = excluded.expires_at
            WHERE l.expires_at <= now() OR l.instance = excluded.instance
          RETURNING epoch
        )
        SELECT up.epoch, prev.holder, prev.instance FROM up LEFT JOIN prev ON true
        """, logger: logger
      ).decode((Int64, String?, String?).self) {
        won = e
        if i != instance { previous = p }
      }
      // A leader taken over may be cut off with its sessions still open (a partition: nothing closes
      // them, and server keepalives may be answered by a proxy): its conversation locks would hold up
      // the reverts now due. It is fenced — no journal write of its epoch is accepted — so its lock
      // sessions are ended, as `state unlock` ends them.
      if won != nil, let previous {
        try await c.query(
          """
          WITH gone AS (
            DELETE FROM partyline_lock_holders h WHERE h.holder = \(previous)
            RETURNING h.backend_pid, h.lock_key
          )
          SELECT count(pg_terminate_backend(g.backend_pid)) FROM gone g
          WHERE EXISTS (SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted
            AND l.pid = g.backend_pid AND l.objsubid = 1
            AND l.classid::int8 = ((g.lock_key >> 32) & 4294967295) AND l.objid::int8 = (g.lock_key & 4294967295))
          """, logger: logger)
      }
      if let won { return .won(epoch: won) }
      var held = LeaderClaim.held(by: "another watcher", epoch: 0)
      for try await (h, e) in try await c.query(
        "SELECT holder, epoch FROM partyline_leaders WHERE workspace = \(workspace)", logger: logger
      ).decode((String, Int64).self) {
        held = .held(by: h, epoch: e)
      }
      return held
    }
    if case .won(let epoch) = claim { await store.fence(epoch) }
    return claim
  }

  public func renew(_ epoch: Int64, lifetime: Duration) async throws -> Bool {
    let (workspace, instance, logger) = (self.workspace, self.instance, store.logger)
    let lifetime = lifetime.inSeconds
    return try await query { c in
      var renewed = false
      for try await _ in try await c.query(
        """
        UPDATE partyline_leaders SET expires_at = now() + make_interval(secs => \(lifetime)), renewed_at = now()
        WHERE workspace = \(workspace) AND epoch = \(epoch) AND instance = \(instance) AND expires_at > now()
        RETURNING epoch
        """, logger: logger
      ).decode(Int64.self) {
        renewed = true
      }
      return renewed
    }
  }

  public func resign(_ epoch: Int64) async {
    let (workspace, instance, logger) = (self.workspace, self.instance, store.logger)
    _ = try? await query { c in
      try await c.query(
        """
        WITH r AS (
          UPDATE partyline_leaders SET expires_at = now()
          WHERE workspace = \(workspace) AND epoch = \(epoch) AND instance = \(instance) RETURNING workspace
        )
        SELECT pg_notify(\(Self.channel), workspace) FROM r
        """, logger: logger)
    }
    await close()
  }

  /// LISTEN on a connection of its own, reconnecting after a failure, until the task is cancelled.
  public nonisolated func watchChanges(_ changed: @escaping @Sendable () -> Void) async {
    let (workspace, logger) = (self.workspace, store.logger)
    while !Task.isCancelled {
      do {
        let c = try await store.connect("standby")
        defer { Task { try? await c.close() } }
        try await withTaskCancellationHandler {
          try await c.listen(on: Self.channel) { notifications in
            for try await n in notifications where n.payload == workspace { changed() }
          }
        } onCancel: {
          Task { try? await c.close() }
        }
      } catch {
        logger.debug("listening for resignations: \(error)")
      }
      try? await Task.sleep(nanoseconds: 2_000_000_000)
    }
  }

  /// Closes the lease's connection.
  public func close() async {
    if let c = connection { try? await c.close() }
    connection = nil
  }

}

extension PostgresStore {
  /// Every workspace's leader row (for `state show`): holder, epoch, and whether its lease runs now.
  public func leaders() async throws -> [(workspace: String, holder: String, epoch: Int64, running: Bool)] {
    guard schemaVersion >= 3 else { return [] }
    return try await withRetry { c in
      var out: [(String, String, Int64, Bool)] = []
      for try await row in try await c.query(
        "SELECT workspace, holder, epoch, expires_at > now() FROM partyline_leaders ORDER BY workspace",
        logger: self.logger
      ).decode((String, String, Int64, Bool).self) {
        out.append(row)
      }
      return out
    }
  }
}
