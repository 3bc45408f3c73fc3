import Foundation
import PartylineCore
import PartylineLocal
import PartylineTestSupport
import Testing
import WireTime
import YAMLReader

/// DESIGN §5 in the core: the journal never lets a mute vanish, a lease never outlives the hard cap or
/// a writer's fast clock, a revert never waits for a particular person, and a body that lists no
/// participant never closes a lease.
@Suite struct FaultTests {
  let now = 1_800_000_000.0

  func set() throws -> PolicySet { try World.set("  mute:\n    - purpose: customer\n      for: 5m\n") }

  func record(
    _ kind: JournalRecord.Kind, _ id: String, at: Double, action: PlannedChange.Action = .mute,
    ends: Double? = nil, status: JournalRecord.Status? = nil, directive: String
  ) -> JournalRecord {
    JournalRecord(
      kind: kind, id: id, at: at, workspace: "default", run: "r", action: action, conversation: World.conv,
      participant: World.customerP, policy: "p1", directive: directive, leaseEnds: ends, status: status)
  }

  /// A mute sent under the key of a served lease (a saved plan applied again) opens a lease of its own,
  /// which the planner reverts at its end; a drift re-mute within an open lease stays in it.
  @Test func aMuteUnderAServedKeyOpensALeaseOfItsOwn() throws {
    let set = try set()
    let d = set.policies[0].mute[0].digest
    let first = [
      record(.intent, "m1", at: now - 600, ends: now - 300, directive: d),
      record(.outcome, "m1", at: now - 600, status: .ok, directive: d),
      record(.intent, "u1", at: now - 300, action: .revert, directive: d),
      record(.outcome, "u1", at: now - 300, status: .ok, directive: d),
    ]
    #expect(JournalState(first, workspace: "default").leases.map(\.status) == [.served])
    let replayed =
      first + [
        record(.intent, "m2", at: now - 100, ends: now - 10, directive: d),
        record(.outcome, "m2", at: now - 100, status: .ok, directive: d),
      ]
    let state = JournalState(replayed, workspace: "default")
    #expect(state.leases.map(\.status) == [.served, .open])
    #expect(state.lease(state.leases[0].key)?.endsAt == now - 10, "the open lease decides")
    var muted = World.customer
    muted.muted = true
    let p = Planner(wholeSet: true).plan(
      set, live: World.live([muted, World.agentAda]), leases: state.leases, now: now)
    #expect(p.changes.map(\.action) == [.revert], "the replayed mute is reverted")
    // A re-mute within an open lease (drift) does not open another.
    let drift =
      Array(replayed.dropLast(2)) + [
        record(.intent, "m2", at: now - 100, ends: now + 100, directive: d),
        record(.intent, "m3", at: now - 50, ends: now + 100, directive: d),
      ]
    #expect(JournalState(drift, workspace: "default").leases.filter { $0.status == .open }.count == 1)
  }

  /// An outcome pairs with the intent of its own conversation: another conversation's failed outcome
  /// under the same id (a stray writer, ids reused) never makes a mute vanish — and one conversation's
  /// state is the same read alone or with the whole journal.
  @Test func anotherConversationsOutcomeNeverDecidesALease() throws {
    let d = "0123456789abcdef"
    var stray = record(.outcome, "m", at: now + 1, status: .failed, directive: d)
    stray.conversation = "another-conversation"
    let mine = [record(.intent, "m", at: now, ends: now + 30, directive: d)]
    let whole = JournalState(mine + [stray], workspace: "default")
    #expect(whole.leases.map(\.status) == [.open])
    #expect(whole.leases == JournalState(mine, workspace: "default").leases)
  }

  /// Whatever its record says, a lease ends at most the hard cap after its intent was written.
  @Test func aLeaseNeverEndsLaterThanItsIntentPlusTheHardCap() throws {
    let d = "0123456789abcdef"
    let state = JournalState(
      [record(.intent, "m", at: now, ends: now + 7 * 86_400, directive: d)], workspace: "default")
    #expect(state.leases.first?.endsAt == now + Double(PolicyDuration.hardMaxMute.seconds))
  }

