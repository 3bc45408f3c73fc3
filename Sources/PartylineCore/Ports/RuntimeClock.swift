import WireTime
/// Time as the runtime sees it: the applier, the reconciler and the watcher read it and sleep on it,
/// and nothing in the core reads a real clock. Leases end at wall-clock instants that runs on other
/// machines read from the shared journal, so the instants are wall time (seconds since 1970); lengths
/// are `Duration`s (see `Duration.inSeconds`). A test
/// drives the whole runtime on a manual clock, with no real waiting.
public protocol RuntimeClock: Sendable {
  /// Now, in seconds since 1970.
  func now() -> Double
  /// Returns at `deadline` (seconds since 1970) or later; throws `CancellationError` when the task is
  /// cancelled first.
  func sleep(until deadline: Double) async throws
}

extension RuntimeClock {
  /// Sleeps for `length` from now.
  public func sleep(for length: Duration) async throws {
    try await sleep(until: now() + max(0, length.inSeconds))
  }
}
