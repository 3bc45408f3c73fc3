import Foundation
import Testing

@testable import GenesysCloud

/// The budget counts its own requests (Genesys sends no rate-limit headers), serves them by class,
/// keeps the reverts' room, and promises reverts before their mutes go: all on an injected clock.
@Suite struct RateBudgetTests {
  final class Clock: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Double
    init(_ t: Double) { value = t }
    var now: Double { lock.withLock { value } }
    func advance(_ d: Double) { lock.withLock { value += d } }
  }

  actor Log {
    var items: [String] = []
    func add(_ s: String) { items.append(s) }
  }

  /// A request answered at once: a slot taken and settled.
  @discardableResult
  static func send(_ budget: RateBudget, _ cls: RateClass) async throws -> RateTicket {
    let ticket = try await budget.acquire(cls)
    await budget.settle(ticket)
    return ticket
  }

  /// Polls (in real time) until `check` holds, for work the budget's own timer resumes.
  func eventually(_ check: () async -> Bool) async -> Bool {
    for _ in 0..<400 {
      if await check() { return true }
      try? await Task.sleep(nanoseconds: 10_000_000)
    }
    return await check()
  }

  /// A budget moved onto the run's clock keeps what it holds: a window's slots taken before the move
  /// are still taken after it, whichever way the clocks differ, and free a window later.
  @Test func aBudgetMovedOntoTheRunsClockKeepsItsSlots() async throws {
    for offset in [-3_600.0, 3_600] {
      let clock = Clock(1_000)
      let budget = RateBudget(limit: 2, window: 10, now: { clock.now })
      for _ in 0..<2 { try await Self.send(budget, .revert) }
      await budget.useClock { clock.now + offset }
      #expect(await budget.left(.revert) == 0, "offset \(offset): the slots are still held")
      clock.advance(10.2)
      #expect(await budget.left(.revert) == 2, "offset \(offset): and free a span later")
    }
  }

  @Test func countsItsOwnRequestsInAWindow() async throws {
    let clock = Clock(1_000)
    let budget = RateBudget(limit: 5, window: 10, now: { clock.now })
    for _ in 0..<5 { try await Self.send(budget, .revert) }
    #expect(await budget.left(.revert) == 0)
    let log = Log()
    let sixth = Task {
      try await Self.send(budget, .revert)
      await log.add("sixth")
    }
    try await Task.sleep(nanoseconds: 100_000_000)
    #expect(await log.items.isEmpty, "the sixth waits for the next window")
    clock.advance(10.2)
    #expect(await eventually { await log.items == ["sixth"] })
    try await sixth.value
    #expect(await budget.sent == 6)
    #expect(await budget.left(.revert) == 4, "a new window, counted from its first request")
  }

  /// The service's fixed windows start at a request's arrival; requests this side sent at the end
  /// of its own window may open the service's next one. Counting a sliding window never lets that
  /// next window overflow (a fixed-window count here did, and every request then waited out a 429).
  @Test func requestsAtAWindowsEndStillCountAgainstTheNext() async throws {
    let clock = Clock(1_000)
    let budget = RateBudget(limit: 10, window: 10, now: { clock.now })
    for _ in 0..<5 { try await Self.send(budget, .revert) }
    clock.advance(0.5)
    await budget.record(count: nil, allowed: nil, reset: nil, retryAfter: nil, status: 200)
    clock.advance(10)  // 1010.5: the service's first window (from 1000) is over
    for _ in 0..<5 { try await Self.send(budget, .revert) }  // these open the service's second window
    clock.advance(0.2)
    #expect(await budget.left(.revert) == 5, "the five just sent count in the service's second window")
  }

  /// A slow request may reach the service late in its time: its slot is held until a span after its
  /// answer came back, not after its grant, so it cannot open the service's next window with room
  /// already counted as free here. That is why no room is kept for stragglers.
  @Test func aSlowRequestHoldsItsSlotUntilASpanAfterItsAnswer() async throws {
    let clock = Clock(1_000)
    let budget = RateBudget(limit: 2, window: 10, now: { clock.now })
    let slow = try await budget.acquire(.write)
    let quick = try await budget.acquire(.write)
    await budget.settle(quick)
    clock.advance(4)  // the slow one's answer comes back 4 s after it was granted
    await budget.settle(slow)
    #expect(await budget.left(.write) == 0)
    clock.advance(6.2)  // a span after the grants: the quick one's slot is free, the slow one's not
    #expect(await budget.left(.write) == 1, "the slow request may have reached the service at 1004")
    clock.advance(4)
    #expect(await budget.left(.write) == 2)
    // A permit given back unspent frees its slot at once; settling a slot twice changes nothing.
    let permit = try await budget.reserve(.write)
    #expect(await budget.left(.write) == 1)
    await budget.refund(permit)
    #expect(await budget.left(.write) == 2)
    let again = try await budget.acquire(.write)
    await budget.settle(again)
    await budget.settle(again)
    #expect(await budget.left(.write) == 1)
    #expect(await budget.sent == 3)
    // A slot never settled (its request lost) is held three spans, not for ever.
    _ = try await budget.acquire(.write)
    clock.advance(30)
    #expect(await budget.left(.write) == 1, "settled, it would have been free 20 s ago")
    clock.advance(0.5)
    #expect(await budget.left(.write) == 2)
  }

  @Test func classesAreServedInTheirOrder() async throws {
    let clock = Clock(1_000)
    // One request a window, so each window's grant is seen alone (four granted at once would log in
    // whatever order their tasks happen to resume).
    let budget = RateBudget(limit: 1, window: 10, now: { clock.now })
    try await Self.send(budget, .revert)
    let log = Log()
    var tasks: [Task<Void, any Error>] = []
    for cls in [RateClass.read, .confirm, .write, .revert] {
      tasks.append(
        Task {
          try await Self.send(budget, cls)
          await log.add("\(cls)")
        })
      try await Task.sleep(nanoseconds: 20_000_000)
    }
    for n in 1...4 {
      clock.advance(10.5)
      #expect(await eventually { await log.items.count == n })
    }
    #expect(await log.items == ["revert", "write", "confirm", "read"], "queued last, the revert goes first")
    for t in tasks { try await t.value }
  }

  @Test func everyClassBelowRevertsLeavesTheRevertsDueTheirRoom() async throws {
    let clock = Clock(1_000)
    let budget = RateBudget(limit: 30, window: 60, revertCost: 3, now: { clock.now })
    // Four reverts due within the window, three requests each: 12 kept; reads also leave a tenth (3)
    // to the changes. No room is kept for stragglers: slots are held until a span after the answer.
    await budget.expectUrgent(Self.leases([1_010, 1_020, 1_030, 1_040]))
    #expect(await budget.left(.read) == 15)
    #expect(await budget.left(.write) == 18)
    #expect(await budget.left(.revert) == 30)
    for _ in 0..<15 { try await Self.send(budget, .read) }
    let log = Log()
    let read = Task {
      try await Self.send(budget, .read)
      await log.add("read")
    }
    try await Task.sleep(nanoseconds: 100_000_000)
    #expect(await log.items.isEmpty, "the 16th read waits: the rest is for the changes and the reverts")
    for _ in 0..<3 { try await Self.send(budget, .write) }
    for _ in 0..<12 { try await Self.send(budget, .revert) }
    #expect(await budget.urgentWaited == 0)
    clock.advance(61)
    try await read.value
  }

  @Test func a429CorrectsTheCountAndHeadersMayOnlyRaiseIt() async throws {
    let clock = Clock(1_000)
    let budget = RateBudget(limit: 30, window: 60, revertCost: 3, now: { clock.now })
    try await Self.send(budget, .read)
    await budget.record(count: 25, allowed: nil, reset: nil, retryAfter: nil, status: 200)
    #expect(await budget.left(.revert) == 5, "a server's count may raise ours")
    await budget.record(count: 10, allowed: nil, reset: nil, retryAfter: nil, status: 200)
    #expect(await budget.left(.revert) == 5, "never lower it")
    await budget.record(count: nil, allowed: nil, reset: nil, retryAfter: 5, status: 429)
    #expect(await budget.throttled == 1)
    #expect(await budget.left(.revert) == 0, "the service's window is full until Retry-After")
    let log = Log()
    let next = Task {
      try await Self.send(budget, .revert)
      await log.add("sent")
    }
    try await Task.sleep(nanoseconds: 100_000_000)
    #expect(await log.items.isEmpty)
    clock.advance(5.1)
    #expect(await eventually { await log.items == ["sent"] })
    try await next.value
    #expect(await budget.left(.revert) == 29, "a new window began after the pause")
  }

  /// A hostile or broken answer cannot stop the budget: a huge or non-finite Retry-After pauses it
  /// at most `maxPause` (1 s when unusable), and an absurd header count neither crashes nor fills
  /// more than the window.
  @Test func hostileAnswersArePausedAtMostAMinuteAndCountsAreClamped() async throws {
    #expect(RateBudget.pause(retryAfter: 100_000) == RateBudget.maxPause)
    #expect(RateBudget.pause(retryAfter: .infinity) == 1)
    #expect(RateBudget.pause(retryAfter: .nan) == 1)
    #expect(RateBudget.pause(retryAfter: -5) == 1)
    #expect(RateBudget.pause(retryAfter: 0.5) == 0.5)
    let clock = Clock(1_000)
    let budget = RateBudget(limit: 30, window: 60, revertCost: 3, now: { clock.now })
    await budget.record(count: Int.max, allowed: nil, reset: nil, retryAfter: nil, status: 200)
    #expect(await budget.left(.revert) == 0, "the count is clamped to the limit, not Int.max")
    await budget.record(count: Int.min, allowed: nil, reset: nil, retryAfter: nil, status: 200)
    clock.advance(61)
    #expect(await budget.left(.revert) == 30)
    await budget.record(count: nil, allowed: nil, reset: nil, retryAfter: .infinity, status: 429)
    clock.advance(1.1)
    #expect(await budget.left(.revert) == 30, "an infinite Retry-After pauses 1 s")
    await budget.record(count: nil, allowed: nil, reset: nil, retryAfter: 100_000, status: 429)
    #expect(await budget.left(.revert) == 0)
    let log = Log()
    let revert = Task {
      try await Self.send(budget, .revert)
      await log.add("sent")
    }
    clock.advance(RateBudget.maxPause + 0.1)
    #expect(await eventually { await log.items == ["sent"] }, "sent after a minute, not 100,000 s")
    try await revert.value
  }

  @Test func admissionPromisesRevertsAndHoldsBackWhatWouldNotFit() async throws {
    let clock = Clock(1_000)
    // 30 a minute, 80 % for reverts at three requests each: 8 reverts in any minute.
    let budget = RateBudget(limit: 30, window: 60, revertCost: 3, now: { clock.now })
    for k in 0..<8 { #expect(await budget.admit("c\(k)/p", leaseEnd: 1_040 + Double(k)) != nil) }
    #expect(
      await budget.admit("c8/p", leaseEnd: 1_050) == nil, "a ninth revert in that minute would not fit")
    #expect(await budget.heldBack == 1)
    #expect(await budget.admit("c9/p", leaseEnd: 1_108) != nil, "a minute later there is room again")
    // A revert due from the journal counts like a promise.
    await budget.expectUrgent(Self.leases([1_200, 1_201, 1_202, 1_203, 1_204, 1_205, 1_206, 1_207]))
    #expect(await budget.admit("d0/p", leaseEnd: 1_230) == nil)
  }

  /// Open leases by key, as the watcher's on-time loop reads them from the journal.
  static func leases(_ ends: [Double], prefix: String = "j") -> [String: Double] {
    Dictionary(uniqueKeysWithValues: ends.enumerated().map { ("\(prefix)\($0.offset)/p", $0.element) })
  }

  /// A promise and the journal's record of the same lease are one revert, not two: when the on-time
  /// loop reads the leases the budget promised, the promises give way to them. (Counted twice, eight
  /// promised reverts held back every mute after the fourth, and their reservations starved the reads.)
  @Test func aPromisedRevertSeenInTheJournalCountsOnce() async throws {
    let clock = Clock(1_000)
    // 30 a minute, 80 % for reverts at three requests each: 8 reverts in any minute.
    let budget = RateBudget(limit: 30, window: 60, revertCost: 3, now: { clock.now })
    for k in 0..<4 { #expect(await budget.admit("c\(k)/p", leaseEnd: 1_030 + Double(k)) != nil) }
    let leftBefore = await budget.left(.read)
    // The mutes went out a little later than promised (within the applier's second), and the
    // journal now shows their leases.
    await budget.expectUrgent(
      Dictionary(uniqueKeysWithValues: (0..<4).map { ("c\($0)/p", 1_030.5 + Double($0)) }))
    #expect(await budget.left(.read) == leftBefore, "the journal's leases took the promises' room, no more")
    for k in 4..<8 { #expect(await budget.admit("c\(k)/p", leaseEnd: 1_040 + Double(k)) != nil, "mute \(k)") }
    #expect(await budget.admit("c8/p", leaseEnd: 1_050) == nil, "a ninth would not fit")
    // A new lease of a participant whose old lease is still open is a revert of its own.
    await budget.expectUrgent(["c0/p": 1_030.5])
    #expect(await budget.admit("c0/p", leaseEnd: 1_080) != nil)
    await budget.expectUrgent(["c0/p": 1_030.5])
    // At 1_030 the window reaches past 1_090: the old lease, four promises and the new one, three
    // requests each, less a tenth for the changes.
    clock.advance(30)
    #expect(await budget.left(.read) == 30 - 3 * 6 - 3)
  }

  /// A revert may be promised early, at most `slack` before its lease's end: a burst of mutes is
  /// spread over the windows before it instead of being held back.
  @Test func aRevertMayBePromisedEarlyWithinItsSlack() async throws {
    let clock = Clock(1_000)
    // 8 reverts in any minute (30 a minute, 80 %, three requests each).
    let budget = RateBudget(limit: 30, window: 60, revertCost: 3, now: { clock.now })
    for k in 0..<8 { #expect(await budget.admit("a\(k)/p", leaseEnd: 1_200) == 1_200) }
    #expect(await budget.admit("late", leaseEnd: 1_200) == nil, "without slack: held back")
    // With 60 s of slack the ninth revert is promised as late as fits: before the window that holds
    // the eight (every window containing 1_140 also contains 1_200 … down to 1_140 itself).
    let at = await budget.admit("early", leaseEnd: 1_200, slack: 60)
    #expect(at == 1_140)
    #expect(await budget.early == 1)
    #expect(await budget.admit("more", leaseEnd: 1_200, slack: 30) == nil, "30 s of slack is not enough")
  }

  /// A batch's burst is spread when the budget knows it is coming: a mute with others behind it
  /// keeps its lease's end only when the room there covers them too, and otherwise takes the
  /// earliest instant of its slack. Placed at their ends one by one, the first mutes of the second
  /// burst fill every window the later ones could use.
  @Test func aBatchKnownToComeIsSpreadOverTheSlack() async throws {
    // Two bursts of calls, two participants each: 4 calls, then 12 a minute later; 10-minute leases
    // with 60 s of slack; 24 requests of reverts in any minute (a read and two unmutes a call).
    let first: [Double] = (0..<4).map { 1_000 + 0.5 * Double($0) }
    let second: [Double] = (0..<12).map { 1_060.5 + Double($0) }
    let calls = first + second
    func admitted(told: Bool) async -> (calls: Int, early: Int) {
      let clock = Clock(1_000)
      let budget = RateBudget(limit: 30, window: 60, revertCost: 2, now: { clock.now })
      var n = 0
      for (i, t) in calls.enumerated() {
        clock.advance(t - clock.now)
        var both = true
        for (k, p) in ["a", "b"].enumerated() {
          let behind = told ? (calls.count - i - 1) * 2 + (1 - k) : 0
          if await budget.admit("call\(i)/\(p)", leaseEnd: t + 600, slack: 60, behind: behind) == nil {
            both = false
          }
        }
        if both { n += 1 }
      }
      return (n, await budget.early)
    }
    let alone = await admitted(told: false)
    #expect(alone.calls == 12, "one at a time, four calls of the second burst are held back")
    let batch = await admitted(told: true)
    #expect(batch.calls == 16, "told the batch, every call's reverts fit")
    #expect(batch.early > 0)
    // A batch that fits at its lease ends keeps them: nothing is promised early.
    let clock = Clock(1_000)
    let budget = RateBudget(limit: 30, window: 60, revertCost: 2, now: { clock.now })
    for k in 0..<6 {
      #expect(await budget.admit("small\(k)/a", leaseEnd: 1_600, slack: 60, behind: 5 - k) == 1_600)
    }
    #expect(await budget.early == 0)
  }

  /// Reverts are charged per call: a second participant of a call whose revert falls due with the
  /// first costs its unmute alone (one reconcile reads the call once and unmutes both).
  @Test func theRevertsOfOneCallDueTogetherShareItsRead() async throws {
    let clock = Clock(1_000)
    // 30 a minute, 80 %: 24 requests of reverts in any minute; 2 each: 12 calls of one participant.
    let budget = RateBudget(limit: 30, window: 60, revertCost: 2, now: { clock.now })
    for k in 0..<8 { #expect(await budget.admit("call\(k)/a", leaseEnd: 1_100) != nil) }
    // Eight calls of two participants each: 8 × (2 + 1) = 24.
    for k in 0..<8 { #expect(await budget.admit("call\(k)/b", leaseEnd: 1_100.5) != nil, "call \(k)") }
    #expect(await budget.admit("call8/a", leaseEnd: 1_100) == nil, "a ninth call's read does not fit")
    clock.advance(50)  // the window now reaches the lease ends
    #expect(await budget.left(.write) == 30 - 24, "what the reverts keep")
  }

  /// Mutes held back are admitted oldest first: when room frees, a younger mute that asks first is
  /// still held back while an older one is asking, and one that stopped asking keeps nobody waiting.
  @Test func heldBackMutesAreAdmittedOldestFirst() async throws {
    let clock = Clock(1_000)
    // 8 reverts in any minute (30 a minute, 80 % for reverts, three requests each).
    let budget = RateBudget(limit: 30, window: 60, revertCost: 3, now: { clock.now })
    for k in 0..<8 { #expect(await budget.admit("full\(k)/p", leaseEnd: 1_030) != nil) }
    #expect(await budget.admit("old", leaseEnd: 1_040) == nil)
    clock.advance(0.5)
    #expect(await budget.admit("young", leaseEnd: 1_040.5) == nil)
    // Room for one revert near 1_100: the young mute asks first and is still held back.
    await budget.expectUrgent(Self.leases(Array(repeating: 1_100, count: 7)))
    clock.advance(0.5)
    #expect(await budget.admit("young", leaseEnd: 1_100) == nil, "an older mute is still asking")
    #expect(await budget.admit("old", leaseEnd: 1_100) != nil)
    #expect(await budget.admit("young", leaseEnd: 1_100.5) == nil, "no room left")
    // A held-back mute that stops asking (its call ended, its work was dropped) holds up nobody.
    await budget.expectUrgent(Self.leases(Array(repeating: 1_300, count: 8), prefix: "k"))
    #expect(await budget.admit("gone", leaseEnd: 1_300) == nil)
    clock.advance(0.5)
    #expect(await budget.admit("next", leaseEnd: 1_300.5) == nil)
    await budget.expectUrgent(Self.leases(Array(repeating: 1_300, count: 7), prefix: "k"))
    #expect(await budget.admit("next", leaseEnd: 1_300.5) == nil, "'gone' asked half a second ago")
    clock.advance(3)
    #expect(await budget.admit("next", leaseEnd: 1_300.5) != nil, "'gone' stopped asking")
    #expect(await budget.heldBack == 4, "each held-back mute counted once, however often it asked")
  }

  @Test func closingRefusesWaitingAndLaterRequests() async throws {
    let clock = Clock(1_000)
    let budget = RateBudget(limit: 1, window: 60, now: { clock.now })
    try await Self.send(budget, .read)
    let waiting = Task { try await Self.send(budget, .read) }
    try await Task.sleep(nanoseconds: 50_000_000)
    await budget.close()
    await #expect(throws: RateBudgetClosed.self) { try await waiting.value }
    await #expect(throws: RateBudgetClosed.self) { try await Self.send(budget, .revert) }
  }

  /// A lease whose call's current snapshot can be reverted from keeps only its unmute's room.
  @Test func aRevertFromASnapshotKeepsTheUnmutesRoomAlone() async throws {
    let clock = Clock(1_000)
    let budget = RateBudget(limit: 30, window: 60, revertCost: 2, now: { clock.now })
    let due = Self.leases([1_010, 1_020, 1_030, 1_040])
    await budget.expectUrgent(due)
    #expect(await budget.left(.write) == 30 - 4 * 2)
    await budget.expectUrgent(due, fromSnapshot: ["j0/p", "j1/p", "j2/p"])
    #expect(await budget.left(.write) == 30 - 3 * 1 - 2)
  }

  @Test func aFullReconcileReadsWhatTheBudgetAllows() async throws {
    let clock = Clock(1_000)
    let budget = RateBudget(limit: 300, window: 60, now: { clock.now })
    #expect(await budget.readAllowance(over: 15) == 67, "a quarter of a minute's reads (270 a minute)")
    #expect(await budget.readAllowance(over: 60) == 270)
    await budget.expectUrgent(Self.leases((0..<10).map { 1_010 + Double($0) }))
    #expect(
      await budget.readAllowance(over: 60) == 250, "less what ten reverts keep (a read and an unmute each)")
  }
}

/// Long waits say so at their interval, and nothing once they are over.
@Suite struct HeartbeatTests {
  final class Lines: @unchecked Sendable {
    let lock = NSLock()
    var items: [String] = []
    func add(_ s: String) { lock.withLock { items.append(s) } }
    var all: [String] { lock.withLock { items } }
  }

  @Test func saysWhatItWaitsForAtItsIntervalAndStopsWithTheWait() async throws {
    let lines = Lines()
    // The wait ends once two beats were said (or after 20 s, on a machine too loaded to beat at all).
    let value = try await withHeartbeat(every: 0.05, { lines.add($0) }, { "waited \($0)" }) {
      let deadline = Date().addingTimeInterval(20)
      while lines.all.count < 2 && Date() < deadline { try await Task.sleep(nanoseconds: 10_000_000) }
      return 7
    }
    #expect(value == 7)
    let said = lines.all
    #expect(said.count >= 2, "\(said)")
    #expect(said.first == "waited 0")
    try await Task.sleep(nanoseconds: 300_000_000)
    #expect(lines.all.count <= said.count + 1, "nothing after the wait ended (one may be on its way)")
    let quick = try await withHeartbeat(every: 5, { lines.add($0) }, { "never \($0)" }) { 1 }
    #expect(quick == 1)
  }
}