  /// A lease dated more than 60 s in the reader's future is re-timed from the read: as long as it was
  /// meant to last, from now; a `retime` record makes that stick, and a later read does not move it.
  @Test func aLeaseDatedInTheFutureIsRetimedFromTheRead() throws {
    let d = "0123456789abcdef"
    let ahead = now + 3 * 3600
    let records = [
      record(.intent, "m", at: ahead, ends: ahead + 30, directive: d),
      record(.outcome, "m", at: ahead, status: .ok, directive: d),
    ]
    let state = JournalState(records, workspace: "default")
    #expect(state.retimes(now: ahead - 60, workspace: "default", run: "r2").isEmpty, "within 60 s: trusted")
    let retimes = state.retimes(now: now, workspace: "default", run: "r2")
    #expect(retimes.count == 1)
    #expect(retimes.first?.record.leaseEnds == now + 30)
    let after = JournalState(records + retimes.map(\.record), workspace: "default")
    #expect(after.leases.first?.endsAt == now + 30)
    #expect(after.leases.first?.startedAt == now)
    #expect(after.retimes(now: now + 10, workspace: "default", run: "r3").isEmpty, "it does not slide")
    // The record survives its line.
    let line = try #require(retimes.first?.record.line)
    #expect(JournalRecord.parse(Substring(line)) == retimes.first?.record)
  }

  /// `actAs` has hung up: the revert acts through any connected agent; with nobody left it is stuck,
  /// a warning naming why, and the change is blocked (tried again later).
  @Test func aRevertFallsBackFromActAsAndIsStuckWithNobodyToActThrough() throws {
    let set = try World.set("  actAs: ada@example.com\n  mute:\n    - purpose: customer\n      for: 5m\n")
    let d = set.policies[0].mute[0].digest
    let lease = Lease(
      workspace: "default", policy: "p1", directive: d, conversation: World.conv,
      participant: World.customerP,
      startedAt: now - 300, endsAt: now - 1, status: .open)
    var muted = World.customer
    muted.muted = true
    var adaGone = World.agentAda
    adaGone.state = "disconnected"
    let grace = LiveParticipant(
      id: World.graceP, purpose: "agent", state: "connected", userId: World.grace, name: "Grace")
    let p = Planner(wholeSet: true).plan(
      set, live: World.live([muted, adaGone, grace]), leases: [lease], now: now)
    let revert = try #require(p.changes.first { $0.action == .revert })
    #expect(revert.blocked == nil)
    #expect(revert.actingUser == World.grace, "through Grace, since Ada hung up")
    #expect(!revert.isStuck)

    let stuck = Planner(wholeSet: true).plan(
      set, live: World.live([muted, adaGone]), leases: [lease], now: now)
    let blocked = try #require(stuck.changes.first { $0.action == .revert })
    #expect(blocked.isStuck)
    #expect(blocked.blocked?.hasPrefix("stuck:") == true)
    #expect(stuck.findings.contains { $0.id == "revert_stuck" && $0.severity == .warning })
    #expect(!stuck.hasErrors, "a stuck revert does not stop the rest of the plan")
  }

  /// A conversation whose body lists no participant the lease names (a partial event) closes nothing;
  /// only a participant seen disconnected does.
  @Test func aParticipantMissingFromTheBodyClosesNoLease() throws {
    let set = try set()
    let d = set.policies[0].mute[0].digest
    let lease = Lease(
      workspace: "default", policy: "p1", directive: d, conversation: World.conv,
      participant: World.customerP,
      startedAt: now - 300, endsAt: now + 60, status: .open)
    let p = Planner(wholeSet: true).plan(set, live: World.live([World.agentAda]), leases: [lease], now: now)
    #expect(p.closedLeases.isEmpty)
    #expect(p.nextLeaseEnd == now + 60)
  }

  /// A journal line that cannot be read says why, never with its own text.
  @Test func anUnreadableLineSaysWhy() {
    func reason(_ line: String) -> String? {
      if case .failure(let r) = JournalRecord.read(Substring(line)) { return r.description }
      return nil
    }
    #expect(reason(#"{"v":2,"kind":"intent"}"#) == "journal format version 2 is newer than 1")
    #expect(reason("\u{1B}[2Jnot json") == "not JSON")
    #expect(reason(#"{"v":1,"kind":"intent"}"#) == "no 'id' field")
    let finding = UnreadableRecord(file: "j.jsonl", line: 7, reason: .init("not JSON")).finding
    #expect(finding.severity == .warning)
    #expect(!finding.quotesSource)
    #expect(finding.range.start.line == 7)
  }

