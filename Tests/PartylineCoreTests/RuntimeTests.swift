import PartylineCore
import PartylineTestSupport
import Synchronization
import Testing
import YAMLReader

/// The runtime on a manual clock: no real waiting, and every instant exact.
enum Runtime {
  static let t0 = 1_800_000_000.0
  static let muteCustomer = "  mute:\n    - purpose: customer\n      for: 30s\n"

  static func files(_ spec: String) -> [(name: String, text: String)] {
    [
      (
        name: "p.yaml",
        text:
          "apiVersion: partyline/v1\nkind: ConversationPolicy\nmetadata: {name: p1}\nspec:\n  conversation: \(World.conv)\n"
          + spec
      )
    ]
  }

  /// A watcher of `files` over `calls` (its source and executor) on `clock`, with `journal`, free locks,
  /// a roomy budget, no events, full reconciles every 5 minutes and a 5 s confirmation.
  static func watcher(
    _ files: [(name: String, text: String)], _ clock: ManualClock, _ calls: ServedCalls,
    _ journal: MemoryJournal
  ) -> Watcher {
    let counter = Counter()
    var watcher = Watcher(
      workspace: "default", clock: clock, source: calls, executor: calls, eventExecutor: calls,
      journal: journal, locker: InProcessLocker(FreeLocks(), clock: clock), budget: RoomyBudget(),
      events: nil, interval: .seconds(300), reload: { compile(files) },
      runId: { "r\(counter.next())-\(clock.now())" })
    watcher.confirmTimeout = .seconds(5)
    return watcher
  }

  /// A full reconcile of `set` against `calls`, run with `calls` as the executor.
  static func reconcile(
    _ set: PolicySet, _ calls: ServedCalls, _ journal: MemoryJournal, _ clock: ManualClock,
    locker: any ConversationLocker = FreeLocks()
  ) -> @Sendable () async throws -> Reconcile.Outcome {
    let r = Reconcile(
      .full(), set: set, wholeSet: true, workspace: "default", source: calls, clock: clock, journal: journal,
      run: "r1")
    let e = Reconcile.Execution(executor: calls, locker: locker, parallelism: 4)
    return { try await r.run(e) }
  }
}

@Suite struct WatcherTests {
  @Test func aRevertDueAtTIsSentAtTWithNoRealWaiting() async throws {
    let clock = ManualClock(now: Runtime.t0)
    let files = Runtime.files(Runtime.muteCustomer)
    let set = try #require(compile(files).policySet)
    let calls = ServedCalls(World.live([World.customer, World.agentAda]), clock: clock)
    let journal = MemoryJournal()
    let watcher = Runtime.watcher(files, clock, calls, journal)
    let signal = RunSignal()
    let run = Task { await watcher.run(set, signal: signal) }
    // The first full reconcile mutes at once.
    #expect(await ManualClock.eventually { calls.calls.contains { $0.what == "mute" } })
    #expect(calls.calls.first { $0.what == "mute" }?.at == Runtime.t0)
    let lease = try #require(JournalState(journal.records, workspace: "default").leases.first)
    #expect(lease.endsAt == Runtime.t0 + 30)
    // The clock moves from sleep to sleep, never past the lease's end, then stands still there.
    while clock.now() < lease.endsAt { await clock.step(limit: lease.endsAt) }
    #expect(await ManualClock.eventually { calls.calls.contains { $0.what == "unmute" } }, "\(calls.calls)")
    #expect(calls.calls.filter { $0.what == "unmute" }.map(\.at) == [lease.endsAt], "sent at T, not T+1 s")
    #expect(calls.live.conversations[World.conv]?.participants.first?.muted == false)

    // What is in flight (the revert's confirming read) gets the grace, on the clock.
    signal.stop()
    try await clock.run { await run.value }
  }

