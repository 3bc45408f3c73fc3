import PartylineCore
import PartylineTestSupport
import Testing
import YAMLReader
import WireTime

/// A small live world for planner tests.
enum World {
  static let conv = "5f0c2a1e-0b6d-4c1e-9a51-1c2d3e4f5a6b"
  static let ada = "2228f9a6-0995-4bdb-ba19-281dd0143a12"
  static let grace = "84e572a8-5750-49d6-8d0a-2d88a6110981"
  static let olive = "5407fee2-65c0-4556-9057-fc763f10f2ed"
  static let customerP = "da272714-0a88-4f39-b75e-a3f723ef5c18"
  static let adaP = "fe9cd5a5-c53c-4dc1-a53d-1a9cc573b440"
  static let graceP = "3fcc22e8-510c-4505-96c5-8cbb161cee3f"
  static let oliveP = "801f1f22-9387-4e98-8071-1a0c120f44f0"

  static func live(
    _ participants: [LiveParticipant], maxParticipants: Int? = nil, status: LiveConversation.Status = .found
  ) -> LiveState {
    LiveState(
      conversations: [
        conv: LiveConversation(
          id: conv, status: status, maxParticipants: maxParticipants, participants: participants)
      ],
      users: [
        ada: LiveUser(id: ada, name: "Ada", email: "ada@example.com"),
        grace: LiveUser(id: grace, name: "Grace", email: "grace@example.com"),
        olive: LiveUser(id: olive, name: "Olive", email: "olive@example.com"),
      ],
      emails: ["ada@example.com": ada, "grace@example.com": grace, "olive@example.com": olive])
  }

  static let customer = LiveParticipant(
    id: customerP, purpose: "customer", state: "connected", address: "+4930123456", name: "Caller")
  static let agentAda = LiveParticipant(
    id: adaP, purpose: "agent", state: "connected", userId: ada, name: "Ada")

  static func set(_ spec: String, limits: String? = nil) throws -> PolicySet {
    var files = [
      (
        "p.yaml",
        "apiVersion: partyline/v1\nkind: ConversationPolicy\nmetadata: {name: p1}\nspec:\n  conversation: \(conv)\n"
          + spec
      )
    ]
    if let limits { files.append(("l.yaml", "apiVersion: partyline/v1\nkind: Limits\nspec:\n" + limits)) }
    let result = compile(files.map { (name: $0.0, text: $0.1) })
    #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
    return try #require(result.policySet)
  }
}

@Suite struct PlannerTests {
  let now = 1_800_000_000.0

  func plan(_ set: PolicySet, _ live: LiveState, leases: [Lease] = [], wholeSet: Bool = true) -> Plan {
    Planner(wholeSet: wholeSet).plan(set, live: live, leases: leases, now: now)
  }

  func lines(_ p: Plan) -> [String] {
    p.changes.map { c in
      "\(c.blocked != nil ? "!" : c.action.symbol) \(c.action.rawValue) \(c.subject) \(c.location.map { "\($0.start.line):\($0.start.column)" } ?? "-") \(c.blocked ?? c.explanation)"
    }
  }

  func findings(_ p: Plan) -> [String] {
    p.findings.map {
      "\($0.severity.rawValue) \($0.id) \($0.range.start.line):\($0.range.start.column) \($0.message)"
    }
  }

