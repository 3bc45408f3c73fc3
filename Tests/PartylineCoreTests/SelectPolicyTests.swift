import PartylineCore
import PartylineTestSupport
import Testing
import YAMLReader

/// `spec.select`: compiled with located diagnostics, bound to the live calls it matches, planned per
/// call (leases, role max and contradictions per call; calls in other queues untouched).
@Suite struct SelectPolicyTests {
  static let escalations = "9a7c3e55-0000-4000-8000-000000000001"
  static let sales = "9a7c3e55-0000-4000-8000-000000000002"

  @Test func selectCompilesQueueUserAndDirection() throws {
    let result = compile([
      (
        "p.yaml",
        header + """
          spec:
            select:
              queue: Escalations
              user: Ada@Example.com
              direction: inbound
            mute:
              - purpose: customer
                for: 20s
          """
      )
    ])
    #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
    let p = try #require(result.policySet?.policies.first)
    #expect(p.conversation.isEmpty)
    let s = try #require(p.select)
    #expect(s.queue == .name("Escalations"))
    #expect(s.user == .email("ada@example.com"))
    #expect(s.direction == .inbound)
    #expect(s.queueLocation?.start == SourceMark(line: 7, column: 12))
  }

  @Test func queueByIdIsAnId() throws {
    let result = compile([
      ("p.yaml", header + "spec:\n  select: {queue: 9A7C3E55-0000-4000-8000-000000000001}\n  mute: []\n")
    ])
    #expect(try #require(result.policySet).policies[0].select?.queue == .id(Self.escalations))
  }

  @Test func exactlyOneOfConversationAndSelect() {
    assertDiagnostics(
      header + """
        1️⃣spec:
          onDrift: respect
        """,
      [
        Expected(
          "1️⃣", "missing_key",
          "spec needs one of 'conversation' (a call's id) or 'select' (every live call that matches)")
      ])
    assertDiagnostics(
      header + """
        spec:
          conversation: 5f0c2a1e-0b6d-4c1e-9a51-1c2d3e4f5a6b
          1️⃣select: {queue: Escalations}
        """,
      [
        Expected(
          "1️⃣", "conflicting_keys",
          "spec has both 'conversation' and 'select'; a policy names one call or selects calls, not both")
      ])
  }

  @Test func selectRefusesParticipantIdsAndBadValues() {
    assertDiagnostics(
      header + """
        spec:
          select:
            queue: 1️⃣"Esc*"
            direction: 2️⃣inbund
            3️⃣colour: red
          mute:
            - 4️⃣participant: 8765a1b2-0000-4000-8000-000000000001
              for: 10m
          unmute:
            - 5️⃣participant: 8765a1b2-0000-4000-8000-000000000002
        """,
      [
        Expected(
          "1️⃣", "invalid_queue",
          "invalid queue 'Esc*': expected a queue id (UUID) or its exact name (1–255 characters, no control characters or '*')"
        ),
        Expected(
          "2️⃣", "invalid_value",
          "invalid direction 'inbund': expected one of inbound, outbound; did you mean 'inbound'?"),
        Expected("3️⃣", "unknown_key", "unknown key 'colour' in spec.select"),
        Expected(
          "4️⃣", "participant_in_select",
          "a select policy cannot name a participant id: participants of calls that have not started have no ids yet; select by 'purpose' or 'user'"
        ),
        Expected(
          "5️⃣", "participant_in_select",
          "a select policy cannot name a participant id: participants of calls that have not started have no ids yet; select by 'purpose' or 'user'"
        ),
      ])
  }

  @Test func emptySelectIsAnError() {
    assertDiagnostics(
      header + """
        spec:
          select: 1️⃣{}
        """,
      [Expected("1️⃣", "empty_select", "spec.select needs at least one of 'queue', 'user' or 'direction'")])
  }

  // MARK: Binding and planning

  static func call(_ n: Int, queue: String?, direction: String = "inbound", agent: String? = "ada")
    -> LiveConversation
  {
    var c = LiveConversation(
      id: "c0000000-0000-4000-8000-00000000000\(n)",
      participants: [
        LiveParticipant(
          id: "b0000000-0000-4000-8000-0000000000\(n)1", purpose: "customer", state: "connected",
          address: "tel:+4930123456")
      ])
    if let agent {
      c.participants.append(
        LiveParticipant(
          id: "b0000000-0000-4000-8000-0000000000\(n)2", purpose: "agent", state: "connected",
          userId: agent == "ada"
            ? "a0000000-0000-4000-8000-000000000001" : "a0000000-0000-4000-8000-000000000002"))
    }
    c.direction = direction
    if let queue { c.queues = [queue] }
    return c
  }

  static func set(_ yaml: String...) throws -> PolicySet {
    let result = compile(yaml.enumerated().map { (name: "p\($0.offset).yaml", text: $0.element) })
    #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
    return try #require(result.policySet)
  }

  static func policy(_ name: String, _ spec: String) -> String {
    "apiVersion: partyline/v1\nkind: ConversationPolicy\nmetadata: {name: \(name)}\nspec:\n" + spec
  }