  @Test func theStopEndsEveryLoopAndTheBudgetIsClosed() async throws {
    let clock = ManualClock(now: Runtime.t0)
    let files = Runtime.files("  unmute:\n    - purpose: customer\n")
    let set = try #require(compile(files).policySet)
    let calls = ServedCalls(World.live([World.customer, World.agentAda]), clock: clock)
    let budget = ClosingBudget()
    let watcher = Watcher(
      workspace: "default", clock: clock, source: calls, executor: calls, eventExecutor: calls,
      journal: MemoryJournal(), locker: InProcessLocker(FreeLocks(), clock: clock),
      budget: budget,
      events: nil, interval: .seconds(300), reload: { compile(files) }, runId: { "r" })
    let signal = RunSignal()
    let run = Task { await watcher.run(set, signal: signal) }
    #expect(await ManualClock.eventually { clock.sleeping.count >= 2 })
    signal.stop()
    await run.value  // returns without the clock moving: every loop ends at the stop
    #expect(await ManualClock.eventually { budget.closed })
  }
}

@Suite struct ReconcilerTests {
  @Test func aReconcileThatFindsItsConversationActedOnUnderTheLockPlansItAgain() async throws {
    let clock = ManualClock(now: Runtime.t0)
    let set = try #require(compile(Runtime.files(Runtime.muteCustomer)).policySet)
    let calls = ServedCalls(World.live([World.customer, World.agentAda]), clock: clock)
    let journal = MemoryJournal()
    // Between the plan and the lock, another run mutes the customer (a human, a scheduled apply).
    let locker = RacingLocker {
      try await journal.append([
        JournalRecord(
          kind: .outcome, id: "other-1", at: Runtime.t0, workspace: "default", run: "other",
          action: .unmute, conversation: World.conv, participant: World.customerP, policy: "p1",
          directive: "x",
          status: .ok)
      ])
      calls.change(World.conv, World.customerP) { $0.muted = true }
    }
    let r = Runtime.reconcile(set, calls, journal, clock, locker: locker)
    let outcome = try await clock.run { try await r() }
    #expect(outcome.plan.changes.contains { $0.action == .mute }, "planned from the first read")
    #expect(calls.reads.first == World.conv, "read again under the lock")
    #expect(!calls.calls.contains { $0.what == "mute" }, "not sent: the fresh plan has nothing to do")
  }

  @Test func withoutAnotherRunTheFirstPlanIsCarriedOut() async throws {
    let clock = ManualClock(now: Runtime.t0)
    let set = try #require(compile(Runtime.files(Runtime.muteCustomer)).policySet)
    let calls = ServedCalls(World.live([World.customer, World.agentAda]), clock: clock)
    let journal = MemoryJournal()
    let r = Runtime.reconcile(set, calls, journal, clock, locker: RacingLocker {})
    let outcome = try await clock.run { try await r() }
    #expect(outcome.report?.items.map(\.result) == [.confirmed])
    #expect(calls.calls.map(\.what) == ["mute"])
    // The confirming read is the only conversation read: the plan was not made again.
    #expect(calls.reads == [World.conv])
  }
}