  @Test func aParticipantWhoseIdIsNotAUUIDIsNeverMadeAnEffect() throws {
    let set = try World.set("  mute:\n    - purpose: customer\n      for: 30m\n")
    let odd = LiveParticipant(id: "../../users/me", purpose: "customer", state: "connected", name: "Odd")
    let p = plan(set, World.live([odd, World.customer, World.agentAda]))
    #expect(lines(p) == ["~ mute Caller 7:7 mute for 30m"], "the other customer is still muted")
    #expect(
      findings(p) == [
        "error invalid_id 7:7 participant id '../../users/me' of conversation \(World.conv) is not a UUID: not acted on"
      ])
  }

  @Test func muteByPurposeOpensALeaseActingAsTheFirstConnectedAgent() throws {
    let set = try World.set("  mute:\n    - purpose: customer\n      for: 30m\n      reason: noise\n")
    let p = plan(set, World.live([World.customer, World.agentAda]))
    #expect(lines(p) == ["~ mute Caller 7:7 mute for 30m"])
    #expect(p.changes[0].actingUser == World.ada)
    #expect(p.changes[0].duration?.seconds == 1800)
    #expect(p.nextLeaseEnd == now + 1800)
    #expect(p.findings.isEmpty)
    #expect(p.snapshots[World.conv] != nil)
  }

  /// `from: connect`: the lease runs from the participant's `connectedTime`; a mute planned late covers
  /// what is left of the window, none once it has passed, none when the call does not say.
  @Test func aMuteFromConnectCoversWhatIsLeftOfItsWindow() throws {
    let set = try World.set("  mute:\n    - purpose: customer\n      for: 20s\n      from: connect\n")
    var customer = World.customer
    customer.connectedTime = now - 5
    var p = plan(set, World.live([customer, World.agentAda]))
    #expect(lines(p) == ["~ mute Caller 7:7 mute for what is left of 20s from when they connected"])
    #expect(p.changes[0].dueAt == now + 15, "the lease ends 20 s after they connected")
    #expect(p.changes[0].duration?.seconds == 15)
    #expect(p.nextLeaseEnd == now + 15)

    customer.connectedTime = now - 19.5
    p = plan(set, World.live([customer, World.agentAda]))
    #expect(p.changes.map(\.action) == [.noop], "half a second left: a mute could land after its revert")
    customer.connectedTime = now - 30
    p = plan(set, World.live([customer, World.agentAda]))
    #expect(p.changes.map(\.action) == [.noop])
    #expect(p.changes[0].explanation.contains("its window has passed"), "\(p.changes[0].explanation)")

    customer.connectedTime = nil
    p = plan(set, World.live([customer, World.agentAda]))
    #expect(p.changes.map(\.action) == [.noop])
    #expect(p.changes[0].explanation.contains("does not say when"), "\(p.changes[0].explanation)")
  }

  /// `from` is part of the directive: a mute without it keeps its digest (and its open leases), one
  /// with it is a new directive.
  @Test func fromIsPartOfTheDirectiveOnlyWhenGiven() throws {
    let plain = try World.set("  mute:\n    - purpose: customer\n      for: 20s\n")
    let now = try World.set("  mute:\n    - purpose: customer\n      for: 20s\n      from: now\n")
    let connect = try World.set("  mute:\n    - purpose: customer\n      for: 20s\n      from: connect\n")
    let digest = { (s: PolicySet) in s.policies[0].mute[0].digest }
    #expect(digest(plain) == digest(now))
    #expect(digest(plain) != digest(connect))
  }

  @Test func actAsMustBeConnectedNoFallback() throws {
    let set = try World.set("  actAs: grace@example.com\n  mute:\n    - purpose: customer\n      for: 5m\n")
    let p = plan(set, World.live([World.customer, World.agentAda]))
    #expect(
      lines(p) == [
        "! mute Caller 8:7 actAs user 'grace@example.com' is not connected to conversation \(World.conv)"
      ])
    #expect(
      findings(p) == [
        "warning acting_user_unavailable 6:10 policy 'p1': actAs user 'grace@example.com' is not connected to conversation \(World.conv)"
      ])
  }

  @Test func noConnectedAgentBlocks() throws {
    let set = try World.set("  mute:\n    - purpose: customer\n      for: 5m\n")
    let p = plan(set, World.live([World.customer]))
    #expect(
      p.changes.first?.blocked
        == "no connected agent or user participant to act on behalf of in conversation \(World.conv)")
    #expect(p.summary.blocked == 1)
  }

  @Test func alreadyMutedAndAlreadyUnmutedAreNoops() throws {
    var muted = World.customer
    muted.muted = true
    let set = try World.set(
      "  mute:\n    - purpose: customer\n      for: 5m\n  unmute:\n    - user: ada@example.com\n")
    let p = plan(set, World.live([muted, World.agentAda]))
    #expect(lines(p) == ["= noop Caller 7:7 already muted", "= noop ada@example.com 10:7 already unmuted"])
    #expect(!p.hasChanges)
  }

  @Test func pendingParticipantsAreShownNotChanged() throws {
    var ringing = World.customer
    ringing.state = "alerting"
    let set = try World.set("  mute:\n    - purpose: customer\n      for: 5m\n")
    let p = plan(set, World.live([ringing, World.agentAda]))
    #expect(lines(p) == ["= noop Caller 7:7 pending: alerting, not yet connected"])
    #expect(findings(p) == ["warning participant_pending 7:7 Caller is alerting, not yet connected"])
    #expect(!p.hasErrors)
  }

  @Test func goneParticipantsAndEndedConversationsHaveNothingToDo() throws {
    var gone = World.customer
    gone.state = "disconnected"
    let set = try World.set("  mute:\n    - participant: \(World.customerP)\n      for: 5m\n")
    let p = plan(set, World.live([gone, World.agentAda]))
    #expect(p.changes.isEmpty)
    #expect(
      findings(p) == [
        "warning no_match 7:7 participant \(World.customerP) matches only participants who have left conversation \(World.conv)"
      ])
    var adaGone = World.agentAda
    adaGone.state = "terminated"
    let ended = plan(set, World.live([gone, adaGone]))
    #expect(lines(ended) == ["= noop conversation \(World.conv) 3:18 the conversation has ended"])
  }

  @Test func conversationNotFoundIsAnError() throws {
    let set = try World.set("  mute:\n    - purpose: customer\n      for: 5m\n")
    let p = plan(set, World.live([], status: .notFound))
    // Located at the value at fault, spec.conversation, not at metadata.name.
    #expect(findings(p) == ["error conversation_not_found 5:17 conversation \(World.conv) was not found"])
    #expect(p.hasErrors)
  }

  @Test func addsSkipUsersAlreadyPresentAndResolveEmails() throws {
    let set = try World.set(
      "  add:\n    - user: ada@example.com\n      role: agent\n    - user: grace@example.com\n      role: agent\n    - address: \"+4930123456\"\n      role: observer\n"
    )
    let p = plan(set, World.live([World.customer, World.agentAda]))
    #expect(
      lines(p) == [
        "= noop ada@example.com 7:7 already present (connected)", "+ add grace@example.com 9:7 add as agent",
        "= noop Caller 11:7 already present (connected)",
      ])
    #expect(p.changes[1].addTarget == .user(.id(World.grace)))
    #expect(p.changes[1].after == "alerting")
  }

  @Test func capacityIsTheLowerOfConversationAndLimits() throws {
    let set = try World.set(
      "  add:\n    - user: grace@example.com\n      role: agent\n    - user: olive@example.com\n      role: agent\n",
      limits: "  maxParticipants: 10\n")
    let p = plan(set, World.live([World.customer, World.agentAda], maxParticipants: 3))
    #expect(
      lines(p) == [
        "+ add grace@example.com 7:7 add as agent",
        "! add olive@example.com 9:7 adding 'olive@example.com' would make 4 participants, more than 3 (conversation maxParticipants 3, Limits maxParticipants 10)",
      ])
    #expect(
      findings(p) == [
        "error capacity_exceeded 9:7 adding 'olive@example.com' would make 4 participants, more than 3 (conversation maxParticipants 3, Limits maxParticipants 10)"
      ])
  }

  @Test func roleMaxCountsWhatPartylineAddedBefore() throws {
    let set = try World.set(
      "  add:\n    - user: grace@example.com\n      role: supervisor\n",
      limits: "  roles:\n    supervisor: {max: 1}\n")
    let p = Planner(addedRoles: [World.conv: ["supervisor": 1]]).plan(
      set, live: World.live([World.customer, World.agentAda]), leases: [], now: now)
    #expect(
      findings(p) == [
        "error role_max_exceeded 8:13 adding 'grace@example.com' as 'supervisor' would exceed the role's max of 1 in conversation \(World.conv)"
      ])
    // The blocked reason is the finding's message: the GitHub view reports it once.
    #expect(p.changes[0].blocked == p.findings[0].message)
  }

  @Test func purposeSelectorContradictingAnUnmuteIsAnError() throws {
    let set = try World.set(
      "  mute:\n    - purpose: customer\n      for: 5m\n  unmute:\n    - participant: \(World.customerP)\n")
    let p = plan(set, World.live([World.customer, World.agentAda]))
    #expect(
      findings(p) == [
        "error mute_unmute_conflict 10:7 Caller is unmuted here and muted by policy 'p1' at p.yaml:7:7"
      ])
  }

  func lease(_ set: PolicySet, endsAt: Double, status: Lease.Status = .open, policy: String = "p1") -> Lease {
    let m = set.policies[0].mute[0]
    return Lease(
      workspace: "default", policy: policy, directive: m.digest, conversation: World.conv,
      participant: World.customerP, startedAt: endsAt - 300, endsAt: endsAt, status: status)
  }

  @Test func expiredLeaseIsRevertedFirst() throws {
    var muted = World.customer
    muted.muted = true
    let set = try World.set(
      "  unmute:\n    - user: ada@example.com\n  mute:\n    - purpose: customer\n      for: 5m\n")
    let p = plan(set, World.live([muted, World.agentAda]), leases: [lease(set, endsAt: now - 1)])
    #expect(p.changes.first?.action == .revert)
    #expect(p.changes.first?.explanation == "lease ended at 2027-01-15T07:59:59.000Z")
    #expect(p.summary.revert == 1)
    #expect(p.summary.mute == 0, "a served lease is one-shot")
  }

  @Test func openLeaseIsANoopAndServedLeaseIsNotMutedAgain() throws {
    var muted = World.customer
    muted.muted = true
    let set = try World.set("  mute:\n    - purpose: customer\n      for: 5m\n")
    let open = plan(set, World.live([muted, World.agentAda]), leases: [lease(set, endsAt: now + 60)])
    #expect(lines(open) == ["= noop Caller 7:7 muted until 2027-01-15T08:01:00.000Z"])
    #expect(open.nextLeaseEnd == now + 60)
    let served = plan(
      set, World.live([World.customer, World.agentAda]),
      leases: [lease(set, endsAt: now - 60, status: .served)])
    #expect(lines(served) == ["= noop Caller 7:7 lease already served"])
  }

  @Test func leasesThatNeedNoRevertAreClosed() throws {
    let set = try World.set("  mute:\n    - purpose: customer\n      for: 5m\n")
    func closed(_ p: Plan) -> [String] { p.closedLeases.map { "\($0.lease.participant) \($0.reason)" } }
    var left = World.customer
    left.state = "disconnected"
    #expect(
      closed(plan(set, World.live([left, World.agentAda]), leases: [lease(set, endsAt: now + 60)]))
        == ["\(World.customerP) the participant left"])
    var ended = World.agentAda
    ended.state = "terminated"
    #expect(
      closed(plan(set, World.live([left, ended]), leases: [lease(set, endsAt: now + 60)]))
        == ["\(World.customerP) the conversation has ended"])
    #expect(
      closed(plan(set, World.live([], status: .notFound), leases: [lease(set, endsAt: now + 60)]))
        == ["\(World.customerP) the conversation was not found"])
    #expect(
      closed(plan(set, World.live([World.customer, World.agentAda]), leases: [lease(set, endsAt: now - 1)]))
        == ["\(World.customerP) lease ended; already unmuted"])
    // Still to serve: an open lease of a muted participant, before or after its end.
    var muted = World.customer
    muted.muted = true
    for end in [now + 60, now - 1] {
      #expect(
        closed(plan(set, World.live([muted, World.agentAda]), leases: [lease(set, endsAt: end)])).isEmpty)
    }
    // A conversation that was not read says nothing about its leases.
    let unread = Planner(wholeSet: false).plan(
      set, live: LiveState(), leases: [lease(set, endsAt: now - 1)], now: now)
    #expect(unread.closedLeases.isEmpty)
  }

  @Test func aCloseRecordServesItsLease() throws {
    let set = try World.set("  mute:\n    - purpose: customer\n      for: 5m\n")
    let directive = set.policies[0].mute[0].digest
    func record(_ kind: JournalRecord.Kind, _ id: String, status: JournalRecord.Status? = nil)
      -> JournalRecord
    {
      JournalRecord(
        kind: kind, id: id, at: now, workspace: "default", run: "r", action: kind == .close ? .revert : .mute,
        conversation: World.conv, participant: World.customerP, policy: "p1", directive: directive,
        leaseEnds: kind == .intent ? now + 300 : nil, status: status)
    }
    let opened = [record(.intent, "a"), record(.outcome, "a", status: .ok)]
    #expect(JournalState(opened, workspace: "default").leases.map(\.status) == [.open])
    let closed = opened + [record(.close, "c")]
    #expect(JournalState(closed, workspace: "default").leases.map(\.status) == [.served])
    #expect(JournalState(closed, workspace: "other").leases.isEmpty)
    let line = record(.close, "c").line
    #expect(JournalRecord.parse(Substring(line)) == record(.close, "c"))
  }

  @Test func driftRespectReportsAndReconcileMutesWithinTheLease() throws {
    let respect = try World.set("  mute:\n    - purpose: customer\n      for: 5m\n")
    let p = plan(
      respect, World.live([World.customer, World.agentAda]), leases: [lease(respect, endsAt: now + 100)])
    #expect(
      findings(p) == ["warning drift 7:7 Caller was unmuted by someone else; left alone (onDrift: respect)"])
    #expect(!p.hasChanges)
    let reconcile = try World.set("  onDrift: reconcile\n  mute:\n    - purpose: customer\n      for: 5m\n")
    let q = plan(
      reconcile, World.live([World.customer, World.agentAda]), leases: [lease(reconcile, endsAt: now + 100)])
    #expect(q.changes.map(\.action) == [.mute])
    #expect(q.changes[0].duration?.seconds == 100, "never extends the lease")
  }

  @Test func leaseOfAPolicyThatIsGoneIsPrunedOnlyWithTheWholeSet() throws {
    var muted = World.customer
    muted.muted = true
    let set = try World.set("  mute:\n    - purpose: customer\n      for: 5m\n")
    let other = lease(set, endsAt: now + 100, policy: "old-policy")
    // The set left mutes the customer no more: only the agent.
    let set2 = try World.set("  mute:\n    - purpose: agent\n      for: 5m\n")
    let p = plan(set2, World.live([muted, World.agentAda]), leases: [other])
    #expect(p.changes.contains { $0.action == .prune && $0.participant == World.customerP })
    let partial = plan(set2, World.live([muted, World.agentAda]), leases: [other], wholeSet: false)
    #expect(!partial.changes.contains { $0.action == .prune })
    // A lease another run opened after this run read its files comes from files it has not seen.
    var stale = Planner()
    stale.policiesReadAt = other.startedAt - 1
    let p2 = stale.plan(set2, live: World.live([muted, World.agentAda]), leases: [other], now: now)
    #expect(!p2.changes.contains { $0.action == .prune })
    stale.policiesReadAt = other.startedAt + 1
    #expect(
      stale.plan(set2, live: World.live([muted, World.agentAda]), leases: [other], now: now).changes.contains
      {
        $0.action == .prune
      })
  }

  @Test func aChangedDirectiveReplacesItsLeaseWithoutUnmuting() throws {
    var muted = World.customer
    muted.muted = true
    let before = try World.set("  mute:\n    - purpose: customer\n      for: 5m\n")
    let after = try World.set("  mute:\n    - purpose: customer\n      for: 10m\n")
    let old = lease(before, endsAt: now + 100)
    // The run that sees the change mutes again (a new lease) and unmutes nothing.
    let p = plan(after, World.live([muted, World.agentAda]), leases: [old])
    #expect(p.changes.map(\.action) == [.mute], "\(lines(p))")
    #expect(p.changes[0].explanation.hasSuffix("replaces the lease of a changed directive without unmuting"))
    #expect(p.changes[0].duration?.seconds == 600)
    #expect(p.closedLeases.isEmpty, "the old lease stays until the new one is open")
    // The next run finds both leases: the old one is closed without an unmute.
    let new = Lease(
      workspace: "default", policy: "p1", directive: after.policies[0].mute[0].digest,
      conversation: World.conv, participant: World.customerP, startedAt: now, endsAt: now + 600, status: .open
    )
    let q = plan(after, World.live([muted, World.agentAda]), leases: [old, new])
    #expect(q.actionable.isEmpty, "\(lines(q))")
    #expect(q.closedLeases.map(\.lease) == [old])
    // Even once the old lease has ended, the running one decides: no revert in between.
    let r = plan(after, World.live([muted, World.agentAda]), leases: [lease(before, endsAt: now - 1), new])
    #expect(r.actionable.isEmpty, "\(lines(r))")
  }

  @Test func observerRoleJoinsMutedForMaxMute() throws {
    let set = try World.set(
      "  add:\n    - user: olive@example.com\n      role: observer\n",
      limits: "  maxMute: 45m\n  roles:\n    observer: {muted: true}\n")
    let olive = LiveParticipant(id: World.oliveP, purpose: "agent", state: "connected", userId: World.olive)
    let p = plan(set, World.live([World.customer, World.agentAda, olive]))
    #expect(p.changes.map(\.action) == [.noop, .mute])
    #expect(p.changes[1].duration?.seconds == 2700)
    #expect(p.changes[1].explanation == "role 'observer' is muted once connected, for maxMute 45m")
  }

  @Test func snapshotHashChangesWithState() {
    let a = LiveConversation(id: World.conv, participants: [World.customer])
    var b = a
    b.participants[0].muted = true
    #expect(a.snapshotHash != b.snapshotHash)
    #expect(a.snapshotHash == LiveConversation(id: World.conv, participants: [World.customer]).snapshotHash)
  }

  @Test func sha256KnownVectors() {
    #expect(Digest.sha256Hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    #expect(Digest.sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    #expect(
      Digest.sha256Hex(String(repeating: "a", count: 1000))
        == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
  }

  @Test func timestamps() {
    #expect(Timestamp.iso8601(0) == "1970-01-01T00:00:00.000Z")
    #expect(Timestamp.iso8601(1_621_003_397.067) == "2021-05-14T14:43:17.067Z")
    #expect(Timestamp.clock(1_621_003_397.067) == "14:43Z")
  }
}

