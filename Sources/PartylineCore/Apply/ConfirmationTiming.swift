import Foundation

/// How long after its 202 a change tends to show on a re-read, learned over a run, so that the one
/// confirming read per conversation comes when the change is likely visible.
public actor ConfirmationTiming {
  /// Seconds from a change's answer to its first confirming read, as learned so far.
  public private(set) var estimate: Double
  let floor: Double

  /// A timing that starts at `initial` seconds; what it learns stays between `floor` and 2 s.
  public init(initial: Double = 0.25, floor: Double = 0.05) {
    estimate = initial
    self.floor = floor
  }

  /// The change was seen on the first read, `after` seconds from the last change's answer.
  func seenFirst(after: Double) { estimate = max(floor, min(2, 0.8 * estimate + 0.2 * after)) }

  /// The first read came too early (it was seen `after` seconds from the answer, on a later read).
  func missedFirst(after: Double) { estimate = max(floor, min(2, max(estimate * 1.25, 0.9 * after))) }
}
