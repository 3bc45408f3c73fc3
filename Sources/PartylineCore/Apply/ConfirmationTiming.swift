/// How long after its 202 a change tends to show on a re-read, learned over a run, so that the one
/// confirming read per conversation comes when the change is likely visible.
public actor ConfirmationTiming {
  /// The time from a change's answer to its first confirming read, as learned so far.
  public private(set) var estimate: Duration
  let floor: Duration

  /// A timing that starts at `initial`; what it learns stays between `floor` and 2 s.
  public init(initial: Duration = .milliseconds(250), floor: Duration = .milliseconds(50)) {
    estimate = initial
    self.floor = floor
  }

  /// The change was seen on the first read, `after` the last change's answer.
  func seenFirst(after: Duration) { estimate = bounded(estimate * 0.8 + after * 0.2) }

  /// The first read came too early (it was seen `after` the answer, on a later read).
  func missedFirst(after: Duration) { estimate = bounded(max(estimate * 1.25, after * 0.9)) }

  private func bounded(_ d: Duration) -> Duration { max(floor, min(.seconds(2), d)) }
}
