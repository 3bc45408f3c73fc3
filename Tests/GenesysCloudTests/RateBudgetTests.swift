import Foundation
import Testing

@testable import GenesysCloud

@Suite struct RateBudgetTests {
  actor Flag {
    var done = false
    func set() { done = true }
  }

  /// Ordinary requests stop a tenth of the window short of the limit; an urgent one (an on-time
  /// revert) may use that reserve.
  @Test func urgentRequestsMayUseTheReserve() async throws {
    #expect(RateBudget.reserve(300) == 30)
    #expect(RateBudget.reserve(25) == 3)
    #expect(RateBudget.reserve(nil) == 0)
    let budget = RateBudget()
    try await budget.acquire()
    // 27 of 30 used: 3 left, which is the reserve. The window resets in 5 s (room for a slow machine).
    await budget.record(count: 27, allowed: 30, reset: 5, retryAfter: nil, status: 200)
    let ordinaryDone = Flag()
    let started = Date()
    let ordinary = Task {
      try? await budget.acquire()
      await ordinaryDone.set()
    }
    try await Task.sleep(nanoseconds: 50_000_000)
    try await RatePriority.$urgent.withValue(true) { try await budget.acquire() }
    #expect(await ordinaryDone.done == false, "the ordinary request waits for the window to reset")
    await ordinary.value
    #expect(Date().timeIntervalSince(started) >= 4.9, "it waited for the reset")
    // Urgent requests stop at the limit itself: with nothing left they wait too.
    await budget.record(count: 30, allowed: 30, reset: 0.5, retryAfter: nil, status: 200)
    let t0 = Date()
    try await RatePriority.$urgent.withValue(true) { try await budget.acquire() }
    #expect(Date().timeIntervalSince(t0) >= 0.4)
  }

  final class Clock: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Double
    init(_ t: Double) { value = t }
    var now: Double { lock.withLock { value } }
    func advance(_ d: Double) { lock.withLock { value += d } }
  }

  /// The reserve grows to what the reverts due before the window resets will need; reverts due after
  /// it do not count, and a tenth of the window stays the floor.
  @Test func theReserveCoversTheRevertsDueBeforeTheReset() async throws {
    let clock = Clock(1_000)
    let budget = RateBudget(now: { clock.now })
    try await budget.acquire()
    await budget.record(count: 10, allowed: 30, reset: 20, retryAfter: nil, status: 200)
    #expect(await budget.ordinaryReserve(at: 1_000) == 3)
    await budget.expectUrgent(dueAt: [1_100, 995, 1_005, 1_015, 1_019], requestsEach: 4)
    // Due before the reset at 1 020: one overdue and three to come, four requests each.
    #expect(await budget.ordinaryReserve(at: 1_000) == 16)
    // 20 left and 16 held back: four ordinary requests go, the fifth waits.
    for _ in 0..<4 { try await budget.acquire() }
    let fifth = Flag()
    let waiting = Task {
      try? await budget.acquire()
      await fifth.set()
    }
    try await Task.sleep(nanoseconds: 300_000_000)
    #expect(await fifth.done == false, "the fifth ordinary request waits: the rest is for the reverts")
    // An urgent request may still go.
    try await RatePriority.$urgent.withValue(true) { try await budget.acquire() }
    // Once the window resets the ordinary request goes (the budget naps a second at most).
    clock.advance(21)
    await waiting.value
    #expect(await fifth.done)
    await budget.expectUrgent(dueAt: [], requestsEach: 4)
    #expect(await budget.ordinaryReserve(at: clock.now) == 3)
  }

  /// Answers arrive out of order: a late answer with an older, lower count does not give back budget
  /// already spent in the same window; a new window starts afresh.
  @Test func aLateAnswerDoesNotRaiseWhatIsLeft() async throws {
    let clock = Clock(1_000)
    let budget = RateBudget(now: { clock.now })
    for _ in 0..<3 { try await budget.acquire() }
    await budget.record(count: 25, allowed: 30, reset: 30, retryAfter: nil, status: 200)
    clock.advance(0.5)
    await budget.record(count: 20, allowed: 30, reset: 30, retryAfter: nil, status: 200)
    #expect(await budget.left == 5)
    // The next window: the service's reset has moved on by a window.
    clock.advance(31)
    await budget.record(count: 1, allowed: 30, reset: 60, retryAfter: nil, status: 200)
    #expect(await budget.left == 29)
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
