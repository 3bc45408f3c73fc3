import Dispatch
import Foundation
public import PartylineCore

/// `watch`'s clock: the wall time when it was made, advanced by the monotonic clock since. A step of
/// the wall clock while `watch` runs (an NTP correction, a VM resumed, an operator's `date -s`) moves
/// no revert: a lease's end, once read, falls due after the same elapsed time.
public struct SteadyClock: RuntimeClock {
  private let base: Double
  private let start: UInt64
  private let monotonic: @Sendable () -> UInt64

  /// A clock anchored at the wall time now, advancing with the system's monotonic clock.
  public init() {
    self.init(wall: { Date().timeIntervalSince1970 }, monotonic: { DispatchTime.now().uptimeNanoseconds })
  }

  /// A clock anchored at `wall()` now, advancing with `monotonic` (nanoseconds).
  public init(wall: @Sendable () -> Double, monotonic: @escaping @Sendable () -> UInt64) {
    self.monotonic = monotonic
    start = monotonic()
    base = wall()
  }

  /// The anchor's wall time plus the monotonic time elapsed since.
  public func now() -> Double { base + Double(monotonic() &- start) / 1e9 }

  /// Sleeps in steps of at most a second until `deadline` on this clock.
  public func sleep(until deadline: Double) async throws {
    while true {
      let left = deadline - now()
      if left <= 0 { return }
      try await Task.sleep(nanoseconds: UInt64(min(left, 1) * 1e9))
    }
  }
}