extension ReconcilerTests {
  /// A journal is input: a lease whose conversation id is not a UUID (a tampered or foreign line) is
  /// never handed to the live-state source, and nothing is sent for it.
  @Test func aLeaseWhoseConversationIdIsNotAUUIDIsNotReadNorActedOn() async throws {
    let clock = ManualClock(now: Runtime.t0)
    let set = try #require(compile(Runtime.files(Runtime.muteCustomer)).policySet)
    let calls = ServedCalls(World.live([World.customer, World.agentAda]), clock: clock)
    let bad = "../users/me"
    let journal = MemoryJournal([
      JournalRecord(
        kind: .intent, id: "old-1", at: Runtime.t0 - 60, workspace: "default", run: "old", action: .mute,
        conversation: bad, participant: World.customerP, policy: "p1", directive: "d", reason: nil,
        leaseEnds: Runtime.t0 - 30),
      JournalRecord(
        kind: .outcome, id: "old-1", at: Runtime.t0 - 60, workspace: "default", run: "old", action: .mute,
        conversation: bad, participant: World.customerP, policy: "p1", directive: "d", status: .ok),
    ])
    #expect(JournalState(journal.records, workspace: "default").leases.contains { $0.conversation == bad })
    let r = Runtime.reconcile(set, calls, journal, clock)
    let outcome = try await clock.run { try await r() }
    #expect(!calls.extraAsked.contains(bad) && !calls.reads.contains(bad), "never read")
    #expect(!calls.calls.contains { $0.conversation == bad }, "nothing sent: \(calls.calls)")
    // A change's conversation is a checked id: the planner makes none for it, and says so.
    #expect(outcome.report?.items.allSatisfy { $0.change.conversation.rawValue != bad } ?? true)
    #expect(
      outcome.plan.findings.contains {
        $0.kind == .journalUnreadable && $0.message.contains("'../users/me', which is not a UUID: left alone")
      }, "\(outcome.plan.findings.map(\.message))")
    #expect(calls.calls.map(\.what) == ["mute"], "the valid conversation is served as before")
  }
}

@Suite struct ApplierTests {
  func plan(_ set: PolicySet, _ live: LiveState) -> Plan {
    Planner(wholeSet: true).plan(set, live: live, leases: [], now: Runtime.t0)
  }

  @Test func aMuteIsJournalledBeforeItIsSentAndConfirmedOnAReRead() async throws {
    let clock = ManualClock(now: Runtime.t0)
    let set = try #require(compile(Runtime.files(Runtime.muteCustomer)).policySet)
    let calls = ServedCalls(World.live([World.customer, World.agentAda]), clock: clock)
    let journal = MemoryJournal()
    let applier = Applier(
      executor: calls, journal: journal, workspace: "default", run: "r1", confirmTimeout: .seconds(5),
      clock: clock)
    let p = plan(set, calls.live)
    let report = try await clock.run { await applier.apply(p) }
    #expect(report.items.map(\.result) == [.confirmed])
    let kinds = journal.records.map(\.kind)
    #expect(kinds == [.intent, .outcome])
    let intent = try #require(journal.records.first)
    #expect(intent.at == Runtime.t0 && intent.leaseEnds == Runtime.t0 + 30)
    #expect(calls.reads == [World.conv], "one confirming read")
    // It came after the first poll interval, on the clock.
    #expect(clock.now() >= Runtime.t0 + 0.25)
  }

  /// The confirming read's wait is learned from the waits chosen, not from the time the read waited
  /// for the rate budget: learned from that, a window's wait made every later conversation's
  /// confirmation wait 2 s (an apply of 150 calls ran 20 s past its window bound).
  @Test func aConfirmingReadsWaitForTheBudgetIsNotLearnedAsTheChangesDelay() async throws {
    let clock = ManualClock(now: Runtime.t0)
    let set = try #require(compile(Runtime.files(Runtime.muteCustomer)).policySet)
    let calls = ServedCalls(World.live([World.customer, World.agentAda]), clock: clock)
    var applier = Applier(
      executor: Budgeted(inner: calls, clock: clock, readWait: .seconds(20)), journal: MemoryJournal(),
      workspace: "default", run: "r1", confirmTimeout: .seconds(60), clock: clock)
    let timing = ConfirmationTiming()
    applier.timing = timing
    let (p, timed) = (plan(set, calls.live), applier)
    let report = try await clock.run { await timed.apply(p) }
    #expect(report.items.map(\.result) == [.confirmed])
    #expect(clock.now() >= Runtime.t0 + 20, "the read waited for the budget")
    #expect(await timing.estimate == .milliseconds(250), "seen on the first read after the 0.25 s chosen")
  }

