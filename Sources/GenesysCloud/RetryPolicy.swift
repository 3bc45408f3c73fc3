/// Retries with exponential backoff and full jitter, inside a total time budget.
public struct RetryPolicy: Sendable {
  /// Total time a call may take, retries and waits included.
  public var budget: Double
  public var baseDelay: Double
  public var maxDelay: Double
  /// Give up at once when the service asks to wait longer than this (as the Go SDK does at 180 s).
  public var maxRetryAfter: Double

  public init(
    budget: Double = 120, baseDelay: Double = 0.2, maxDelay: Double = 10, maxRetryAfter: Double = 180
  ) {
    self.budget = budget
    self.baseDelay = baseDelay
    self.maxDelay = maxDelay
    self.maxRetryAfter = maxRetryAfter
  }

  public static let `default` = RetryPolicy()

  func delay(attempt: Int) -> Double {
    let ceiling = min(maxDelay, baseDelay * Double(1 << min(attempt, 20)))
    return Double.random(in: ceiling / 2...ceiling)
  }
}
