import Foundation
public import PartylineCore

/// The machine's clock: wall time, and sleeps of at most a second at a time (a deadline is wall time,
/// so a clock that is set back or forward while it sleeps still wakes at the instant).
public struct SystemClock: RuntimeClock {
  /// The machine's clock.
  public init() {}

  /// Now, in seconds since 1970.
  public func now() -> Double { Date().timeIntervalSince1970 }

  /// Sleeps until the wall-clock instant `deadline`.
  public func sleep(until deadline: Double) async throws {
    while true {
      let left = deadline - now()
      if left <= 0 { return }
      try await Task.sleep(nanoseconds: UInt64(min(left, 1) * 1e9))
    }
  }
}