  @Test func aChangeWhoseIdIsNotAUUIDIsBlockedBeforeAnythingIsJournalledOrSent() async throws {
    let clock = ManualClock(now: Runtime.t0)
    let calls = ServedCalls(World.live([World.customer, World.agentAda]), clock: clock)
    let journal = MemoryJournal()
    let applier = Applier(
      executor: calls, journal: journal, workspace: "default", run: "r1", confirmTimeout: .seconds(5),
      clock: clock)
    let bad = [
      PlannedChange(
        .add(.user(.id("not-a-uuid")), role: "agent"), conversation: ConversationId(World.conv)!,
        subject: "x",
        actingUser: World.ada, policy: "p1", directive: "", location: nil, before: "absent",
        after: "alerting",
        explanation: ""),
      PlannedChange(
        .unmute(participant: try #require(ParticipantId(World.customerP))),
        conversation: ConversationId(World.conv)!,
        subject: "x", actingUser: "me",
        policy: "p1", directive: "", location: nil, before: "muted", after: "unmuted", explanation: ""),
    ]
    let plan = Plan(changes: bad, findings: [], createdAt: Runtime.t0, policySetDigest: "", snapshots: [:])
    let report = try await clock.run { await applier.apply(plan) }
    #expect(report.items.map(\.result) == [.blocked, .blocked])
    // A participant id that is not a UUID cannot even make an effect: the type refuses it.
    #expect(ParticipantId("../../users/me") == nil)
    #expect(calls.calls.isEmpty && calls.reads.isEmpty && journal.records.isEmpty)
  }

  @Test func aMuteWhoseRevertCannotBePromisedWaitsOnTheClockThenIsHeldBack() async throws {
    let clock = ManualClock(now: Runtime.t0)
    let set = try #require(compile(Runtime.files(Runtime.muteCustomer)).policySet)
    let calls = ServedCalls(World.live([World.customer, World.agentAda]), clock: clock)
    let journal = MemoryJournal()
    var applier = Applier(
      executor: Budgeted(inner: calls, promises: false), journal: journal, workspace: "default", run: "r1",
      confirmTimeout: .seconds(5),
      clock: clock)
    applier.admissionWait = .seconds(3)
    let (p, waiting) = (plan(set, calls.live), applier)
    let report = try await clock.run { await waiting.apply(p) }
    #expect(report.items.map(\.result) == [.waiting])
    #expect(calls.calls.isEmpty && journal.records.isEmpty, "nothing sent, nothing journalled")
    #expect(clock.now() >= Runtime.t0 + 3, "it waited the admission wait, on the clock")
  }

  /// A `from: connect` mute held back until its window passed is dropped — never sent late — and
  /// journalled so: its intent and a failed outcome saying why (no lease is read from them).
  @Test func aHeldBackMuteWhoseWindowPassesIsDroppedAndJournalled() async throws {
    let clock = ManualClock(now: Runtime.t0)
    let files = Runtime.files("  mute:\n    - purpose: customer\n      for: 20s\n      from: connect\n")
    let set = try #require(compile(files).policySet)
    var customer = World.customer
    customer.connectedTime = Runtime.t0 - 15  // the greeting's window ends at t0 + 5
    let calls = ServedCalls(World.live([customer, World.agentAda]), clock: clock)
    let journal = MemoryJournal()
    var applier = Applier(
      executor: Budgeted(inner: calls, promises: false), journal: journal, workspace: "default", run: "r1",
      confirmTimeout: .seconds(5), clock: clock)
    applier.admissionWait = .seconds(60)
    let (p, waiting) = (plan(set, calls.live), applier)
    #expect(p.actionable.first?.dueAt == Runtime.t0 + 5)
    let report = try await clock.run { await waiting.apply(p) }
    #expect(report.items.map(\.result) == [.waiting])
    #expect(report.items.first?.detail?.contains("dropped, never sent late") == true, "\(report.items)")
    #expect(calls.calls.isEmpty, "never sent")
    #expect(clock.now() < Runtime.t0 + 5, "it stopped waiting before the window's end")
    #expect(journal.records.map(\.kind) == [.intent, .outcome])
    #expect(journal.records.last?.status == .failed)
    #expect(journal.records.last?.error?.hasPrefix("not sent: held back until its window passed") == true)
    #expect(JournalState(journal.records, workspace: "default").leases.isEmpty, "no lease to revert")
  }

  /// A held-back mute stops waiting as soon as a newer event of its call came: sent late it would go
  /// out on a stale snapshot (the call may have ended); the newer event plans the call again.
  @Test func aHeldBackMuteIsDroppedWhenANewerEventOfItsCallComes() async throws {
    let clock = ManualClock(now: Runtime.t0)
    let set = try #require(compile(Runtime.files(Runtime.muteCustomer)).policySet)
    let calls = ServedCalls(World.live([World.customer, World.agentAda]), clock: clock)
    let journal = MemoryJournal()
    var applier = Applier(
      executor: Budgeted(inner: calls, promises: false), journal: journal, workspace: "default", run: "r1",
      confirmTimeout: .seconds(5), clock: clock)
    applier.admissionWait = .seconds(60)
    // The call's next event comes 2.5 s into the wait.
    applier.superseded = { cid in cid == World.conv && clock.now() >= Runtime.t0 + 2.5 }
    let (p, waiting) = (plan(set, calls.live), applier)
    let report = try await clock.run { await waiting.apply(p) }
    #expect(report.items.map(\.result) == [.waiting])
    #expect(report.items.first?.detail?.contains("dropped") == true, "\(report.items)")
    #expect(calls.calls.isEmpty && journal.records.isEmpty, "nothing sent, nothing journalled")
    #expect(clock.now() < Runtime.t0 + 10, "it stopped waiting at the newer event, not after 60 s")
  }
}

@Suite struct InProcessLockerTests {
  @Test func aSecondLockWaitsThenGivesUpAfterTheTimeoutOnTheClock() async throws {
    let clock = ManualClock(now: Runtime.t0)
    let locker = InProcessLocker(FreeLocks(), clock: clock)
    let held = try await locker.lock(World.conv, within: .seconds(10))
    let second = Task { try await locker.lock(World.conv, within: .seconds(10)) }
    #expect(await ManualClock.eventually { clock.sleeping.count == 1 })
    clock.advance(by: 9.9)
    try? await Task.sleep(nanoseconds: 20_000_000)
    clock.advance(by: 0.1)
    await #expect(throws: LockTimeout.self) { _ = try await second.value }
    await held.release()
  }

