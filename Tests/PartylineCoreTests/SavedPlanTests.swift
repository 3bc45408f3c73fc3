import Foundation
import PartylineCore
import PartylineTestSupport
import Testing
import YAMLReader
import OrderedJSON
import WireTime

/// The saved plan's codec and its checks, on model values (the end-to-end tests cover the files).
@Suite struct SavedPlanTests {
  static let conv = "4bd53925-0e3f-4032-8ec5-19c148eb8083"
  static let customer = "ef10915e-a083-4f2f-8045-c624a143ada8"
  static let agent = "2c1f0a4e-5b6d-4e7f-8a9b-0c1d2e3f4a5b"

  static func plan(mute seconds: Int = 1800) -> SavedPlan {
    let at = SourceRange(file: "policies/noisy.yaml", line: 7, column: 7)
    let changes = [
      PlannedChange(
        .mute(
          participant: ParticipantId(customer)!, duration: PolicyDuration(seconds: seconds), reason: nil,
          dueAt: nil),
        conversation: ConversationId(conv)!, subject: "Customer", actingUser: agent, policy: "noisy-line",
        directive: "0123456789abcdef", location: at, before: "unmuted", after: "muted", explanation: "mute"),
      PlannedChange(
        .add(.address("+4930999888"), role: "supervisor"), conversation: ConversationId(conv)!,
        subject: "+4930999888",
        actingUser: agent, policy: "noisy-line", directive: "", location: at, before: "absent",
        after: "alerting", explanation: "add"),
    ]
    let p = Plan(
      changes: changes, findings: [], createdAt: 1_800_000_000, policySetDigest: "abc",
      snapshots: [conv: "hash"])
    var limits = Limits.defaults
    limits.roles = [RoleRule(name: "agent"), RoleRule(name: "supervisor", max: 1)]
    return SavedPlan(
      p, set: PolicySet(policies: [], limits: limits, files: ["policies/noisy.yaml"]), workspace: "default",
      target: "sandbox", notAfter: 1_800_000_600, planId: "3f6c1a2e-9b7d-4e21-8c55-0a1b2c3d4e5f")
  }

  func roundTrip(_ p: SavedPlan) throws -> SavedPlan {
    try SavedPlan.decode(Data(p.json.render(indent: 2).utf8), path: "plan.json")
  }

  @Test func roundTripsAndKeepsLocations() throws {
    let p = Self.plan()
    let back = try roundTrip(p)
    #expect(back == p)
    let changes = try back.check(now: 1_800_000_100, target: "sandbox", workspace: "default")
    #expect(changes.count == 2)
    #expect(changes[0].location?.description == "policies/noisy.yaml:7:7")
    #expect(changes[0].duration?.seconds == 1800)
    #expect(changes[1].addTarget == .address("+4930999888"))
  }

