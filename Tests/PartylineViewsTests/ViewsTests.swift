import Foundation
import PartylineCore
import PartylineTestSupport
import PartylineViews
import Testing
import YAMLReader
import OrderedJSON

/// The output formats, pinned over model values: no binary, no emulator, no clock.
enum Fixture {
  static let conv = "5f0c2a1e-0b6d-4c1e-9a51-1c2d3e4f5a6b"
  static let ended = "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e"
  static let ada = "2228f9a6-0995-4bdb-ba19-281dd0143a12"
  static let grace = "84e572a8-5750-49d6-8d0a-2d88a6110981"
  static let customerP = "da272714-0a88-4f39-b75e-a3f723ef5c18"
  static let adaP = "fe9cd5a5-c53c-4dc1-a53d-1a9cc573b440"
  static let graceP = "3fcc22e8-510c-4505-96c5-8cbb161cee3f"
  static let now = 1_800_000_000.0

  static let policy = """
    apiVersion: partyline/v1
    kind: ConversationPolicy
    metadata: {name: war-room}
    spec:
      conversation: \(conv)
      mute:
        - purpose: customer
          for: 30m
          reason: noise on the line
      unmute:
        - user: grace@example.com
      pauseRecording:
        for: 3m
        reason: card details
    """

  static let invalid = """
    apiVersion: partyline/v1
    kind: ConversationPolicy
    metadata: {name: broken}
    spec:
      conversation: not-a-uuid
      mute:
        - purpose: customer
          for: 3h
    """

  static func compile(_ text: String, file: String = "policies/war-room.yaml") -> CompileResult {
    PartylineTestSupport.compile([(name: file, text: text)])
  }

  static var live: LiveState {
    var grace = LiveParticipant(
      id: graceP, purpose: "agent", state: "connected", muted: true, userId: Self.grace, name: "Grace")
    grace.queue = nil
    var call = LiveConversation(
      id: conv,
      participants: [
        LiveParticipant(
          id: customerP, purpose: "customer", state: "connected", address: "tel:+4930123456",
          name: "Caller"),
        LiveParticipant(id: adaP, purpose: "agent", state: "connected", userId: ada, name: "Ada"),
        grace,
      ])
    call.recordingState = "active"
    call.securePause = false
    return LiveState(
      conversations: [conv: call],
      users: [
        ada: LiveUser(id: ada, name: "Ada", email: "ada@example.com"),
        Self.grace: LiveUser(id: Self.grace, name: "Grace", email: "grace@example.com"),
      ],
      emails: ["ada@example.com": ada, "grace@example.com": Self.grace])
  }

  /// A lease of a policy no longer in the set, past its end: a prune.
  static var leases: [Lease] {
    [
      Lease(
        workspace: "default", policy: "old-policy", directive: "d41d8cd98f00b204", conversation: ended,
        participant: customerP, startedAt: now - 1800, endsAt: now - 60, status: .open),
      Lease(
        workspace: "default", policy: "war-room", directive: "9e107d9d372bb682", conversation: conv,
        participant: adaP, startedAt: now - 600, endsAt: now + 600, status: .open),
      Lease(
        workspace: "default", policy: "war-room", directive: "e4d909c290d0fb1c", conversation: conv,
        participant: graceP, startedAt: now - 900, endsAt: now - 300, status: .served),
      pauseLease,
    ]
  }

  /// A pause of the ended-policy call's recording, past its end: a resume.
  static var pauseLease: Lease {
    var l = Lease(
      workspace: "default", policy: "old-policy", directive: "a87ff679a2f3e71d", conversation: ended,
      participant: Lease.wholeCall, startedAt: now - 240, endsAt: now - 60, status: .open)
    l.kind = .pauseRecording
    return l
  }

  static func plan() throws -> Plan {
    let set = try #require(compile(policy).policySet)
    var live = self.live
    var other = LiveConversation(
      id: ended,
      participants: [
        LiveParticipant(
          id: customerP, purpose: "customer", state: "connected", muted: true, address: "tel:+4940123456",
          name: "Caller"),
        LiveParticipant(id: adaP, purpose: "agent", state: "connected", userId: ada, name: "Ada"),
      ])
    other.securePause = true
    other.recordingState = "paused"
    live.conversations[ended] = other
    return Planner(wholeSet: true).plan(set, live: live, leases: [leases[0], pauseLease], now: now)
  }

  static let dir = "Tests/PartylineViewsTests/Golden"
}

@Suite struct PlanViewTests {
  @Test func theFourFormsOfAPlan() throws {
    let plan = try Fixture.plan()
    try Golden.assert(PlanRenderer().text(plan), "plan.txt", in: Fixture.dir)
    try Golden.assert(
      PlanRenderer.json(plan, notAfter: Fixture.now + 3600).render(indent: 2) + "\n", "plan.json",
      in: Fixture.dir)
    try Golden.assert(PlanRenderer.github(plan), "plan.github", in: Fixture.dir)
    try Golden.assert(PlanRenderer.markdown(plan), "plan.md", in: Fixture.dir)
  }

  @Test func colourIsOnlyAddedWhenAsked() throws {
    let plan = try Fixture.plan()
    #expect(!PlanRenderer().text(plan).contains("\u{1B}["))
    #expect(PlanRenderer(style: Style(enabled: true)).text(plan).contains("\u{1B}["))
  }
}