  /// A journal whose database can be taken away: while `down`, every call hangs until it comes back.
  final class Flaky: Journal, @unchecked Sendable {
    let inner = MemoryJournal()
    private let lock = NSLock()
    private var isDown = false
    var down: Bool {
      get { lock.withLock { isDown } }
      set { lock.withLock { isDown = newValue } }
    }
    func wait() async throws { while down { try await Task.sleep(nanoseconds: 5_000_000) } }
    func append(_ records: [JournalRecord]) async throws {
      try await wait()
      try await inner.append(records)
    }
    func records(workspace: String) async throws -> [JournalRecord] {
      try await wait()
      return try await inner.records(workspace: workspace)
    }
    func recordCounts() async throws -> [String: Int] {
      try await wait()
      return try await inner.recordCounts()
    }
    func recordCount(conversation: String) async throws -> Int {
      try await wait()
      return try await inner.recordCount(conversation: conversation)
    }
    func compact(cutoff: Double) async throws -> CompactionReport { try await inner.compact(cutoff: cutoff) }
  }

  /// With the database gone, reads answer from what was last read, a revert's records are buffered
  /// (and read back), a mute's intent fails; once the database answers, the buffer is written.
  @Test func revertsDoNotWaitForTheDatabaseButMutesDo() async throws {
    let clock = ManualClock(now: now)
    let flaky = Flaky()
    let journal = OutageJournal(flaky, patience: .seconds(1), clock: clock)
    let d = "0123456789abcdef"
    try await journal.append([record(.intent, "m", at: now, ends: now + 30, directive: d)])
    #expect(try await journal.records(workspace: "default").count == 1)
    _ = try await journal.recordCounts()
    flaky.down = true
    let read = Task { try await journal.records(workspace: "default") }
    // The read waits `patience` on the clock, then answers from what it knew.
    while journal.outageSince == nil {
      clock.advance(by: 0.5)
      try await Task.sleep(nanoseconds: 2_000_000)
    }
    #expect(try await read.value.count == 1)
    let revert = [
      record(.intent, "u", at: now + 30, action: .revert, directive: d),
      record(.outcome, "u", at: now + 30, action: .revert, status: .ok, directive: d),
    ]
    try await journal.append(revert)  // at once: the outage is known
    #expect(journal.buffered.count == 2)
    #expect(
      JournalState(try await journal.records(workspace: "default"), workspace: "default").leases.map(\.status)
        == [.served])
    await #expect(throws: StateUnreachable.self) {
      try await journal.append([self.record(.intent, "m2", at: self.now, ends: self.now + 30, directive: "x")]
      )
    }
    #expect(try await journal.recordCounts()[World.conv] == 3, "the last counts, and the buffered records")
    flaky.down = false
    for _ in 0..<200 where journal.outageSince != nil {
      clock.advance(by: 1)
      _ = try await journal.records(workspace: "default")  // each read may start a probe
      try await Task.sleep(nanoseconds: 5_000_000)
    }
    #expect(journal.outageSince == nil)
    #expect(journal.buffered.isEmpty)
    #expect(flaky.inner.records.map(\.id) == ["m", "u", "u"], "written once the database was back")
  }

  /// watch's clock follows the monotonic clock from its start: a step of the wall clock moves nothing.
  @Test func aWallClockStepDoesNotMoveTheSteadyClock() {
    final class Source: @unchecked Sendable {
      var wall = 1_800_000_000.0
      var mono: UInt64 = 5_000_000_000
    }
    let s = Source()
    let clock = SteadyClock(wall: { s.wall }, monotonic: { s.mono })
    #expect(clock.now() == 1_800_000_000)
    s.mono += 30_000_000_000  // 30 s pass
    s.wall += 3 * 3600  // and the wall clock jumps 3 h
    #expect(clock.now() == 1_800_000_030)
  }

  /// onDrift: reconcile mutes again within the lease, but not in its last seconds, where the re-mute
  /// could land after the revert and outlive the lease.
  @Test func noDriftReMuteInTheLeasesLastSeconds() throws {
    let set = try World.set("  onDrift: reconcile\n  mute:\n    - purpose: customer\n      for: 5m\n")
    let d = set.policies[0].mute[0].digest
    func plan(endsIn: Double) -> [PlannedChange.Action] {
      let lease = Lease(
        workspace: "default", policy: "p1", directive: d, conversation: World.conv,
        participant: World.customerP, startedAt: now - 100, endsAt: now + endsIn, status: .open)
      return Planner(wholeSet: true).plan(
        set, live: World.live([World.customer, World.agentAda]), leases: [lease], now: now
      ).changes.map(\.action)
    }
    #expect(plan(endsIn: 60) == [.mute])
    #expect(plan(endsIn: 3) == [.noop])
  }
}