/// The real service renders phone numbers as URIs: an add by number is recognised in any spelling.
@Suite struct AddressPlanningTests {
  @Test(arguments: ["+4930999888", "tel:+4930999888", "sip:+4930999888@edge.example.com;user=phone"])
  func anAddressAlreadyPresentIsNotDialledAgain(served: String) throws {
    let set = try World.set("  add:\n    - {address: \"+4930999888\", role: agent}\n")
    let dialled = LiveParticipant(
      id: "0a1b2c3d-0000-4000-8000-000000000009", purpose: "external", state: "connected", address: served)
    let plan = Planner().plan(
      set, live: World.live([World.agentAda, dialled]), leases: [], now: 1_800_000_000)
    #expect(plan.actionable.isEmpty, "\(plan.changes.map(\.explanation))")
    #expect(plan.changes.first?.explanation.hasPrefix("already present") == true)
    #expect(plan.changes.first?.subject == "+4930999888")
    // The applier's confirmation sees it too.
    let add = PlannedChange(
      .add(.address("+4930999888"), role: "agent"), conversation: ConversationId(World.conv)!,
      subject: "+4930999888",
      policy: "p1", directive: "", location: nil, before: "absent", after: "alerting", explanation: "add")
    #expect(
      add.effect.isVisible(
        in: LiveConversation(id: World.conv, participants: [World.agentAda, dialled])))
  }
}

