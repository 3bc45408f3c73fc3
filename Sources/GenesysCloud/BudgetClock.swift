import Foundation
import Synchronization
import WireTime

/// The instants a client and its rate budget read, in seconds since 1970. By default this machine's
/// wall time when the budget was made, advancing with the monotonic clock, so a step of the wall clock
/// neither frees the budget's held slots at once nor holds them for the length of the step; a run
/// moves it onto its own clock (`RateBudget.useClock`), so that the instants the run hands the client
/// (a lease's end, a request's `notAfter`) and the budget's windows are read on one clock.
public final class BudgetClock: Sendable {
  private let source: Mutex<@Sendable () -> Double>

  init(_ now: @escaping @Sendable () -> Double) { source = Mutex(now) }

  /// Now, in seconds since 1970, on this clock.
  public func now() -> Double { source.withLock { $0 }() }

  func set(_ now: @escaping @Sendable () -> Double) { source.withLock { $0 = now } }

  /// This machine's wall time now, advancing from here with the monotonic clock.
  public static func steady() -> @Sendable () -> Double {
    let base = Date().timeIntervalSince1970
    let start = ContinuousClock.now
    return { base + start.duration(to: .now).inSeconds }
  }
}
