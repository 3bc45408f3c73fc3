import Foundation

/// Requests made for an on-time revert (`watch`'s lease-end loop) run with `urgent` set: they may use
/// the part of the window that ordinary requests leave free (a tenth of it, or what the reverts due
/// before the window resets will need, whichever is more), so a busy reconcile does not spend the
/// budget a revert needs.
public enum RatePriority {
  @TaskLocal public static var urgent = false
}

/// One budget shared by every request of a run: paced by the `inin-ratelimit-*` headers when the
/// service sends them and by `Retry-After` on 429; an optional local cap (`--rate-limit N/min`).
/// Ordinary requests stop short of the limit by the reserve (`ordinaryReserve`); urgent ones may use
/// all of it.
public actor RateBudget {
  private var remaining: Int?
  private var allowed: Int?
  private var resetAt: Double = 0
  private var pausedUntil: Double = 0
  private var inFlight = 0
  private let localPerMinute: Int?
  private var localSent: [Double] = []
  private let now: @Sendable () -> Double
  /// When urgent work falls due (epoch seconds) and what each piece needs, set by `expectUrgent`.
  private var urgentDue: [Double] = []
  private var requestsPerUrgent = 0
  /// Counters for reports: requests sent, 429s seen, time spent waiting.
  public private(set) var sent = 0
  public private(set) var throttled = 0
  public private(set) var waited: Double = 0
  /// Of that, the time urgent requests waited.
  public private(set) var urgentWaited: Double = 0

  public init(
    localPerMinute: Int? = nil, now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }
  ) {
    self.localPerMinute = localPerMinute
    self.now = now
  }

  /// Waits until a request may be sent; throws `CancellationError` if the task is cancelled meanwhile.
  public func acquire(urgent: Bool = RatePriority.urgent) async throws {
    while true {
      try Task.checkCancellation()
      let t = now()
      var wait = 0.0
      if t < pausedUntil { wait = pausedUntil - t }
      let reserve = urgent ? 0 : ordinaryReserve(at: t)
      if let r = remaining, r - inFlight <= reserve, t < resetAt { wait = max(wait, resetAt - t) }
      if let cap = localPerMinute {
        localSent.removeAll { $0 <= t - 60 }
        if localSent.count >= cap, let first = localSent.first { wait = max(wait, first + 60 - t) }
      }
      if wait <= 0 { break }
      // Short naps while the reserve holds an ordinary request back: the schedule may change.
      let nap = min(wait, urgent ? 120 : 1)
      waited += nap
      if urgent { urgentWaited += nap }
      try await Task.sleep(nanoseconds: UInt64(nap * 1e9))
    }
    if let r = remaining, now() >= resetAt, r <= 0 { remaining = nil }
    inFlight += 1
    sent += 1
    if localPerMinute != nil { localSent.append(now()) }
  }

  /// Says when urgent work falls due and how many requests each piece needs: ordinary requests then
  /// leave that much of the window for the pieces due before it resets. Replaces the last schedule.
  public func expectUrgent(dueAt times: [Double], requestsEach: Int) {
    urgentDue = times.sorted()
    requestsPerUrgent = max(0, requestsEach)
  }

  /// What ordinary requests leave free at `t`: a tenth of the window, or what the urgent work due
  /// before the window resets needs (work already due counts too), whichever is more.
  func ordinaryReserve(at t: Double) -> Int {
    let horizon = max(resetAt, t)
    let due = urgentDue.prefix { $0 <= horizon }.count
    return max(Self.reserve(allowed), due * requestsPerUrgent)
  }

  /// Records what a response said about the budget. Answers arrive out of order: within one window
  /// the lowest remaining count seen stands, so a late answer cannot give back what is spent.
  public func record(count: Int?, allowed: Int?, reset: Double?, retryAfter: Double?, status: Int) {
    inFlight = max(0, inFlight - 1)
    let t = now()
    if let count, let allowed {
      let left = allowed - count
      let newReset = reset.map { t + $0 }
      // A new window: the old one has run out, or the service counts afresh (its reset moved on).
      let fresh = remaining == nil || t >= resetAt || (newReset.map { $0 > resetAt + 2 } ?? false)
      remaining = fresh ? left : min(remaining ?? left, left)
      self.allowed = allowed
      if fresh, let newReset { resetAt = newReset }
    }
    if status == 429 {
      throttled += 1
      pausedUntil = max(pausedUntil, t + (retryAfter ?? 1))
    }
  }

  /// What ordinary requests leave for urgent ones: a tenth of the window, rounded up.
  static func reserve(_ allowed: Int?) -> Int {
    guard let allowed, allowed > 1 else { return 0 }
    return (allowed + 9) / 10
  }

  /// What the last answers said is left in the window (nil before any said).
  var left: Int? { remaining }

  /// A request that got no answer.
  public func release() { inFlight = max(0, inFlight - 1) }
}
