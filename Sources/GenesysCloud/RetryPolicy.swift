public import Backoff

/// Retries with exponential backoff and jitter (`Backoff`), inside a total time budget.
public struct RetryPolicy: Sendable {
  /// Total time a call may take, retries and waits included.
  public var budget: Double
  /// The wait after the first failed attempt, in seconds (doubling after each further failure).
  public var baseDelay: Double
  /// The longest wait between attempts, in seconds.
  public var maxDelay: Double

  /// A retry policy; the defaults give `default`: 120 s in all and waits from 0.2 s up to 10 s. (A
  /// 429's Retry-After is capped at `budget` and at `RateBudget.maxPause`, never obeyed past them.)
  public init(budget: Double = 120, baseDelay: Double = 0.2, maxDelay: Double = 10) {
    self.budget = budget
    self.baseDelay = baseDelay
    self.maxDelay = maxDelay
  }

  /// The policy a client uses unless given another: the defaults of `init`.
  public static let `default` = RetryPolicy()

  /// The backoff between attempts: `baseDelay`, doubling, at most `maxDelay`, with jitter.
  public var backoff: Backoff { Backoff(first: baseDelay, cap: maxDelay, jitter: true) }

  /// The wait after failed attempt `attempt` (counting from 0).
  func delay(attempt: Int) -> Double { backoff.delay(attempt: attempt + 1) }
}