  @Test func aReleasedLockIsHandedToTheWaiter() async throws {
    let clock = ManualClock(now: Runtime.t0)
    let locker = InProcessLocker(FreeLocks(), clock: clock)
    let held = try await locker.lock(World.conv, within: .seconds(10))
    let second = Task { try await locker.lock(World.conv, within: .seconds(10)) }
    #expect(await ManualClock.eventually { clock.sleeping.count == 1 })
    await held.release()
    let next = try await second.value
    await next.release()
    #expect(clock.now() == Runtime.t0, "no time passed")
  }

  /// A lock held for 4 s of a manual clock while a second waits for it, then released: the second's
  /// outcome, each asking `backend` after the wait within the process.
  static func secondLockAfterFourSeconds(_ backend: WaitsGiven) async throws -> Result<
    any ConversationLock, any Error
  > {
    let clock = ManualClock(now: Runtime.t0)
    let locker = InProcessLocker(backend, clock: clock)
    let held = try await locker.lock(World.conv, within: .seconds(10))
    let second = Task { try await locker.lock(World.conv, within: .seconds(10)) }
    #expect(await ManualClock.eventually { clock.sleeping.count == 1 })
    clock.advance(by: 4)
    await held.release()
    return await second.result
  }

  @Test func theWaitWithinTheProcessIsTakenFromWhatTheBackendMayWait() async throws {
    let backend = WaitsGiven()
    let next = try await Self.secondLockAfterFourSeconds(backend).get()
    await next.release()
    #expect(backend.given == [.seconds(10), .seconds(6)], "one --lock-timeout for both layers, not one each")
  }