  @Test func boundToEveryMatchingCallAndPlannedPerCall() throws {
    let set = try Self.set(
      Self.policy("esc", "  select: {queue: Escalations}\n  mute: [{purpose: customer, for: 20s}]\n"))
    let calls = [
      Self.call(1, queue: Self.escalations), Self.call(2, queue: Self.escalations),
      Self.call(3, queue: Self.sales), Self.call(4, queue: Self.escalations, direction: "outbound"),
    ]
    let live = LiveState(conversations: Dictionary(uniqueKeysWithValues: calls.map { ($0.id, $0) }))
    let selector = try #require(set.policies[0].select)
    let discovery = Discovery(
      queues: ["escalations": Self.escalations], candidates: [selector.key: calls.map(\.id)])
    let bound = set.bound(to: discovery, live: live)
    #expect(
      bound.policies.map(\.conversation).filter { !$0.isEmpty }.sorted() == [
        calls[0].id, calls[1].id, calls[3].id,
      ])
    #expect(bound.digest == set.digest, "binding keeps the set's digest")
    let plan = Planner().plan(bound, live: live, leases: [], now: 1000)
    let mutes = plan.changes.filter { $0.action == .mute }
    #expect(mutes.map(\.conversation.rawValue).sorted() == [calls[0].id, calls[1].id, calls[3].id])
    #expect(!plan.changes.contains { $0.conversation.rawValue == calls[2].id }, "the Sales call is untouched")
    #expect(Set(mutes.map(\.participant)).count == 3, "one lease per call and participant")
  }

  @Test func directionAndUserMustAllMatch() throws {
    let set = try Self.set(
      Self.policy(
        "ada-out",
        "  select: {user: a0000000-0000-4000-8000-000000000001, direction: outbound}\n  mute: [{purpose: customer, for: 20s}]\n"
      ))
    let calls = [
      Self.call(1, queue: nil, direction: "outbound"), Self.call(2, queue: nil, direction: "inbound"),
      Self.call(3, queue: nil, direction: "outbound", agent: "bob"),
    ]
    let live = LiveState(conversations: Dictionary(uniqueKeysWithValues: calls.map { ($0.id, $0) }))
    let key = try #require(set.policies[0].select).key
    let bound = set.bound(to: Discovery(candidates: [key: calls.map(\.id)]), live: live)
    #expect(bound.policies.map(\.conversation).filter { !$0.isEmpty } == [calls[0].id])
  }

  @Test func overlappingPoliciesContradictPerCallNamingBoth() throws {
    let set = try Self.set(
      Self.policy("esc-mute", "  select: {queue: Escalations}\n  mute: [{purpose: customer, for: 20s}]\n"),
      Self.policy("inbound-unmute", "  select: {direction: inbound}\n  unmute: [{purpose: customer}]\n"))
    let calls = [Self.call(1, queue: Self.escalations), Self.call(2, queue: Self.sales)]
    let live = LiveState(conversations: Dictionary(uniqueKeysWithValues: calls.map { ($0.id, $0) }))
    var candidates: [String: [String]] = [:]
    for s in set.selectors { candidates[s.key] = calls.map(\.id) }
    let bound = set.bound(
      to: Discovery(queues: ["escalations": Self.escalations], candidates: candidates), live: live)
    let plan = Planner().plan(bound, live: live, leases: [], now: 1000)
    let errors = plan.findings.filter { $0.severity == .error }
    #expect(errors.count == 1, "\(plan.findings)")
    let e = try #require(errors.first)
    #expect(
      e.message.contains("muted by policy 'esc-mute'") && e.message.contains("in call \(calls[0].id)"),
      "\(e.message)")
    #expect(e.range.file == "p0.yaml" || e.range.file == "p1.yaml")
    #expect(!e.related.isEmpty, "names the other policy's place")
  }

  @Test func aCallThatStopsMatchingKeepsItsLeaseUntilItEnds() throws {
    let set = try Self.set(
      Self.policy("esc", "  select: {queue: Escalations}\n  mute: [{purpose: customer, for: 20s}]\n"))
    var call = Self.call(1, queue: Self.escalations)
    let key = try #require(set.policies[0].select).key
    let discovery = Discovery(queues: ["escalations": Self.escalations], candidates: [key: [call.id]])
    let first = Planner().plan(
      set.bound(to: discovery, live: LiveState(conversations: [call.id: call])),
      live: LiveState(conversations: [call.id: call]), leases: [], now: 1000)
    let mute = try #require(first.changes.first { $0.action == .mute })
    // Muted, then transferred out of the queue: the lease stays open until it ends, then is reverted.
    call.queues = [Self.sales]
    call.participants[0].muted = true
    let lease = Lease(
      workspace: "default", policy: "esc", directive: mute.directive, conversation: call.id,
      participant: mute.participant!, startedAt: 1000, endsAt: 1020, status: .open)
    let live = LiveState(conversations: [call.id: call])
    let bound = set.bound(to: discovery, live: live)
    #expect(bound.policies.allSatisfy { $0.conversation.isEmpty })
    let during = Planner().plan(bound, live: live, leases: [lease], now: 1010)
    let early = during.changes.filter { $0.action == .revert || $0.action == .prune }
    #expect(early.isEmpty, "\(early.map { "\($0.action) \($0.explanation)" })")
    let after = Planner().plan(bound, live: live, leases: [lease], now: 1021)
    #expect(after.changes.contains { $0.action == .revert }, "\(after.changes)")
  }
}
