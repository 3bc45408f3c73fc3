public import Foundation

/// One budget per token, shared by every request of a run, that counts its own requests: Genesys no
/// longer sends `inin-ratelimit-*` headers (docs/genesys-api.md §8.1), so a client learns nothing from the
/// server until a 429. The service counts `limit` requests per fixed window of `window` seconds; this
/// side counts a sliding window (at most `limit` requests sent in any `span`, a little longer than
/// `window`), which every placement of the service's windows accepts. A 429 with `Retry-After`
/// corrects the count (nothing more until then, and a fresh window after); headers, when a server
/// sends them, may raise the count, never lower it.
///
/// Requests are served by class (`RateClass`): waiting reverts go before waiting writes, writes before
/// confirmation reads, those before reconcile reads. Below reverts, every class leaves free what the
/// reverts due before the window ends will need (`expectUrgent`, `admit`); reads also leave a tenth of
/// the window to the changes, so a busy reconcile never starves them. `admit` is the promise: a mute is
/// sent only when its revert, when its lease ends, fits the budget with every revert already promised.
public actor RateBudget {
  /// The most requests per window; `setLimit` sets it, and a server's `inin-ratelimit-allowed` header may
  /// lower it.
  public private(set) var limit: Int
  /// The service's window, in seconds.
  public let window: Double
  /// Requests an on-time revert needs: a read, the unmute, a confirming read.
  public let revertCost: Int
  /// The share of any window that promised reverts may take.
  public let revertShare: Double
  private let now: @Sendable () -> Double
  /// The parts of the budget switched off (for demonstration only).
  public let ablation: RateAblation

  /// When each request of the last `span` seconds was sent, oldest first: the count is a sliding
  /// window, which no placement of the service's fixed windows can exceed (a fixed-window count lets
  /// requests sent late in one of its windows land in the service's next, which then overflows).
  private var sends: [Double] = []
  private var head = 0
  private var pausedUntil = 0.0
  /// Lease ends of reverts due (from the journal, `expectUrgent`) and promised here (`admit`).
  private var due: [Double] = []
  private var admitted: [Double] = []
  private var closed = false

  private struct Waiter {
    var seq: Int
    var cls: RateClass
    var continuation: CheckedContinuation<Void, any Error>
  }
  private var queue: [Waiter] = []
  private var seq = 0
  private var wakeGeneration = 0

  /// Counters for reports: requests sent (by class), 429s seen, time spent waiting.
  public private(set) var sent = 0
  /// Requests sent, by class.
  public private(set) var sentByClass: [RateClass: Int] = [:]
  /// How many 429 answers were seen.
  public private(set) var throttled = 0
  /// Seconds requests spent waiting for the budget, in all.
  public private(set) var waited: Double = 0
  /// Of that, the time revert-class requests waited.
  public private(set) var urgentWaited: Double = 0
  /// How many mutes `admit` held back because their reverts would not fit.
  public private(set) var heldBack = 0

  /// A budget of `limit` requests per `window` seconds, where a revert costs `revertCost` requests and the
  /// promised reverts may take `revertShare` of a window; `now` is the clock, in seconds since 1970.
  public init(
    limit: Int = 300, window: Double = 60, revertCost: Int = 3, revertShare: Double = 0.8,
    ablation: RateAblation = [], now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }
  ) {
    self.ablation = ablation
    self.limit = max(1, limit)
    self.window = window
    self.revertCost = max(1, revertCost)
    self.revertShare = revertShare
    self.now = now
  }

  /// A window as this side counts it: a little longer than the service's, since the service's starts
  /// when the first request arrives, a latency after it left here.
  var span: Double { window * 1.01 + 0.05 }

  /// The end of the window requests now would count in: every request sent now counts for `span`.
  func windowEnd(at t: Double) -> Double { t + span }

  /// Requests sent in the last `span` seconds.
  func usedNow(at t: Double) -> Int {
    while head < sends.count, sends[head] <= t - span { head += 1 }
    if head > 1024, head * 2 > sends.count {
      sends.removeFirst(head)
      head = 0
    }
    return sends.count - head
  }

  /// What a class may use of the current window.
  func cap(_ cls: RateClass, at t: Double) -> Int {
    if cls == .revert || ablation.contains(.priorities) { return limit }
    let end = windowEnd(at: t)
    // Reverts due before the window ends (and those just overdue, being served now) keep their room.
    let pending = (due + admitted).filter { $0 >= t - 5 && $0 <= end }.count
    // A request sent late in one window may arrive in the service's next: below reverts, every class
    // leaves a twentieth of the window for such stragglers.
    var cap = limit - pending * revertCost - limit / 20
    if cls == .read { cap -= limit / 10 }
    return cap
  }

  func canGrant(_ cls: RateClass, at t: Double) -> Bool {
    if closed || t < pausedUntil { return false }
    return usedNow(at: t) < cap(cls, at: t)
  }

  private func take(_ cls: RateClass, at t: Double) {
    sends.append(t)
    sent += 1
    sentByClass[cls, default: 0] += 1
  }

  /// Waits until a request of `cls` may be sent (higher classes first); throws `RateBudgetClosed`
  /// once the budget is closed and `CancellationError` if the task is cancelled meanwhile.
  public func acquire(_ cls: RateClass = RatePriority.current) async throws {
    if closed { throw RateBudgetClosed() }
    let cls = ablation.contains(.priorities) ? .read : cls
    let t = now()
    if !queue.contains(where: { $0.cls <= cls }), canGrant(cls, at: t) {
      take(cls, at: t)
      return
    }
    seq += 1
    let id = seq
    let started = t
    try await withTaskCancellationHandler {
      try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
        let w = Waiter(seq: id, cls: cls, continuation: c)
        let i = queue.firstIndex { ($0.cls, $0.seq) > (cls, id) } ?? queue.count
        queue.insert(w, at: i)
        pump()
      }
    } onCancel: {
      Task { await self.cancel(id) }
    }
    let spent = now() - started
    waited += spent
    if cls == .revert { urgentWaited += spent }
  }

  /// The old signature: `urgent` requests are reverts.
  /// Takes a slot now for a request sent a little later (`RatePriority.permit`).
  public func reserve(_ cls: RateClass = RatePriority.current) async throws -> RatePermit {
    try await acquire(cls)
    return RatePermit(ablation.contains(.priorities) ? .read : cls)
  }

  /// Gives back a reserved slot that was not spent (the request was not sent after all).
  public func refund(_ permit: RatePermit) {
    guard permit.spend(), usedNow(at: now()) > 0 else { return }
    sends.removeLast()
    sent -= 1
    sentByClass[permit.cls, default: 1] -= 1
    pump()
  }

  /// Waits for a slot as `acquire(_:)` does: as a revert when `urgent`, otherwise in the task's class
  /// (`read` by default).
  public func acquire(urgent: Bool) async throws {
    try await acquire(urgent ? .revert : (RatePriority.rateClass ?? .read))
  }

  private func cancel(_ id: Int) {
    guard let i = queue.firstIndex(where: { $0.seq == id }) else { return }
    queue.remove(at: i).continuation.resume(throwing: CancellationError())
    pump()
  }

  /// Grants what can be granted, in class order; sets a timer for the next change otherwise.
  private func pump() {
    let t = now()
    // In class order; a class's cap is never above a higher class's, so the first that cannot go
    // holds back every one after it.
    while let w = queue.first, canGrant(w.cls, at: t) {
      queue.removeFirst()
      take(w.cls, at: t)
      w.continuation.resume()
    }
    guard !queue.isEmpty else { return }
    // The next change: the pause's end, or the oldest request of the window leaving it.
    _ = usedNow(at: t)
    let next = max(pausedUntil, head < sends.count ? sends[head] + span : t)
    let at = min(max(next, t + 0.001), t + 1)  // at least once a second: the reserve moves as reverts pass
    wakeGeneration += 1
    let generation = wakeGeneration
    Task {
      try? await Task.sleep(nanoseconds: UInt64(max(0, at - self.now()) * 1e9))
      await self.wake(generation)
    }
  }

  private func wake(_ generation: Int) {
    guard generation == wakeGeneration else { return }
    pump()
  }

  /// Says when reverts fall due (the open leases' ends, from the journal): the classes below
  /// reverts leave their room. Replaces the last list; promises made with `admit` since stay.
  public func expectUrgent(dueAt times: [Double], requestsEach: Int = 0) {
    let t = now()
    due = times.filter { $0 >= t - window }.sorted()
    admitted.removeAll { $0 < t - window }
    pump()
  }

  /// How many reverts the promises allow in the busiest `window` containing `t`.
  func promisedAround(_ t: Double) -> Int {
    let all = (due + admitted).sorted()
    // Every window [s, s + window) that contains t starts in (t - window, t]: the busiest starts at a
    // promise (or just after t - window).
    var starts = [t - window + 0.000_1]
    starts += all.filter { $0 > t - window && $0 <= t }
    var busiest = 0
    for s in starts {
      busiest = max(busiest, all.filter { $0 >= s && $0 < s + window }.count)
    }
    return busiest
  }

  /// Admission of a mute whose lease ends at `leaseEnd`: true (and the revert is promised) when the
  /// reverts promised in every window that could hold that end still fit the reverts' share; false
  /// holds the mute back (the caller reports it as waiting and tries again later).
  public func admit(leaseEnd: Double) -> Bool {
    if ablation.contains(.admission) { return true }
    let room = max(1, Int(Double(limit) * revertShare) / revertCost)
    if promisedAround(leaseEnd) + 1 > room {
      heldBack += 1
      return false
    }
    admitted.append(leaseEnd)
    admitted.sort()
    return true
  }

  /// A promised revert's end moved later (its mute left later than promised).
  public func movePromise(from: Double, to: Double) {
    if let i = admitted.firstIndex(of: from) {
      admitted[i] = to
      admitted.sort()
    }
  }

  /// Records what a response said. Only a 429 (and headers, if a server still sends them) correct
  /// the budget's own count.
  ///
  /// What a server says is not trusted blindly (a hostile or broken answer must not stop reverts): a
  /// `Retry-After` that is not a finite, non-negative number is taken as 1 s and one above
  /// ``maxPause`` as that; header counts are clamped to 0…limit.
  public func record(count: Int?, allowed: Int?, reset: Double?, retryAfter: Double?, status: Int) {
    let t = now()
    if status == 429 {
      throttled += 1
      let pause = Self.pause(retryAfter: retryAfter)
      pausedUntil = max(pausedUntil, t + pause)
      // The service's window is full until then, and a new one starts when the pause ends: what was
      // sent before counts no more.
      sends = []
      head = 0
    }
    if let allowed, allowed >= 1, allowed < limit { limit = allowed }
    if let count {
      // A server's count may raise ours, never lower it, and never past the limit.
      let missing = min(max(count, 0), limit) - usedNow(at: t)
      if missing > 0 { sends.append(contentsOf: repeatElement(t, count: missing)) }
    }
    _ = reset
    pump()
  }

  /// The longest pause one 429 may impose on every request of the budget, reverts included.
  public static let maxPause = 60.0

  /// How long a 429 with `retryAfter` pauses the budget: 1 s without a usable value (missing, negative,
  /// infinite or NaN), at most ``maxPause``.
  public static func pause(retryAfter: Double?) -> Double {
    guard let r = retryAfter, r.isFinite, r >= 0 else { return 1 }
    return min(r, maxPause)
  }

  /// Sets the limit (`--rate-limit`, or what the org's limits say).
  public func setLimit(_ n: Int) {
    limit = max(1, n)
    pump()
  }

  /// A request that got no answer: it still counts (the service may have counted it).
  public func release() { pump() }

  /// Stops the budget: waiting requests throw `RateBudgetClosed`, as does every later `acquire`.
  public func close() {
    closed = true
    let waiting = queue
    queue = []
    for w in waiting { w.continuation.resume(throwing: RateBudgetClosed()) }
  }

  /// Whether `close()` has been called.
  public var isClosed: Bool { closed }

  /// Reads a full reconcile may spend over `interval` seconds: what the reads' share of the windows
  /// in it allows, less the room the promised reverts keep.
  public func readAllowance(over interval: Double) -> Int {
    if ablation.contains(.priorities) { return Int.max }
    let t = now()
    let windows = interval / window
    let pending = (due + admitted).filter { $0 >= t && $0 <= t + max(interval, window) }.count
    let perWindow = limit - limit / 10
    return max(1, Int(Double(perWindow) * windows) - pending * revertCost)
  }

  /// What is left of the current window for a class (for reports and tests).
  public func left(_ cls: RateClass = .read) -> Int {
    let t = now()
    if t < pausedUntil { return 0 }
    return max(0, cap(cls, at: t) - usedNow(at: t))
  }
}
