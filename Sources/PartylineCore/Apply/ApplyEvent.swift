/// Events for progress, webhooks and metrics.
public enum ApplyEvent: Sendable {
  /// A change's request was answered with success; `at` is when it was sent (for a revert, how late
  /// it went against its lease's end).
  case sent(PlannedChange, at: Double)
  /// A call's outcome record, as it was journalled.
  case outcome(JournalRecord)
  /// A change's confirmation: whether a re-read showed it.
  case confirmed(PlannedChange, Bool)
  /// A revert or prune nobody on the call can make (see `PlannedChange.isStuck`): reported on every
  /// run until it is made.
  case stuck(PlannedChange)
}
