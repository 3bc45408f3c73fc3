import Foundation
import PartylineCore
import PartylineTestSupport
import Testing
import YAMLReader
import OrderedJSON

/// `pauseRecording`: the call's recording paused under a lease on the call itself, always resumed —
/// compiled, planned, journalled and saved like a mute's lease; and the legs Genesys adds for
/// supervision, which never act and are never matched by a purpose.
@Suite struct PauseRecordingTests {
  let now = 1_800_000_000.0
  static let pause = "  pauseRecording:\n    for: 3m\n    reason: card details\n"

  /// A recorded call: the customer and Ada, recording active.
  static func recorded(
    paused: Bool = false, _ participants: [LiveParticipant] = [World.customer, World.agentAda]
  )
    -> LiveState
  {
    var live = World.live(participants)
    live.conversations[World.conv]?.recordingState = paused ? "paused" : "active"
    live.conversations[World.conv]?.securePause = paused
    return live
  }

  func plan(_ set: PolicySet, _ live: LiveState, leases: [Lease] = [], at: Double? = nil) -> Plan {
    Planner().plan(set, live: live, leases: leases, now: at ?? now)
  }

  func lease(_ set: PolicySet, started: Double, ends: Double, outcomeKnown: Bool = true) throws -> Lease {
    let digest = try #require(set.policies.first?.pauseRecording.first?.digest)
    var l = Lease(
      workspace: "default", policy: "p1", directive: digest, conversation: World.conv,
      participant: Lease.wholeCall, startedAt: started, endsAt: ends, status: .open)
    l.kind = .pauseRecording
    l.outcomeKnown = outcomeKnown
    return l
  }

