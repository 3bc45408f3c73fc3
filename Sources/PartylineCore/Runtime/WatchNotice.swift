public import YAMLReader
/// What the watcher tells whoever shows it (the CLI writes them to stderr and stdout).
public enum WatchNotice: Sendable {
  /// Which of the watcher's loops ran a reconcile.
  public enum Loop: Sendable, Equatable {
    /// The full reconcile, every interval and after every gap.
    case full
    /// One call's event, planned from its snapshot.
    case event
    /// The on-time revert of leases that fell due.
    case revert
  }

  /// A reconcile ran (its outcome may hold no report: nothing to do).
  case reconciled(Reconcile.Outcome, Loop)
  /// The journal was compacted (once a day).
  case compacted(CompactionReport)
  /// A reconcile or a read of the journal failed; the loop goes on.
  case failed(String)
  /// The policy files changed: this many policies are in force now.
  case policiesChanged(Int)
  /// The policy files are invalid: the last valid set (this many policies) stays in force.
  case policiesInvalid([Diagnostic], inForce: Int)
  /// The rate budget allows this many reads per interval, fewer than the calls to read: each full
  /// reconcile reads those with work due, then those read longest ago. Said once.
  case readsLimited(allowance: Int, limit: Int, interval: Duration, calls: Int)
  /// The events now follow this many topics.
  case following(Int)
  /// This many topics are more than the channels hold: their calls are polled. Said when it starts.
  case overflow(Int)
  /// A gap in the events: a full reconcile runs now.
  case gap(String)
  /// Topics refused by the service: their calls are polled every minute.
  case rejected(count: Int, reason: String, missingPermissions: [String])
}
