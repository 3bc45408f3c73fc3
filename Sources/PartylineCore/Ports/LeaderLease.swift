/// Who leads a workspace's watchers (DESIGN §4, watchers that survive their machine): the port a state
/// backend implements. The lease lives in the shared state, timed by its clock (PostgreSQL's `now()`);
/// each holder of it has an epoch, greater than every earlier one, and the state refuses a journal write
/// of any epoch but the current one while its lease runs (fencing).
public protocol LeaderLease: Sendable {
  /// Takes the lead when nobody holds it, its lease lapsed, or it was this process's own: a new epoch;
  /// else who leads. The lease then runs for `lifetime` of the state's clock.
  func acquire(lifetime: Duration) async throws -> LeaderClaim
  /// Extends the lease of `epoch` by `lifetime` from now; false when it is no longer this process's (it
  /// lapsed, or another took over).
  func renew(_ epoch: Int64, lifetime: Duration) async throws -> Bool
  /// Gives the lease of `epoch` up at once (a clean stop) and tells the standbys, so one takes over
  /// without waiting for it to lapse.
  func resign(_ epoch: Int64) async
  /// Calls `changed` whenever the lease may have changed hands (a resignation), until the task is
  /// cancelled; a backend without notifications returns at once (standbys poll).
  func watchChanges(_ changed: @escaping @Sendable () -> Void) async
}

/// What an attempt to lead found.
public enum LeaderClaim: Sendable, Equatable {
  /// This process leads, under this epoch.
  case won(epoch: Int64)
  /// Another leads: who (in words) and under which epoch.
  case held(by: String, epoch: Int64)
}

/// The state refused a write because its writer no longer leads (another epoch does, or its lease
/// lapsed): nothing is sent on its account, and nothing waits to be written again.
public struct Fenced: Error, CustomStringConvertible {
  /// The error's text.
  public var description: String
  /// An error saying `description`.
  public init(_ description: String) { self.description = description }
}

/// What a campaign has to say.
public enum LeaderNotice: Sendable, Equatable {
  /// Standing by: another leads (said when the leader changes).
  case standingBy(leader: String, epoch: Int64)
  /// This process leads now.
  case leading(epoch: Int64)
  /// A renewal failed; the lead is kept, for reverts only, until the lease would lapse (said once per
  /// streak of failures).
  case renewalFailing(epoch: Int64, error: String)
  /// The lead is lost: this process sends nothing more.
  case lost(epoch: Int64, why: String)
  /// The lead was given up at a clean stop.
  case resigned(epoch: Int64)
  /// The state did not answer an attempt to lead (said once per streak).
  case unreachable(String)
}
