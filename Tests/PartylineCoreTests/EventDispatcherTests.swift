import Testing

@testable import PartylineCore

/// The events' dispatcher: one worker per call, newer work replacing older, and at most `limit`
/// calls reconciling at once, the others served oldest first.
@Suite struct EventDispatcherTests {
  func call(_ id: String) -> LiveConversation { LiveConversation(id: id, participants: []) }

  func snapshotId(_ work: EventDispatcher.Work) -> String? {
    if case .snapshot(let c) = work { return c.id }
    return nil
  }

  @Test func aCallHasOneWorkerAndItsLatestWorkWaits() async {
    let d = EventDispatcher(limit: 4)
    #expect(await d.offer("a", .snapshot(call("a"))))
    #expect(await d.next(after: "a")?.cid == "a")
    // While a's reconcile runs, two more events: only the latest is kept, no second worker.
    #expect(!(await d.offer("a", .snapshot(call("a")))))
    #expect(!(await d.offer("a", .read)))
    let next = await d.next(after: "a")
    #expect(next?.cid == "a")
    if case .read = next?.work {} else { Issue.record("the latest work (a read) was not the one kept") }
    #expect(await d.next(after: "a") == nil)
    #expect(await d.load == (0, 0))
  }

  @Test func beyondTheLimitCallsWaitAndAreServedOldestFirst() async {
    let d = EventDispatcher(limit: 2)
    #expect(await d.offer("a", .snapshot(call("a"))))
    #expect(await d.offer("b", .snapshot(call("b"))))
    #expect(!(await d.offer("c", .snapshot(call("c")))))
    #expect(!(await d.offer("d", .snapshot(call("d")))))
    #expect(!(await d.offer("c", .read)))  // c waits once, with its latest work
    #expect(await d.load == (2, 2))
    _ = await d.next(after: "a")
    _ = await d.next(after: "b")
    // a's worker is done with a: it takes c, the call that waited longest, with c's latest work.
    let c = await d.next(after: "a")
    #expect(c?.cid == "c")
    if case .read = c?.work {} else { Issue.record("c's latest work was not kept") }
    let dd = await d.next(after: "b")
    #expect(dd?.cid == "d")
    #expect(snapshotId(dd!.work) == "d")
    #expect(await d.load == (2, 0))
    #expect(await d.next(after: "c") == nil)
    #expect(await d.next(after: "d") == nil)
    #expect(await d.load == (0, 0))
  }

  @Test func aThousandCallsNeverRunMoreThanTheLimit() async {
    let d = EventDispatcher(limit: 8)
    var workers: [String] = []
    for i in 0..<1000 where await d.offer("c\(i)", .snapshot(call("c\(i)"))) { workers.append("c\(i)") }
    #expect(workers.count == 8)
    var served = 0
    var maxRunning = 0
    for w in workers {
      var cid = w
      while let (next, _) = await d.next(after: cid) {
        cid = next
        served += 1
        maxRunning = max(maxRunning, await d.load.running)
      }
    }
    #expect(served == 1000)
    #expect(maxRunning <= 8)
    #expect(await d.load == (0, 0))
  }

  @Test func abandonDropsWhatWaits() async {
    let d = EventDispatcher(limit: 1)
    #expect(await d.offer("a", .read))
    #expect(!(await d.offer("b", .read)))
    await d.abandon()
    #expect(await d.load == (0, 0))
    #expect(await d.next(after: "a") == nil)
  }
}