@Suite struct DiagnosticViewTests {
  @Test func textWithTheSourceLineAndACaretJSONAndGitHub() throws {
    let result = Fixture.compile(Fixture.invalid, file: "policies/broken.yaml")
    #expect(result.policySet == nil)
    let source = Array(Fixture.invalid.utf8)
    var renderer = DiagnosticRenderer(style: Style(enabled: false)) {
      $0 == "policies/broken.yaml" ? source : nil
    }
    try Golden.assert(
      result.diagnostics.map { renderer.text($0) }.joined(), "diagnostics.txt", in: Fixture.dir)
    try Golden.assert(
      JSONValue.array(result.diagnostics.map(DiagnosticRenderer.json)).render(indent: 2) + "\n",
      "diagnostics.json", in: Fixture.dir)
    try Golden.assert(
      result.diagnostics.map { DiagnosticRenderer.github($0) + "\n" }.joined(), "diagnostics.github",
      in: Fixture.dir)
  }

  @Test func aFileThatCannotBeReadShowsNoSourceLine() {
    let d = Diagnostic(
      id: .invalidId, message: "not a UUID", range: SourceRange(file: "gone.yaml", line: 3, column: 5))
    var renderer = DiagnosticRenderer(style: Style(enabled: false))
    #expect(renderer.text(d) == "gone.yaml:3:5: error: not a UUID [invalid_id]\n")
  }
}

@Suite struct ApplyAndStateViewTests {
  @Test func theApplySummaryCountsWhatWasDoneAndWhatWentWrong() throws {
    let plan = try Fixture.plan()
    var report = ApplyReport()
    let results: [ApplyReport.Item.Result] = [.confirmed, .unknown, .waiting]
    for (change, result) in zip(plan.changes.filter(\.isChange), results) {
      report.items.append(.init(change: change, result: result, detail: nil))
    }
    report.lockFailures[Fixture.ended] = "conversation \(Fixture.ended) is locked by another run"
    let lines = [
      ApplySummary.line(report, dryRun: false), ApplySummary.line(report, dryRun: true),
      ApplySummary.line(ApplyReport(), dryRun: false),
    ]
    try Golden.assert(lines.joined(separator: "\n") + "\n", "apply-summary.txt", in: Fixture.dir)
  }

  @Test func theLeaseTableAsTextAndJSON() throws {
    let table = LeaseTable(
      leases: Fixture.leases,
      locks: [.init(conversation: Fixture.conv, holder: "watch on host-a (pid 4242)")],
      now: Fixture.now)
    try Golden.assert(table.text, "leases.txt", in: Fixture.dir)
    try Golden.assert(table.json.render(indent: 2) + "\n", "leases.json", in: Fixture.dir)
    #expect(LeaseTable(leases: [], locks: [], now: Fixture.now).text == "No leases.\n")
  }

  /// With PostgreSQL state, who leads each workspace's watchers (its text from the database is shown
  /// without controls).
  @Test func theLeaseTableNamesTheLeaders() throws {
    var table = LeaseTable(leases: [], locks: [], now: Fixture.now)
    table.leaders = [
      .init(workspace: "default", holder: "partyline pid 4242 on host-a\u{1B}[2J", epoch: 3, running: true),
      .init(workspace: "night", holder: "partyline pid 7 on host-b", epoch: 12, running: false),
    ]
    #expect(
      table.text == """
        No leases.
        leader: workspace default: partyline pid 4242 on host-a\\x1B[2J (epoch 3, lease running)
        leader: workspace night: partyline pid 7 on host-b (epoch 12, lease lapsed: the next watcher takes over)

        """)
    let json = table.json.render()
    #expect(
      json.hasSuffix(
        #","leaders":[{"workspace":"default","holder":"partyline pid 4242 on host-a\u001b[2J","epoch":3,"lease":"running"},{"workspace":"night","holder":"partyline pid 7 on host-b","epoch":12,"lease":"lapsed"}]}"#
      ), "\(json)")
    #expect(!LeaseTable(leases: [], locks: [], now: Fixture.now).json.render().contains("leaders"))
  }

  @Test func thePrometheusText() throws {
    let plan = try Fixture.plan()
    let metrics = Metrics()
    metrics.note(
      JournalRecord(
        kind: .outcome, id: "r1-a", at: Fixture.now, workspace: "default", run: "r1", action: .mute,
        conversation: Fixture.conv, policy: "war-room", directive: "x", status: .ok))
    metrics.noteSlow()
    try Golden.assert(
      metrics.render(
        plan: plan, report: ApplyReport(), leases: Fixture.leases, throttled: 2, now: Fixture.now),
      "metrics.prom", in: Fixture.dir)
  }
}

@Suite struct CallsViewTests {
  /// A supervisor Genesys added to monitor Ada shows its media role and whom it monitors; ordinary
  /// legs show nothing more.
  @Test func aSupervisionLegShowsItsMediaRole() throws {
    var monitor = LiveParticipant(
      id: Fixture.graceP, purpose: "user", state: "connected", userId: Fixture.grace, name: "Grace")
    monitor.mediaRoles = ["monitor"]
    monitor.supervisedParticipantId = Fixture.adaP
    var call = try #require(Fixture.live.conversations[Fixture.conv])
    call.participants = [call.participants[0], call.participants[1], monitor]
    call.direction = "inbound"
    let users = Fixture.live.users
    try Golden.assert(CallsView.text([(call, nil)], users: users), "calls-supervision.txt", in: Fixture.dir)
    try Golden.assert(
      CallsView.json([(call, nil)], users: users).render(indent: 2) + "\n", "calls-supervision.json",
      in: Fixture.dir)
  }
}