  /// A mute with a fixed lease end (`from: connect`) keeps it in the saved plan, so a plan applied late
  /// never mutes past the window; other mutes carry no `leaseEnds`.
  @Test func aMuteFromConnectKeepsItsLeaseEnd() throws {
    var p = Self.plan()
    #expect(!p.json.render(indent: 2).contains("leaseEnds"))
    let c = p.changes[0]
    p.changes[0] = PlannedChange(
      .mute(
        participant: ParticipantId(Self.customer)!, duration: PolicyDuration(seconds: 15), reason: nil,
        dueAt: 1_800_000_015),
      conversation: c.conversation, subject: c.subject, actingUser: c.actingUser, policy: c.policy,
      directive: c.directive, location: c.location, before: "", after: "", explanation: "saved plan")
    let back = try roundTrip(p)
    #expect(back.changes[0].dueAt == 1_800_000_015)
    let text = p.json.render(indent: 2).replacingOccurrences(
      of: #""leaseEnds"\s*:\s*[0-9.e+]+"#, with: #""leaseEnds": -5"#, options: .regularExpression)
    #expect(text.contains(#""leaseEnds": -5"#))
    #expect(throws: (any Error).self) { try SavedPlan.decode(Data(text.utf8), path: "plan.json") }
  }

  @Test func refusesWhatTheRulesForbid() throws {
    let now = 1_800_000_100.0
    #expect(throws: SavedPlanError.self) {
      try Self.plan(mute: 31_536_000).check(now: now, target: "sandbox", workspace: "default")
    }
    #expect(throws: SavedPlanError.self) {
      try Self.plan().check(now: 1_800_000_601, target: "sandbox", workspace: "default")
    }
    #expect(throws: SavedPlanError.self) {
      try Self.plan().check(now: now, target: "https://api.mypurecloud.ie", workspace: "default")
    }
    #expect(throws: SavedPlanError.self) {
      try Self.plan().check(now: now, target: "sandbox", workspace: "other")
    }
    var lowered = Self.plan()
    lowered.limits.maxMute = 600  // the mute of 30m is over the plan's own maxMute
    #expect(throws: SavedPlanError.self) {
      try lowered.check(now: now, target: "sandbox", workspace: "default")
    }
    var twice = Self.plan()
    twice.changes.append(twice.changes[1])  // supervisor max is 1
    #expect(throws: SavedPlanError.self) {
      try twice.check(now: now, target: "sandbox", workspace: "default")
    }
    var future = Self.plan()
    future.createdAt = now + 3600  // made "in an hour"
    future.notAfter = now + 4000
    #expect(throws: SavedPlanError.self) {
      try future.check(now: now, target: "sandbox", workspace: "default")
    }
    var forever = Self.plan()
    forever.notAfter = 4_070_908_800  // 2099: an expired plan edited to live on
    #expect(throws: SavedPlanError.self) {
      try forever.check(now: now, target: "sandbox", workspace: "default")
    }
    var raised = Self.plan()
    raised.limits.maxMute = 86_400  // its own Limits raised past the hard cap
    #expect(throws: SavedPlanError.self) {
      try raised.check(now: now, target: "sandbox", workspace: "default")
    }
  }

  /// A change's form is checked as the file is read: the ids it would put in a URL, the fields its
  /// action needs and has, its text.
  @Test(arguments: [
    (
      "\"participant\": \"\(SavedPlanTests.customer)\"", "\"participant\": \"../../users/me\"",
      "changes[0].participant: not a lowercase UUID: '../../users/me'"
    ),
    ("\"directive\": \"", "\"directive\": \"\", \"x\": \"", "changes[0]: unknown field 'x'"),
    (
      "\"seconds\": 1800", "\"seconds\": 1800, \"role\": \"agent\"",
      "changes[0].role: a change of action 'mute' has no 'role'"
    ),
    ("\"action\": \"mute\"", "\"action\": \"hold\"", "changes[0].action: unknown action 'hold'"),
    (
      "\"address\": \"+4930999888\"", "\"address\": \"+49 30\"",
      "changes[1].address: not an E.164 number: '+49 30'"
    ),
    ("\"seconds\": 1800", "\"seconds\": 0", "changes[0].seconds: a mute of 0s is not positive"),
  ])
  func aChangeOfImpossibleFormIsRefusedAsItIsRead(find: String, replace: String, expected: String) throws {
    let text = Self.plan().json.render(indent: 2)
    #expect(text.contains(find), "\(text)")
    let tampered = text.replacingOccurrences(of: find, with: replace)
    do {
      _ = try SavedPlan.decode(Data(tampered.utf8), path: "plan.json")
      Issue.record("decoded \(replace)")
    } catch {
      #expect("\(error)".contains(expected), "\(error)")
    }
  }

  @Test func aMuteWithoutItsDirectiveIsRefused() throws {
    var text = Self.plan().json.render(indent: 2)
    let directive = Self.plan().changes[0].directive
    text = text.replacingOccurrences(of: "\"directive\": \"\(directive)\"", with: "\"directive\": \"\"")
    #expect(throws: SavedPlanError.self) { try SavedPlan.decode(Data(text.utf8), path: "plan.json") }
  }

  @Test func checksWhatNeedsLiveState() throws {
    let p = Self.plan()
    let changes = try p.check(now: 1_800_000_100, target: "sandbox", workspace: "default")
    let present = LiveConversation(
      id: Self.conv,
      participants: [
        LiveParticipant(id: Self.customer, purpose: "customer", state: "connected"),
        LiveParticipant(
          id: "9d3b0c4e-1111-4222-8333-444455556666", purpose: "agent", state: "connected", userId: Self.agent
        ),
      ])
    try p.checkAgainst(changes, live: [Self.conv: present], addedRoles: [:])
    // The journal says a supervisor was added since: the role is at its max.
    #expect(throws: SavedPlanError.self) {
      try p.checkAgainst(changes, live: [Self.conv: present], addedRoles: [Self.conv: ["supervisor": 1]])
    }
    var full = present
    full.maxParticipants = 2
    #expect(throws: SavedPlanError.self) {
      try p.checkAgainst(changes, live: [Self.conv: full], addedRoles: [:])
    }
  }

  @Test(arguments: [
    ("{\"kind\": \"partyline-plan\", \"formatVer", "is not valid JSON"),
    ("[1, 2]", "is not a saved plan"),
    ("{\"kind\": \"partyline-plan\", \"formatVersion\": 1}", "has formatVersion 1"),
    ("{\"kind\": \"partyline-plan\", \"formatVersion\": 2}", "has formatVersion 2"),
    ("{\"kind\": \"partyline-plan\", \"formatVersion\": 3}", "missing field"),
  ])
  func decodingErrorsSayWhat(text: String, expected: String) {
    do {
      _ = try SavedPlan.decode(Data(text.utf8), path: "plan.json")
      Issue.record("decoded \(text)")
    } catch {
      #expect("\(error)".contains(expected), "\(error)")
    }
  }

  @Test func timestampsRoundTrip() {
    for t in [0.0, 1_800_000_000.123, 951_782_400.5, 4_102_444_799.999] {
      #expect(Timestamp.parse(Timestamp.iso8601(t)).map { abs($0 - t) < 0.001 } == true)
    }
    #expect(Timestamp.parse("2026-11-26T14:30:00Z") == 1_795_703_400)
    #expect(Timestamp.parse("2026-11-26 14:30:00Z") == nil)
    #expect(Timestamp.parse("2026-13-26T14:30:00Z") == nil)
  }

  @Test(arguments: [
    ("+4930123456", "+4930123456"), ("tel:+4930123456", "+4930123456"), ("TEL:+49-30-123456", "+4930123456"),
    ("sip:+4930123456@edge.example.com;user=phone", "+4930123456"), ("sips:+4930123456@h", "+4930123456"),
  ])
  func phoneAddressesCompareByDigits(address: String, number: String) {
    #expect(Grammar.phoneNumber(address) == number)
    #expect(
      LiveParticipant(id: "x", purpose: "external", state: "connected", address: address).hasNumber(number))
  }

  @Test(arguments: ["sip:agent.smith@edge.example.com", "", "tel:4930123456", "+49"])
  func addressesThatNameNoNumber(address: String) {
    #expect(Grammar.phoneNumber(address) == nil)
  }

  /// With a key, a saved plan is signed byte for byte: any edit breaks it.
  @Test func aSignedPlanVerifiesAndAnyEditBreaksIt() throws {
    let text = Self.plan().json.render(indent: 2) + "\n"
    let key = Array("plan-key-1".utf8)
    let signed = PlanSignature.sign(text, key: key)
    #expect(signed.hasSuffix("\"\n}\n"))
    #expect(signed.contains("\"signature\": \"sha256="))
    #expect(PlanSignature.verify(Array(signed.utf8), key: key) == .valid)
    #expect(PlanSignature.verify(Array(signed.utf8), key: Array("another".utf8)) == .mismatch)
    #expect(PlanSignature.verify(Array(signed.utf8), key: nil) == .unverified)
    #expect(PlanSignature.verify(Array(text.utf8), key: key) == .unsigned)
    let edited = signed.replacingOccurrences(of: "\"seconds\" : 1800", with: "\"seconds\" : 7200")
      .replacingOccurrences(of: "\"seconds\": 1800", with: "\"seconds\": 7200")
    #expect(edited != signed)
    #expect(PlanSignature.verify(Array(edited.utf8), key: key) == .mismatch)
    // The signed file is still a saved plan (the signature is a field it knows).
    #expect(try SavedPlan.decode(Data(signed.utf8), path: "plan.json") == Self.plan())
  }
}