  @Test func compilesWithLocatedErrorsAndTheLimitsCap() throws {
    let set = try World.set(Self.pause)
    let d = try #require(set.policies.first?.pauseRecording.first)
    #expect(d.duration.seconds == 180 && d.reason == "card details" && d.from == .now)
    #expect(set.limits.maxPause.seconds == 600, "10m by default")

    func errors(_ spec: String, limits: String? = nil) -> [String] {
      var files = [
        (
          name: "p.yaml",
          text:
            "apiVersion: partyline/v1\nkind: ConversationPolicy\nmetadata: {name: p1}\nspec:\n  conversation: \(World.conv)\n"
            + spec
        )
      ]
      if let limits {
        files.append((name: "l.yaml", text: "apiVersion: partyline/v1\nkind: Limits\nspec:\n" + limits))
      }
      return compile(files).diagnostics.filter { $0.severity == .error }.map {
        "\($0.range.file):\($0.range.start.line):\($0.range.start.column) \($0.id)"
      }
    }
    #expect(errors("  pauseRecording:\n    for: 11m\n") == ["p.yaml:7:10 duration_exceeds_max_pause"])
    #expect(errors("  pauseRecording:\n    for: 20m\n", limits: "  maxPause: 30m\n").isEmpty)
    #expect(
      errors("  pauseRecording: {for: 3m}\n", limits: "  maxPause: 31m\n") == [
        "l.yaml:4:13 max_pause_too_large"
      ])
    #expect(errors("  pauseRecording:\n    reason: x\n") == ["p.yaml:7:5 missing_key"])
    #expect(errors("  pauseRecording:\n    for: 3m\n    fro: connect\n") == ["p.yaml:8:5 unknown_key"])
    #expect(errors("  pauseRecording:\n    for: 3m\n    from: answer\n") == ["p.yaml:8:11 invalid_value"])
    #expect(errors("  pauseRecording:\n    - for: 3m\n") == ["p.yaml:7:5 type_mismatch"])
  }

  @Test func pausesARecordedCallWithoutAnActingUser() throws {
    let set = try World.set(Self.pause)
    // Nobody who could act is on the call: a pause needs nobody.
    let p = plan(set, Self.recorded([World.customer]))
    let c = try #require(p.changes.first)
    #expect(p.changes.count == 1)
    #expect(
      c.effect == .pauseRecording(duration: PolicyDuration(seconds: 180), reason: "card details", dueAt: nil))
    #expect(c.actingUser == nil && c.blocked == nil && c.participant == nil)
    #expect(c.subject == "recording" && c.before == "recording" && c.after == "paused")
    #expect(p.nextLeaseEnd == now + 180)
    #expect(p.findings.isEmpty, "\(p.findings)")
    #expect(p.summary.pause == 1)
    // A call that is not recorded, or paused by someone else, is left alone.
    // A call that does not say (no `securePause`, no `recordingState`) is paused: the call is made.
    #expect(plan(set, World.live([World.customer, World.agentAda])).actionable.map(\.action) == [.pause])
    var unrecorded = World.live([World.customer, World.agentAda])
    unrecorded.conversations[World.conv]?.recordingState = "none"
    unrecorded.conversations[World.conv]?.securePause = false
    #expect(plan(set, unrecorded).changes.map(\.explanation) == ["the call is not recorded"])
    #expect(
      plan(set, Self.recorded(paused: true)).changes.map(\.explanation) == [
        "already paused, not by this policy: left alone (no lease)"
      ])
  }

  @Test func theLeaseIsKeptThenResumedAtItsEnd() throws {
    let set = try World.set(Self.pause)
    let l = try lease(set, started: now - 60, ends: now + 120)
    let during = plan(set, Self.recorded(paused: true), leases: [l])
    #expect(during.actionable.isEmpty)
    #expect(during.changes.map(\.explanation) == ["paused until 2027-01-15T08:02:00.000Z"])
    #expect(during.nextLeaseEnd == now + 120)
    let after = plan(set, Self.recorded(paused: true), leases: [l], at: now + 120)
    let resume = try #require(after.actionable.first)
    #expect(after.actionable.count == 1)
    #expect(resume.effect == .resumeRecording(dueAt: now + 120, pruned: false))
    #expect(resume.action == .revert && resume.effect.isRevert && resume.actingUser == nil)
    #expect(after.changes.filter { $0.isChange }.count == 1, "the served directive does not pause again")
    // Resumed already (by a human): the lease closes without a call.
    let resumed = plan(set, Self.recorded(paused: false), leases: [l], at: now + 120)
    #expect(resumed.actionable.isEmpty)
    #expect(
      resumed.closedLeases.map(\.reason) == ["lease ended at 2027-01-15T08:02:00.000Z; already resumed"])
    // The call ended: nothing to resume.
    var ended = Self.recorded(paused: true, [World.customer])
    ended.conversations[World.conv]?.participants[0].state = "disconnected"
    #expect(
      plan(set, ended, leases: [l], at: now + 120).closedLeases.map(\.reason) == [
        "the conversation has ended"
      ])
  }

  @Test func aDeletedPolicysPauseIsPrunedAtOnce() throws {
    let set = try World.set(Self.pause)
    let l = try lease(set, started: now - 60, ends: now + 120)
    let other = try World.set("  mute:\n    - purpose: customer\n      for: 1m\n")
    let p = plan(other, Self.recorded(paused: true), leases: [l])
    let prune = try #require(p.changes.first { $0.effect.isRevert })
    #expect(prune.effect == .resumeRecording(dueAt: now + 120, pruned: true))
    #expect(prune.action == .prune)
    #expect(prune.explanation == "policy 'p1' no longer holds this pause")
  }

  @Test func aChangedDirectiveReplacesThePauseWithoutResuming() throws {
    let old = try World.set(Self.pause)
    let l = try lease(old, started: now - 60, ends: now + 120)
    let changed = try World.set("  pauseRecording:\n    for: 5m\n")
    let p = plan(changed, Self.recorded(paused: true), leases: [l])
    #expect(p.actionable.map(\.action) == [.pause], "\(p.changes.map(\.explanation))")
    #expect(p.actionable.first?.explanation.contains("replaces the lease of a changed directive") == true)
    #expect(!p.actionable.contains { $0.effect.isRevert })
  }

  @Test func driftFollowsOnDrift() throws {
    let respect = try World.set(Self.pause)
    let l = try lease(respect, started: now - 60, ends: now + 120)
    let left = plan(respect, Self.recorded(paused: false), leases: [l])
    #expect(left.actionable.isEmpty)
    #expect(left.findings.map(\.id) == ["drift"])
    let reconcile = try World.set("  onDrift: reconcile\n" + Self.pause)
    let again = plan(
      reconcile, Self.recorded(paused: false),
      leases: [try lease(reconcile, started: now - 60, ends: now + 120)])
    #expect(
      again.actionable.map(\.effect) == [
        .pauseRecording(duration: PolicyDuration(seconds: 120), reason: "card details", dueAt: now + 120)
      ])
    // A pause still on its way (no outcome journalled yet) is neither paused again nor drift.
    let onItsWay = plan(
      reconcile, Self.recorded(paused: false),
      leases: [try lease(reconcile, started: now - 1, ends: now + 179, outcomeKnown: false)])
    #expect(onItsWay.actionable.isEmpty && onItsWay.findings.isEmpty)
  }

  @Test func fromConnectCountsFromTheFirstAgentOrUser() throws {
    let set = try World.set("  pauseRecording:\n    for: 30s\n    from: connect\n")
    var ada = World.agentAda
    ada.connectedTime = now - 10
    let p = plan(set, Self.recorded([World.customer, ada]))
    #expect(
      p.actionable.map(\.effect) == [
        .pauseRecording(duration: PolicyDuration(seconds: 20), reason: nil, dueAt: now + 20)
      ])
    ada.connectedTime = now - 40
    #expect(
      plan(set, Self.recorded([World.customer, ada])).changes.map(\.explanation) == [
        "its window has passed (it ended 2027-01-15T07:59:50.000Z)"
      ])
    var ringing = World.agentAda
    ringing.state = "alerting"
    #expect(
      plan(set, Self.recorded([World.customer, ringing])).changes.map(\.explanation) == [
        "pending: from: connect, and no agent or user has connected yet"
      ])
  }

  @Test func onePausePerCallAcrossPolicies() throws {
    let files = ["a", "b"].map { name in
      (
        name: "\(name).yaml",
        text:
          "apiVersion: partyline/v1\nkind: ConversationPolicy\nmetadata: {name: \(name)}\nspec:\n  conversation: \(World.conv)\n  pauseRecording: {for: \(name == "a" ? "1m" : "2m")}\n"
      )
    }
    let set = try #require(compile(files).policySet)
    let p = plan(set, Self.recorded())
    #expect(p.actionable.map(\.policy) == ["a"])
    #expect(
      p.changes.first { $0.policy == "b" }?.explanation.hasPrefix("the recording is paused by policy 'a'")
        == true)
  }

  @Test func journalledPausesAreLeasesOnTheCall() throws {
    let set = try World.set(Self.pause)
    let change = try #require(plan(set, Self.recorded()).actionable.first)
    let intent = JournalRecord(
      intent: change, id: "r-1", at: now, workspace: "default", run: "r", plan: nil, actingUser: nil)
    #expect(
      intent.action == .pause && intent.participant == nil && intent.leaseEnds == now + 180
        && intent.actingUser == nil)
    let line = try #require(JournalRecord.parse(Substring(intent.line)))
    var outcome = line
    outcome.kind = .outcome
    outcome.status = .ok
    var state = JournalState([line, outcome], workspace: "default")
    let opened = try #require(state.leases.first)
    #expect(
      opened.kind == .pauseRecording && opened.participant == Lease.wholeCall && opened.endsAt == now + 180)
    #expect(JournalState.openConversations([line]) == [World.conv])
    // The resume serves it.
    let resume = try #require(
      plan(set, Self.recorded(paused: true), leases: [opened], at: now + 180).actionable.first)
    let r = JournalRecord(
      intent: resume, id: "r-2", at: now + 180, workspace: "default", run: "r", plan: nil, actingUser: nil)
    #expect(r.action == .revert && r.participant == nil)
    var done = r
    done.kind = .outcome
    done.status = .ok
    state = JournalState([line, outcome, r, done], workspace: "default")
    #expect(state.leases.map(\.status) == [.served])
    // A journal line claiming a pause of days is held to the hard cap of 30 minutes.
    var long = intent
    long.leaseEnds = now + 86_400
    #expect(JournalState([long], workspace: "default").leases.first?.endsAt == now + 1800)
  }

  @Test func savedPlansKeepPausesAndResumesAndCheckMaxPause() throws {
    let conv = SavedPlanTests.conv
    func saved(_ effect: PlannedChange.Effect, maxPause: Int = 600) throws -> [PlannedChange] {
      let c = PlannedChange(
        effect, conversation: ConversationId(conv)!, subject: "recording", policy: "payments",
        directive: "0123456789abcdef",
        location: nil, before: "", after: "", explanation: "")
      var limits = Limits.defaults
      limits.maxPause = PolicyDuration(seconds: maxPause)
      let p = SavedPlan(
        Plan(changes: [c], findings: [], createdAt: now, policySetDigest: "abc", snapshots: [conv: "h"]),
        set: PolicySet(policies: [], limits: limits, files: []), workspace: "default", target: "sandbox",
        notAfter: now + 600, planId: "3f6c1a2e-9b7d-4e21-8c55-0a1b2c3d4e5f")
      let text = p.json.render(indent: 2)
      #expect(text.contains(#""participant" : null"#) || text.contains(#""participant": null"#), "\(text)")
      return try SavedPlan.decode(Data(text.utf8), path: "plan.json").check(
        now: now + 1, target: "sandbox", workspace: "default")
    }
    let pause = PlannedChange.Effect.pauseRecording(
      duration: PolicyDuration(seconds: 180), reason: "pci", dueAt: now + 180)
    #expect(try saved(pause).map(\.effect) == [pause])
    #expect(
      try saved(.resumeRecording(dueAt: now, pruned: true)).map(\.effect) == [
        .resumeRecording(dueAt: nil, pruned: true)
      ])
    #expect(throws: SavedPlanError.self) { try saved(pause, maxPause: 120) }
  }

  // MARK: Supervision legs

  static let monitor: LiveParticipant = {
    var p = LiveParticipant(
      id: World.graceP, purpose: "user", state: "connected", userId: World.grace, name: "Grace")
    p.mediaRoles = ["monitor"]
    p.supervisedParticipantId = World.adaP
    return p
  }()

  @Test func aSupervisionLegNeverActsAndIsNotMatchedByPurpose() throws {
    #expect(Self.monitor.supervision == "monitor" && !Self.monitor.isOrdinary)
    let set = try World.set(
      "  mute:\n    - purpose: user\n      for: 1m\n    - purpose: customer\n      for: 1m\n")
    // The monitor is the only user leg on the call: it neither acts nor is muted as a `user`.
    let alone = plan(set, World.live([World.customer, Self.monitor]))
    #expect(alone.actionable.isEmpty)
    #expect(alone.changes.allSatisfy { $0.blocked != nil || !$0.isChange })
    let p = plan(set, World.live([Self.monitor, World.customer, World.agentAda]))
    #expect(p.actionable.map(\.participant) == [World.customerP])
    #expect(p.actionable.first?.actingUser == World.ada, "Ada acts, not the supervisor listed first")
    // actAs naming the supervisor: only their monitoring leg is on the call, so they cannot act.
    let actAs = try World.set("  actAs: grace@example.com\n  mute:\n    - purpose: customer\n      for: 1m\n")
    let blocked = plan(actAs, World.live([Self.monitor, World.customer, World.agentAda]))
    #expect(blocked.actionable.isEmpty)
    #expect(blocked.findings.map(\.id).contains("acting_user_unavailable"))
  }
}