  @Test func aTimeoutThroughBothLayersSaysTheWholeWait() async throws {
    let outcome = try await Self.secondLockAfterFourSeconds(WaitsGiven(refusing: true))
    guard case .failure(let error as LockTimeout) = outcome else {
      Issue.record("the backend refused: a LockTimeout was expected, not \(outcome)")
      return
    }
    #expect(error.waited == .seconds(10), "4 s here and the backend's 6 s: \(error)")
    #expect(error.description.contains("gave up after 10s"), "\(error)")
  }

  @Test func theOnTimeLoopJoinsAConversationAnotherReconcileHolds() async throws {
    let clock = ManualClock(now: Runtime.t0)
    let locker = InProcessLocker(FreeLocks(), clock: clock)
    let held = try await locker.lock(World.conv, within: .seconds(10))
    let joined = try await locker.lockOrJoin(World.conv, within: .seconds(10))  // at once: no wait
    await joined.release()
    await held.release()
    let again = try await locker.lock(World.conv, within: .seconds(10))  // the join did not release the holder's lock twice
    await again.release()
  }
}

@Suite struct JournalStateTests {
  func record(
    _ kind: JournalRecord.Kind, _ id: String, _ action: PlannedChange.Action,
    status: JournalRecord.Status? = nil,
    participant: String = World.customerP, ends: Double? = nil
  ) -> JournalRecord {
    JournalRecord(
      kind: kind, id: id, at: Runtime.t0, workspace: "default", run: "r1", action: action,
      conversation: World.conv, participant: participant, policy: "p1", directive: "d1",
      leaseEnds: ends, status: status)
  }

  @Test func aMuteIsALeaseUnlessItFailedAndARevertServesIt() {
    let ends = Runtime.t0 + 30
    let open = JournalState([record(.intent, "a", .mute, ends: ends)], workspace: "default").leases
    #expect(
      open.map(\.status) == [.open] && open.first?.outcomeKnown == false, "no outcome: it may have happened")
    let failed = JournalState(
      [record(.intent, "a", .mute, ends: ends), record(.outcome, "a", .mute, status: .failed)],
      workspace: "default")
    #expect(failed.leases.isEmpty)
    let served = JournalState(
      [
        record(.intent, "a", .mute, ends: ends), record(.outcome, "a", .mute, status: .ok),
        record(.intent, "b", .revert), record(.outcome, "b", .revert, status: .ok),
      ], workspace: "default")
    #expect(served.leases.map(\.status) == [.served])
    let unsure = JournalState(
      [
        record(.intent, "a", .mute, ends: ends), record(.outcome, "a", .mute, status: .ok),
        record(.intent, "b", .revert), record(.outcome, "b", .revert, status: .unknown),
      ], workspace: "default")
    #expect(unsure.leases.map(\.status) == [.open], "a revert of unknown outcome is tried again")
  }

  @Test func aClosedLeaseIsServedAndOtherWorkspacesAreNotSeen() {
    let ends = Runtime.t0 + 30
    let records = [
      record(.intent, "a", .mute, ends: ends), record(.outcome, "a", .mute, status: .ok),
      record(.close, "c", .revert),
    ]
    #expect(JournalState(records, workspace: "default").leases.map(\.status) == [.served])
    #expect(JournalState(records, workspace: "other").leases.isEmpty)
  }
}

/// Lets "another run" act on the conversation just before the lock is granted.
struct RacingLocker: ConversationLocker {
  let before: @Sendable () async throws -> Void
  func lock(_ conversation: String, within wait: Duration) async throws -> any ConversationLock {
    try await before()
    return try await FreeLocks().lock(conversation, within: wait)
  }
}

