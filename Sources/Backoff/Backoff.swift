/// Exponential backoff: the one rule every retry loop uses (the API client and its token request,
/// PostgreSQL, the webhook, the notification channels, watch's reconciles and reverts).
///
/// The delay after the `attempt`-th failure (counting from 1) is `first · factor^(attempt−1)`, at most
/// `cap`. With `jitter`, a delay is drawn from its upper half (`[d/2, d]`), so that clients failing
/// together do not retry together.
public struct Backoff: Sendable, Hashable {
  /// The delay after the first failure, in seconds.
  public var first: Double
  /// How much each further failure multiplies the delay.
  public var factor: Double
  /// The longest delay, in seconds.
  public var cap: Double
  /// Whether delays are drawn from `[d/2, d]` instead of being `d`.
  public var jitter: Bool

  /// A backoff from `first` to `cap`.
  public init(first: Double, factor: Double = 2, cap: Double, jitter: Bool = false) {
    self.first = max(0, first)
    self.factor = max(1, factor)
    self.cap = max(self.first, cap)
    self.jitter = jitter
  }

  /// The delay after the `attempt`-th failure (1 for the first); `unit` in `[0, 1]` picks the point of
  /// the jitter range (a random number by default).
  public func delay(attempt: Int, unit: Double = Double.random(in: 0...1)) -> Double {
    let n = Double(min(max(attempt, 1), 64) - 1)
    let d = min(cap, first * pow(factor, n))
    return jitter ? d / 2 + d / 2 * min(1, max(0, unit)) : d
  }

  /// Watch's reconciles and reverts: 2 s, doubling, at most 30 s.
  public static let watch = Backoff(first: 2, cap: 30)
  /// A notification channel that cannot be made or dialled: 0.4 s, doubling, at most 10 s.
  public static let channel = Backoff(first: 0.4, cap: 10)
  /// The OAuth token request: 0.4 s, doubling, at most 10 s.
  public static let token = Backoff(first: 0.4, cap: 10)
  /// PostgreSQL connection failures: 0.2 s, doubling, at most 2 s.
  public static let postgres = Backoff(first: 0.2, cap: 2)
  /// Webhook deliveries: 0.2 s, doubling (four attempts).
  public static let webhook = Backoff(first: 0.2, cap: 1.6)
}

private func pow(_ x: Double, _ n: Double) -> Double {
  var out = 1.0
  for _ in 0..<Int(n) { out *= x }
  return out
}

extension Backoff {
  /// The one retry loop (the token request, PostgreSQL, the webhook): runs `attempt` (numbered from
  /// 1) until it succeeds, waiting this backoff's delay after each failure. A failure `retryable`
  /// refuses is thrown as it is; after the last of `attempts`, or when the next wait would end after
  /// `deadline` (on `now`'s clock, seconds), the failure goes through `exhausted`. `failed` hears each
  /// failure `retryable` accepts, and the wait ahead (nil when it gives up): to report progress, or
  /// drop a connection.
  public func retrying<T: Sendable>(
    isolation: isolated (any Actor)? = #isolation,
    attempts: Int = .max, deadline: Double = .infinity, now: () -> Double = { 0 },
    retryable: (any Error) -> Bool = { _ in true },
    exhausted: (any Error) -> any Error = { $0 },
    failed: (any Error, Double?) async -> Void = { _, _ in },
    _ attempt: (Int) async throws -> T
  ) async throws -> T {
    var n = 1
    while true {
      do {
        return try await attempt(n)
      } catch {
        if error is CancellationError { throw error }
        guard retryable(error) else { throw error }
        let wait = delay(attempt: n)
        guard n < attempts, now() + wait <= deadline else {
          await failed(error, nil)
          throw exhausted(error)
        }
        await failed(error, wait)
        try await Task.sleep(nanoseconds: UInt64(wait * 1e9))
        n += 1
      }
    }
  }
}
