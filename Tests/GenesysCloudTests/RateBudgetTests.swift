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
    await budget.acquire()
    // 27 of 30 used: 3 left, which is the reserve. The window resets in 5 s (room for a slow machine).
    await budget.record(count: 27, allowed: 30, reset: 5, retryAfter: nil, status: 200)
    let ordinaryDone = Flag()
    let started = Date()
    let ordinary = Task {
      await budget.acquire()
      await ordinaryDone.set()
    }
    try await Task.sleep(nanoseconds: 50_000_000)
    await RatePriority.$urgent.withValue(true) { await budget.acquire() }
    #expect(await ordinaryDone.done == false, "the ordinary request waits for the window to reset")
    await ordinary.value
    #expect(Date().timeIntervalSince(started) >= 4.9, "it waited for the reset")
    // Urgent requests stop at the limit itself: with nothing left they wait too.
    await budget.record(count: 30, allowed: 30, reset: 0.5, retryAfter: nil, status: 200)
    let t0 = Date()
    await RatePriority.$urgent.withValue(true) { await budget.acquire() }
    #expect(Date().timeIntervalSince(t0) >= 0.4)
  }
}