/// The watcher keeps a pause's promise like a mute's: resumed at its end on the clock, by the watcher
/// that paused or by the next one on the same journal.
@Suite struct PauseWatchTests {
  @Test func aPauseIsResumedAtItsEndEvenByTheNextWatcher() async throws {
    let clock = ManualClock(now: Runtime.t0)
    let files = Runtime.files("  pauseRecording:\n    for: 40s\n")
    let set = try #require(compile(files).policySet)
    // Only the customer is on the call: a pause needs nobody to act for it.
    let calls = ServedCalls(PauseRecordingTests.recorded([World.customer]), clock: clock)
    let journal = MemoryJournal()
    let signal = RunSignal()
    let first = Runtime.watcher(files, clock, calls, journal)
    let run = Task { await first.run(set, signal: signal) }
    #expect(await ManualClock.eventually { calls.calls.contains { $0.what == "pause" } })
    #expect(calls.calls.map(\.what) == ["pause"])
    #expect(calls.calls.first?.at == Runtime.t0)
    let lease = try #require(JournalState(journal.records, workspace: "default").leases.first)
    #expect(lease.kind == .pauseRecording && lease.endsAt == Runtime.t0 + 40)
    // The first watcher stops (its machine goes away) 10 s in; the next one starts on the journal.
    await clock.step(limit: Runtime.t0 + 10)
    signal.stop()
    try await clock.run { await run.value }
    let next = Runtime.watcher(files, clock, calls, journal)
    let signal2 = RunSignal()
    let run2 = Task { await next.run(set, signal: signal2) }
    while clock.now() < lease.endsAt { await clock.step(limit: lease.endsAt) }
    #expect(await ManualClock.eventually { calls.calls.contains { $0.what == "resume" } }, "\(calls.calls)")
    #expect(calls.calls.map(\.what) == ["pause", "resume"], "paused once, never again")
    #expect(calls.calls.last?.at == lease.endsAt, "resumed at its end, not later")
    #expect(calls.live.conversations[World.conv]?.securePause == false)
    signal2.stop()
    try await clock.run { await run2.value }
  }
}