/// One admission rule: capacity (the conversation's own limit, the hard cap, the set's) and each
/// role's `max` over the parties Partyline added.
@Suite struct AdmissionTests {
  @Test func capacityAndRoleMaxAreCountedAsPartiesJoin() {
    var limits = Limits.defaults
    limits.maxParticipants = 5
    limits.roles = [RoleRule(name: "agent", max: 2), RoleRule(name: "observer")]
    #expect(Admission(limits: limits).capacity == 5)
    #expect(Admission(limits: limits, conversationMax: 3).capacity == 3)
    #expect(Admission(limits: Limits.defaults, conversationMax: 40).capacity == Limits.hardMaxParticipants)
    var a = Admission(limits: limits, conversationMax: 4, present: 2, roles: ["agent": 1])
    #expect(a.refusals(role: "agent").isEmpty)
    a.admit(role: "agent")
    #expect(a.refusals(role: "agent") == [.roleMax(role: "agent", max: 2)])
    #expect(a.refusals(role: "observer").isEmpty, "a role without a max")
    a.admit(role: "observer")
    #expect(a.refusals(role: "observer") == [.capacity(count: 5, capacity: 4)])
    #expect(
      a.refusals(role: "agent") == [.roleMax(role: "agent", max: 2), .capacity(count: 5, capacity: 4)],
      "role first")
    #expect(a.present == 4 && a.roles == ["agent": 2, "observer": 1])
  }
}