/// The served calls behind a budget that can promise no revert (`promises` false), or whose
/// confirming reads each wait `readWait` of `clock` first, as for the budget.
struct Budgeted: ApplyExecutor {
  let inner: ServedCalls
  var promises = true
  var clock: ManualClock? = nil
  var readWait = Duration.zero
  func admit(_ key: String, leaseEnd: Double, slack: Duration, behind: Int) async -> Double? {
    promises ? leaseEnd : nil
  }
  func perform(
    _ effect: PlannedChange.Effect, on conversation: ConversationId, actingAs actingUser: UserId?,
    context: CallContext
  ) async throws -> CallResult? {
    try await inner.perform(effect, on: conversation, actingAs: actingUser, context: context)
  }
  func read(conversation: ConversationId, context: CallContext) async throws -> LiveConversation? {
    if case .confirmation = context.purpose, let clock { try await clock.sleep(for: readWait) }
    return try await inner.read(conversation: conversation, context: context)
  }
}

/// A budget that notes its close.
final class ClosingBudget: RequestBudget, Sendable {
  private let isClosed = Mutex(false)
  var closed: Bool { isClosed.withLock { $0 } }
  func limit() async -> Int { 300 }
  func window() async -> Duration { .seconds(60) }
  func throttled() async -> Int { 0 }
  func readAllowance(over length: Duration) async -> Int { 1000 }
  func expectUrgent(_ leases: [String: Double], fromSnapshot: Set<String>) async {}
  func close() async { isClosed.withLock { $0 = true } }
}

/// Run ids for the watcher's reconciles.
final class Counter: Sendable {
  private let n = Mutex(0)
  func next() -> Int {
    n.withLock {
      $0 += 1
      return $0
    }
  }
}

/// The scopes of a reconcile: what each reads and keeps follows from the scope alone.
@Suite struct ReconcileScopeTests {
  func saved(_ set: PolicySet, _ calls: ServedCalls) async throws -> (SavedPlan, [PlannedChange]) {
    let live = try await calls.read(LiveReadRequest(set: set)).live
    let plan = Planner(wholeSet: true).plan(set, live: live, leases: [], now: Runtime.t0)
    let saved = SavedPlan(
      plan, set: set, workspace: "default", target: "sandbox", notAfter: Runtime.t0 + 600,
      planId: "3f6c1a2e-9b7d-4e21-8c55-0a1b2c3d4e5f")
    return (saved, try saved.check(now: Runtime.t0, target: "sandbox", workspace: "default"))
  }

  /// `apply --plan` goes through the reconcile: the saved mute is sent once, and the same plan run
  /// again is refused (it applies once), with nothing sent.
  @Test func aSavedPlanIsCarriedOutOnceThroughItsScope() async throws {
    let clock = ManualClock(now: Runtime.t0)
    let set = try #require(compile(Runtime.files(Runtime.muteCustomer)).policySet)
    let calls = ServedCalls(World.live([World.customer, World.agentAda]), clock: clock)
    let journal = MemoryJournal()
    let (plan, changes) = try await saved(set, calls)
    #expect(changes.map(\.action) == [.mute])
    let r = Reconcile.saved(
      plan, changes: changes, workspace: "default", source: calls, clock: clock, journal: journal, run: "r1")
    let e = Reconcile.Execution(executor: calls, locker: FreeLocks(), parallelism: 4)
    let outcome = try await clock.run { try await r.run(e) }
    #expect(outcome.report?.items.map(\.result) == [.confirmed])
    #expect(calls.calls.map(\.what) == ["mute"])
    #expect(journal.records.contains { $0.plan == plan.planId }, "its intents name the plan")
    // Unmuted again by hand: the call is as planned, but the plan was applied.
    calls.change(World.conv, World.customerP) { $0.muted = false }
    var rerun = r
    rerun.run = "r2"
    let again = rerun
    await #expect(throws: SavedPlanError.self) { try await clock.run { try await again.run(e) } }
    #expect(calls.calls.map(\.what) == ["mute"], "nothing sent the second time")
  }

