import Foundation

/// One budget per token, shared by every request of a run, that counts its own requests: Genesys no
/// longer sends `inin-ratelimit-*` headers (docs/genesys-api.md §8.1), so a client learns nothing from the
/// server until a 429. The service counts `limit` requests per fixed window of `window` seconds; this
/// side counts a sliding window of occupied slots: a request holds its slot from when it is granted
/// until `span` (a little longer than `window`) after its answer (or its failure) came back
/// (`settle`). It reached the service somewhere in between, so at most `limit` requests can land in
/// any `window` of the service's, wherever its windows lie and however slow one request was: no room
/// is kept for stragglers. A 429 with `Retry-After`
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
  /// The room a revert keeps in the window it falls due in: a read and the unmute (a confirming read
  /// goes as a confirmation). On events, a lease whose call's snapshot is current when the journal is
  /// read again keeps `unmuteOnly` instead (`expectUrgent(_:fromSnapshot:)`): its revert needs no
  /// read. A promise keeps the full cost, since whether the snapshot will still be current is not
  /// known when the mute is admitted.
  public let revertCost: Int
  /// A revert from an event's snapshot: the unmute alone.
  public static let unmuteOnly = 1
  /// The share of any window that promised reverts may take.
  public let revertShare: Double
  /// The clock of the budget and of its client's requests (see ``BudgetClock``).
  public nonisolated let clock: BudgetClock
  /// The parts of the budget switched off (for demonstration only).
  public let ablation: RateAblation

  /// The slots taken, by ticket: until when each holds its slot. A granted request holds it until
  /// its answer is in (`settle`), then until `span` after the answer. The count is a sliding window
  /// of these, which no placement of the service's fixed windows can exceed (a fixed-window count
  /// lets requests sent late in one of its windows land in the service's next, which then overflows;
  /// counting from the grant alone lets a slow request do the same).
  ///
  /// A slot never settled (its request lost to a bug or a cancelled wait) is freed `unsettled` after
  /// its grant, so it cannot hold the budget for ever; the client's timeouts (at most 30 s) settle
  /// every request it sends long before.
  private var held: [Int: Double] = [:]
  private var lastTicket = 0
  private var pausedUntil = -Double.infinity
  /// Reverts due, by lease: from the journal (`expectUrgent`), and promised here (`admit`) but not yet
  /// seen in the journal. A revert is counted once: a promise is dropped when the journal shows its
  /// lease (the same key, an end within `samePromise` seconds).
  private var due: [String: (end: Double, cost: Int)] = [:]
  private var promised: [(key: String, end: Double)] = []
  /// How far a promise's end and its lease's end in the journal may differ and still be one revert
  /// (the applier moves a promise whose mute left more than a second late).
  static let samePromise = 2.0
  /// Every revert due or promised, by its lease end.
  ///
  /// A revert is charged per call, not per participant: the reverts of one call that fall due
  /// together (within `together` seconds of the first) are made by one reconcile — one read, an
  /// unmute each — so the first is charged its cost and the others their unmute alone.
  private var reverts: [(end: Double, cost: Int)] {
    var all: [(call: Substring, end: Double, cost: Int)] = due.map {
      (Self.call(of: $0.key), $0.value.end, $0.value.cost)
    }
    all += promised.map { (Self.call(of: $0.key), $0.end, revertCost) }
    all.sort { ($0.call, $0.end) < ($1.call, $1.end) }
    var out: [(end: Double, cost: Int)] = []
    out.reserveCapacity(all.count)
    var charged: (call: Substring, end: Double)? = nil
    for r in all {
      if let c = charged, c.call == r.call, r.end - c.end <= Self.together {
        out.append((r.end, min(Self.unmuteOnly, r.cost)))
      } else {
        out.append((r.end, r.cost))
        charged = (r.call, r.end)
      }
    }
    return out
  }

  /// How close the lease ends of one call must be for their reverts to go together (seconds).
  static let together = 1.0

  /// The call of a lease key (`conversation/participant`).
  static func call(of key: String) -> Substring { key.prefix { $0 != "/" } }
  private var closed = false

  private struct Waiter {
    var seq: Int
    var cls: RateClass
    var continuation: CheckedContinuation<RateTicket, any Error>
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
  /// How many mutes `admit` held back (each counted once however often it asked).
  public private(set) var heldBack = 0

  /// A budget of `limit` requests per `window` seconds, where a revert costs `revertCost` requests and the
  /// promised reverts may take `revertShare` of a window; `now` is the clock, in seconds since 1970
  /// (by default this machine's wall time now, advancing with the monotonic clock).
  public init(
    limit: Int = 300, window: Double = 60, revertCost: Int = 2,
    revertShare: Double = 0.8,
    ablation: RateAblation = [], now: @escaping @Sendable () -> Double = BudgetClock.steady()
  ) {
    self.ablation = ablation
    self.limit = max(1, limit)
    self.window = window
    self.revertCost = max(1, revertCost)
    self.revertShare = revertShare
    self.clock = BudgetClock(now)
  }

  private func now() -> Double { clock.now() }

  /// A window as this side counts it from an answer: a little longer than the service's, for the two
  /// clocks' rates and the answer's way back (the latency on the way there is covered by holding a
  /// slot until its answer is in).
  var span: Double { window * 1.001 + 0.05 }

  /// The end of the window requests now would count in: every request sent now counts for `span`.
  func windowEnd(at t: Double) -> Double { t + span }

  /// The slots held now.
  func usedNow(at t: Double) -> Int {
    if held.values.contains(where: { $0 <= t }) { held = held.filter { $0.value > t } }
    return held.count
  }

  /// How long a slot granted and never settled is held: three spans.
  var unsettled: Double { 3 * span }

  /// Takes a slot at `t` until it is settled (`settled`: at once, as for a count a server reported).
  private func hold(at t: Double, settled: Bool = false) -> RateTicket {
    lastTicket += 1
    held[lastTicket] = settled ? windowEnd(at: t) : t + unsettled
    return RateTicket(lastTicket)
  }

  /// The answer to the request of `ticket` (or its failure) came back: it reached the service
  /// before now, so its slot is held until `span` from now. A ticket dropped meanwhile (a 429 began
  /// a new window) is left dropped, and settling twice changes nothing.
  public func settle(_ ticket: RateTicket) {
    let t = now()
    if let end = held[ticket.id] { held[ticket.id] = min(end, windowEnd(at: t)) }
    pump()
  }

  /// What a class may use of the current window.
  func cap(_ cls: RateClass, at t: Double) -> Int {
    if cls == .revert || ablation.contains(.priorities) { return limit }
    let end = windowEnd(at: t)
    // Reverts due before the window ends (and those just overdue, being served now) keep their room.
    let pending = reverts.filter { $0.end >= t - 5 && $0.end <= end }.reduce(0) { $0 + $1.cost }
    // Slots are held until a span after each answer, so a slow request cannot spill into the
    // service's next window: no room is kept for stragglers.
    var cap = limit - pending
    if cls == .read { cap -= limit / 10 }
    return cap
  }

  func canGrant(_ cls: RateClass, at t: Double) -> Bool {
    if closed || t < pausedUntil { return false }
    return usedNow(at: t) < cap(cls, at: t)
  }

  private func take(_ cls: RateClass, at t: Double) -> RateTicket {
    sent += 1
    sentByClass[cls, default: 0] += 1
    return hold(at: t)
  }

  /// Waits until a request of `cls` may be sent (higher classes first); throws `RateBudgetClosed`
  /// once the budget is closed and `CancellationError` if the task is cancelled meanwhile. The
  /// ticket is for `settle`, when the request's answer is in.
  @discardableResult
  public func acquire(_ cls: RateClass = .read) async throws -> RateTicket {
    if closed { throw RateBudgetClosed() }
    let cls = ablation.contains(.priorities) ? .read : cls
    let t = now()
    if !queue.contains(where: { $0.cls <= cls }), canGrant(cls, at: t) {
      return take(cls, at: t)
    }
    seq += 1
    let id = seq
    let started = t
    let ticket = try await withTaskCancellationHandler {
      try await withCheckedThrowingContinuation { (c: CheckedContinuation<RateTicket, any Error>) in
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
    return ticket
  }

  /// Takes a slot now for a request sent a little later (`RequestPriority.permit`).
  public func reserve(_ cls: RateClass = .read) async throws -> RatePermit {
    let ticket = try await acquire(cls)
    return RatePermit(ablation.contains(.priorities) ? .read : cls, ticket: ticket)
  }

  /// Gives back a reserved slot that was not spent (the request was not sent after all).
  public func refund(_ permit: RatePermit) {
    guard permit.spend(), held.removeValue(forKey: permit.ticket.id) != nil else { return }
    sent -= 1
    sentByClass[permit.cls, default: 1] -= 1
    pump()
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
      w.continuation.resume(returning: take(w.cls, at: t))
    }
    guard !queue.isEmpty else { return }
    // The next change: the pause's end, or the first slot held now coming free.
    let next = max(pausedUntil, held.values.min() ?? t)
    let at = min(max(next, t + 0.001), t + 1)  // at least once a second: the reserve moves as reverts pass
    wakeGeneration += 1
    let generation = wakeGeneration
    Task {
      try? await Task.sleep(nanoseconds: UInt64(max(0, at - self.now()) * 1e9))
      self.wake(generation)
    }
  }

  private func wake(_ generation: Int) {
    guard generation == wakeGeneration else { return }
    pump()
  }

  /// Says when reverts fall due: the open leases' ends from the journal, by lease key; those in
  /// `fromSnapshot` can be reverted from their call's current snapshot and keep `unmuteOnly`. The
  /// classes below reverts leave their room. Replaces the last list; a promise made with `admit` stays
  /// until the journal shows its lease (then the journal's entry counts instead) or its end is a
  /// window past.
  public func expectUrgent(_ leases: [String: Double], fromSnapshot: Set<String> = []) {
    let t = now()
    due = [:]
    for (key, end) in leases where end >= t - window {
      due[key] = (end, fromSnapshot.contains(key) ? min(Self.unmuteOnly, revertCost) : revertCost)
    }
    promised.removeAll { p in
      p.end < t - window || due[p.key].map { abs($0.end - p.end) <= Self.samePromise } == true
    }
    pump()
  }

  /// The reverts due and promised, by end, with running sums of their costs: the busiest window
  /// around an instant in one pass.
  struct Promises {
    let ends: [Double]
    let sums: [Int]  // sums[i]: the cost of ends[0..<i]

    init(_ reverts: [(end: Double, cost: Int)]) {
      let sorted = reverts.sorted { $0.end < $1.end }
      ends = sorted.map(\.end)
      var s = [0]
      s.reserveCapacity(sorted.count + 1)
      for r in sorted { s.append(s.last! + r.cost) }
      sums = s
    }

    /// The first index whose end is at least `x`.
    func index(atLeast x: Double) -> Int {
      var (lo, hi) = (0, ends.count)
      while lo < hi {
        let mid = (lo + hi) / 2
        if ends[mid] < x { lo = mid + 1 } else { hi = mid }
      }
      return lo
    }

    /// The cost of the busiest window [s, s + window) that contains `t`. Such a window starts in
    /// (t - window, t]; moving its start right only loses promises at its left edge until one enters
    /// at its right, so the busiest starts just after t - window or just after p - window for a
    /// promise p in (t, t + window).
    func busiest(around t: Double, window: Double) -> Int {
      let epsilon = 0.000_1
      func cost(from start: Double) -> Int {
        sums[index(atLeast: start + window)] - sums[index(atLeast: start)]
      }
      var best = cost(from: t - window + epsilon)
      var i = index(atLeast: t + epsilon)
      while i < ends.count, ends[i] < t + window {
        best = max(best, cost(from: ends[i] - window + epsilon))
        i += 1
      }
      return best
    }
  }

  /// Admission of a mute of the lease `key` ending at `leaseEnd`: true (and the revert is promised)
  /// when the mute itself can be sent now and the reverts promised in every window that could hold
  /// that end still fit the reverts' share; false holds the mute back (the caller reports it as
  /// waiting and tries again later). A mute admitted but unable to leave would hold a promise, and
  /// the room it keeps, while it waits: promises would starve the mutes they are for.
  ///
  /// Held-back mutes are served oldest first: a mute is admitted only when the room also covers every
  /// mute held back before it that is still asking (asked within `stillAsking` seconds).
  ///
  /// Because a lease's length is an upper bound, its revert may be promised early: at the latest
  /// instant in [leaseEnd - slack, leaseEnd] whose windows have room (second by second). The caller
  /// ends the lease then. So a burst of mutes is spread over the windows before its lease ends instead
  /// of being held back. Returns that instant, or nil when the mute is held back.
  ///
  /// `behind` is how many more mutes of the same batch (one `apply` of a plan) are still to ask. A
  /// mute keeps its lease's end only when the room there also covers theirs; otherwise it takes the
  /// earliest instant of its slack that fits, leaving the later instants to the mutes behind it,
  /// whose lease ends are later. (Taking the latest instant, the first mutes of a burst fill the
  /// windows every later one would need, and the rest are held back a window: an online placement
  /// can only spread a burst it knows is coming.)
  public func admit(_ key: String, leaseEnd: Double, slack: Double = 0, behind: Int = 0) -> Double? {
    if ablation.contains(.admission) { return leaseEnd }
    let room = max(revertCost, Int(Double(limit) * revertShare))
    let t = now()
    holding = holding.filter { t - $0.value.last <= Self.stillAsking }
    let since = holding[key]?.since ?? t
    let older = holding.count { $0.key != key && $0.value.since < since }
    var at: Double? = nil
    if !closed, t >= pausedUntil, usedNow(at: t) + older < cap(.write, at: t) {
      let promises = Promises(reverts)
      let earliest = leaseEnd - max(0, slack)
      // At the lease's end if it fits; else with another revert of its call within the slack (then
      // it costs its unmute alone); else the latest second that fits.
      let call = Self.call(of: key)
      let withCall =
        promised.filter { Self.call(of: $0.key) == call }.map(\.end)
        + due.filter { Self.call(of: $0.key) == call }.map(\.value.end)
      func fits(_ instant: Double, also: Int = 0) -> Bool {
        let joins = withCall.contains { abs($0 - instant) <= Self.together }
        let need = (joins ? min(Self.unmuteOnly, revertCost) : revertCost) + revertCost * older + also
        return promises.busiest(around: instant, window: window) + need <= room
      }
      if fits(leaseEnd, also: revertCost * max(0, behind)) { at = leaseEnd }
      for end in withCall.sorted(by: >) where at == nil && end <= leaseEnd && end >= earliest && fits(end) {
        at = end
      }
      if behind > 0 {
        var candidate = earliest
        while at == nil, candidate <= leaseEnd {
          if fits(candidate) { at = candidate }
          candidate += 1
        }
        if at == nil, fits(leaseEnd) { at = leaseEnd }
      } else {
        var candidate = leaseEnd
        while at == nil, candidate > earliest {
          if fits(candidate) { at = candidate }
          candidate -= 1
        }
        if at == nil, fits(earliest) { at = earliest }
      }
    }
    guard let at else {
      if holding[key] == nil { heldBack += 1 }
      holding[key] = (since, t)
      return nil
    }
    holding[key] = nil
    promised.append((key, at))
    if at < leaseEnd { early += 1 }
    return at
  }

  /// How many reverts were promised before their lease's end (`admit`'s slack).
  public private(set) var early = 0

  /// Mutes held back and still asking, by lease key: since when, and when they last asked.
  private var holding: [String: (since: Double, last: Double)] = [:]
  /// A held-back mute asks again every second (the applier's wait); one that has not asked for this
  /// long gave up, and no longer keeps younger ones waiting.
  static let stillAsking = 2.5

  /// A promised revert's end moved later (its mute left later than promised).
  public func movePromise(_ key: String, from: Double, to: Double) {
    if let i = promised.firstIndex(where: { $0.key == key && $0.end == from }) { promised[i].end = to }
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
      held = [:]
    }
    if let allowed, allowed >= 1, allowed < limit { limit = allowed }
    if let count {
      // A server's count may raise ours, never lower it, and never past the limit.
      let missing = min(max(count, 0), limit) - usedNow(at: t)
      for _ in 0..<max(0, missing) { _ = hold(at: t, settled: true) }
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
    let pending = reverts.filter { $0.end >= t && $0.end <= t + max(interval, window) }.reduce(0) {
      $0 + $1.cost
    }
    let perWindow = limit - limit / 10
    return max(1, Int(Double(perWindow) * windows) - pending)
  }

  /// What is left of the current window for a class (for reports and tests).
  public func left(_ cls: RateClass = .read) -> Int {
    let t = now()
    if t < pausedUntil { return 0 }
    return max(0, cap(cls, at: t) - usedNow(at: t))
  }

  /// Reads time from `now` from here on: the run's clock (watch's monotonic one; with PostgreSQL, the
  /// database server's time), so the lease ends the run promises and expects, the `notAfter` of its
  /// requests and the budget's own windows are instants of one clock. What the budget measured on its
  /// own clock until now (the slots held, a 429's pause, the mutes held back) moves with it.
  public func useClock(_ now: @escaping @Sendable () -> Double) {
    let delta = now() - clock.now()
    if delta.isFinite && delta != 0 {
      held = held.mapValues { $0 + delta }
      pausedUntil += delta  // -infinity stays so
      holding = holding.mapValues { (since: $0.since + delta, last: $0.last + delta) }
    }
    clock.set(now)
    pump()
  }
}