  /// A call that changed since the plan was made refuses the whole plan before anything is done.
  @Test func aSavedPlanWhoseCallChangedIsRefusedWhole() async throws {
    let clock = ManualClock(now: Runtime.t0)
    let set = try #require(compile(Runtime.files(Runtime.muteCustomer)).policySet)
    let calls = ServedCalls(World.live([World.customer, World.agentAda]), clock: clock)
    let journal = MemoryJournal()
    let (plan, changes) = try await saved(set, calls)
    calls.change(World.conv, World.adaP) { $0.muted = true }
    let r = Reconcile.saved(
      plan, changes: changes, workspace: "default", source: calls, clock: clock, journal: journal, run: "r1")
    let e = Reconcile.Execution(executor: calls, locker: FreeLocks(), parallelism: 4)
    await #expect(throws: SavedPlanError.self) { try await clock.run { try await r.run(e) } }
    #expect(calls.calls.isEmpty && journal.records.isEmpty, "nothing sent, nothing journalled")
  }

  /// The on-time loop's scope keeps the due revert and nothing the full plan would add: here the
  /// policy would mute the agent too, but only the customer's lease is due.
  @Test func dueRevertsKeepOnlyRevertsAndPrunes() async throws {
    let clock = ManualClock(now: Runtime.t0)
    let spec = "  mute:\n    - purpose: customer\n      for: 30s\n    - purpose: agent\n      for: 30s\n"
    let set = try #require(compile(Runtime.files(spec)).policySet)
    let calls = ServedCalls(World.live([World.customer, World.agentAda]), clock: clock)
    // The customer was muted a minute ago for 30 s: its lease is due.
    let journal = MemoryJournal([
      JournalRecord(
        kind: .intent, id: "old-1", at: Runtime.t0 - 60, workspace: "default", run: "old", action: .mute,
        conversation: World.conv, participant: World.customerP, policy: "p1", directive: "x", reason: nil,
        leaseEnds: Runtime.t0 - 30),
      JournalRecord(
        kind: .outcome, id: "old-1", at: Runtime.t0 - 60, workspace: "default", run: "old", action: .mute,
        conversation: World.conv, participant: World.customerP, policy: "p1", directive: "x", status: .ok),
    ])
    calls.change(World.conv, World.customerP) { $0.muted = true }
    let full = Reconcile(
      .full(), set: set, wholeSet: true, workspace: "default", source: calls, clock: clock, journal: journal,
      run: "r1")
    let planned = try await clock.run { try await full.plan() }
    #expect(Set(planned.plan.changes.map(\.action)).isSuperset(of: [.revert, .mute]))
    var scoped = full
    scoped.scope = .dueReverts(World.conv, snapshot: nil)
    let due = scoped
    let reverts = try await clock.run { try await due.plan() }
    #expect(reverts.plan.changes.map(\.action) == [.revert])
  }
}

/// Free locks that note the wait each lock was given.
final class WaitsGiven: ConversationLocker, Sendable {
  private let waits = Mutex<[Duration]>([])
  /// Whether every lock after the first is refused at the end of its wait (another run holds it).
  let refusing: Bool
  init(refusing: Bool = false) { self.refusing = refusing }
  var given: [Duration] { waits.withLock { $0 } }
  func lock(_ conversation: String, within wait: Duration) async throws -> any ConversationLock {
    let n = waits.withLock {
      $0.append(wait)
      return $0.count
    }
    if refusing && n > 1 {
      throw LockTimeout(conversation: conversation, holder: "another run", waited: wait)
    }
    return try await FreeLocks().lock(conversation, within: wait)
  }
}
