import Foundation
import GenesysSim
import PartylineTestSupport
import Testing
import YAMLReader

@Suite struct SimFixtureTests {
  static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent()
    .deletingLastPathComponent()

  @Test func embeddedDemoEqualsTheFileInSim() throws {
    let path = Self.repoRoot.appendingPathComponent("sim/demo-organisation.yaml").path
    let file = try String(contentsOfFile: path, encoding: .utf8)
    #expect(SimFixture.demoYAML == file)
    #expect(try SimFixture.load(path: path).get() == SimFixture.demo)
  }

  @Test func demoOrganisationHasTheDocumentedClient() {
    let demo = SimFixture.demo
    #expect(demo.clients.first?.id == "partyline-demo")
    #expect(demo.clients.first?.secret == "partyline-demo-secret")
    #expect(demo.clients.first?.tokenLifetime == 86400)
    #expect(demo.users.count == 8)
    #expect(demo.conversations.count == 6)
    #expect(demo.queues.map(\.name) == ["Escalations", "Sales"])
  }

  /// The named ids the tests use (`Demo`) are the demo organisation's, each what its name says.
  @Test func demoIdsAreTheDemoOrganisations() throws {
    let demo = SimFixture.demo
    #expect(demo.clients.first?.id == Demo.Client.id)
    #expect(demo.clients.first?.secret == Demo.Client.secret)
    let emails = Dictionary(uniqueKeysWithValues: demo.users.map { ($0.id, $0.email ?? "") })
    let users = [
      (Demo.User.ada, "ada@"), (Demo.User.grace, "grace@"), (Demo.User.linus, "linus@"),
      (Demo.User.sam, "sam.supervisor@"), (Demo.User.olive, "olive@"), (Demo.User.hedy, "hedy@"),
      (Demo.User.otto, "otto@"), (Demo.User.quinn, "quinn@"),
    ]
    for (id, email) in users { #expect(emails[id]?.hasPrefix(email) == true, "\(id) is \(email)") }
    let queues = Dictionary(uniqueKeysWithValues: demo.queues.map { ($0.id, $0.name) })
    #expect(queues[Demo.Queue.escalations] == "Escalations")
    #expect(queues[Demo.Queue.sales] == "Sales")
    let calls = Dictionary(uniqueKeysWithValues: demo.conversations.map { ($0.id, $0) })
    #expect(calls[Demo.Call.warRoom]?.maxParticipants == 10)
    #expect(calls[Demo.Call.noisy]?.participants.first?.id == Demo.Participant.noisyCustomer)
    #expect(calls[Demo.Call.noisy]?.participants.first?.purpose == "customer")
    let trainee = try #require(
      calls[Demo.Call.coaching]?.participants.first { $0.id == Demo.Participant.trainee })
    #expect(trainee.user == Demo.User.linus && trainee.muted)
    #expect(calls[Demo.Call.escalationAnswered]?.queue == Demo.Queue.escalations)
    #expect(calls[Demo.Call.escalationAnswered]?.participants.contains { $0.user == Demo.User.quinn } == true)
    #expect(calls[Demo.Call.escalationWaiting]?.queue == Demo.Queue.escalations)
    #expect(calls[Demo.Call.sales]?.queue == Demo.Queue.sales)
  }

  @Test func yamlRoundTrips() throws {
    let demo = SimFixture.demo
    #expect(try SimFixture.parse(yaml: demo.yaml(), file: "x.yaml").get() == demo)
  }

  /// A connected leg's `connectedTime` is read, served on the participant, and kept by the export
  /// (the sandbox's organisation carries it across restarts); on a leg that is not connected it is a
  /// located error.
  @Test func aConnectedTimeIsServedAndRoundTrips() async throws {
    let text = """
      clients: [{id: c, secret: s, permissions: ["*"]}]
      users: []
      conversations:
        - id: 4bd53925-0e3f-4032-8ec5-19c148eb8083
          participants:
            - {id: ef10915e-a083-4f2f-8045-c624a143ada8, purpose: customer, state: connected, connectedTime: "2026-12-07T08:14:45+00:00"}
      """
    let fixture = try SimFixture.parse(yaml: text, file: "f.yaml").get()
    let at = fixture.conversations[0].participants[0].connectedTime
    #expect(at == Date(timeIntervalSince1970: 1_796_631_285))
    #expect(try SimFixture.parse(yaml: fixture.yaml(), file: "again.yaml").get() == fixture)
    let server = try await SimServer.start(fixture: fixture)
    #expect(server.exportFixture() == fixture)
    await server.shutdown()
    let ringing = text.replacingOccurrences(of: "state: connected", with: "state: alerting")
    guard case .failure(let d) = SimFixture.parse(yaml: ringing, file: "f.yaml") else {
      Issue.record("a connectedTime on a ringing leg was accepted")
      return
    }
    #expect(d.map(\.message) == ["'connectedTime' is for a connected participant; this one is alerting"])
  }

  @Test func queuesDirectionsLimitsAndTopicPermissionsRoundTrip() throws {
    let text = """
      clients:
        - id: a
          secret: b
          limits: {client.credentials.token.rate.per.minute: 60}
      queues:
        - {id: q1, name: Escalations}
      topicPermissions:
        "v2.users.{id}.conversations.calls": ["directory:user:view"]
      conversations:
        - id: c1
          queue: q1
          direction: outbound
          participants: []
      """
    let fixture = try SimFixture.parse(yaml: text, file: "f.yaml").get()
    #expect(fixture.queues == [.init(id: "q1", name: "Escalations")])
    #expect(fixture.conversations[0].queue == "q1")
    #expect(fixture.conversations[0].direction == "outbound")
    #expect(fixture.clients[0].limits == ["client.credentials.token.rate.per.minute": 60])
    #expect(fixture.topicPermissions == ["v2.users.{id}.conversations.calls": ["directory:user:view"]])
    #expect(try SimFixture.parse(yaml: fixture.yaml(), file: "x.yaml").get() == fixture)
  }

  /// Each case: fixture text, the diagnostic id, its line and column, and a piece of the message.
  static let cases: [(String, String, Int, Int, String)] = [
    (
      """
      clients: []
      conversations:
        - id: c
          queue: nowhere
      """, "unknown_queue", 4, 12, "refers to queue 'nowhere', which 'queues' does not define"
    ),
    (
      """
      clients: []
      conversations:
        - id: c
          direction: sideways
      """, "invalid_value", 4, 16, "'direction' must be 'inbound' or 'outbound'"
    ),
    (
      """
      clients:
        - id: a
          secret: b
          limits: {x: lots}
      """, "invalid_value", 4, 17, "a limit's value must be a non-negative integer"
    ),
    (
      """
      clients:
        - id: a
          secret: b
          scope: x
      """, "unknown_key", 4, 5, "unknown key 'scope' in a client"
    ),
    (
      """
      clients:
        - id: a
          secret: b
          permisions: []
      """, "unknown_key", 4, 5, "did you mean 'permissions'?"
    ),
    (
      """
      clients: []
      user: []
      """, "unknown_key", 2, 1, "did you mean 'users'?"
    ),
    (
      """
      clients:
        - id: a
      """, "missing_key", 2, 5, "is missing required key 'secret'"
    ),
    (
      """
      clients:
        - id: a
          secret: b
          permissions: ["conversation:participant:write"]
      """, "unknown_permission", 4, 19, "unknown permission 'conversation:participant:write'"
    ),
    (
      """
      clients:
        - id: a
          secret: b
          tokenLifetime: soon
      """, "invalid_value", 4, 20, "tokenLifetime"
    ),
    (
      """
      clients: []
      users:
        - id: u
          name: U
      conversations:
        - id: c
          participants:
            - id: p
              purpose: agent
              state: talking
      """, "invalid_value", 10, 16, "unknown call state 'talking'"
    ),
    (
      """
      clients: []
      conversations:
        - id: c
          participants:
            - id: p
              purpose: agent
              state: connected
              user: ghost
      """, "unknown_user", 8, 15, "'ghost'"
    ),
    (
      """
      clients: []
      users:
        - id: u
          name: U
        - id: u
          name: V
      """, "duplicate_id", 5, 9, "user 'u' is defined twice"
    ),
    (
      """
      clients: []
      conversations:
        - id: c
          maxParticipants: many
      """, "invalid_value", 4, 22, "maxParticipants"
    ),
    (
      """
      clients: []
      conversations:
        - id: c
          participants:
            - id: p
              purpose: agent
              state: connected
              muted: maybe
      """, "type_mismatch", 8, 16, "expected true or false for 'muted'"
    ),
    (
      """
      clients: {id: a}
      """, "type_mismatch", 1, 10, "expected a list for"
    ),
  ]

  @Test(arguments: 0..<cases.count) func fixtureErrorsAreLocated(_ index: Int) throws {
    let (text, id, line, column, message) = Self.cases[index]
    switch SimFixture.parse(yaml: text, file: "org.yaml") {
    case .success: Issue.record("expected \(id) for case \(index)")
    case .failure(let diagnostics):
      let d = try #require(diagnostics.first, "case \(index)")
      #expect(d.id == id, "case \(index): \(d)")
      #expect(d.range.file == "org.yaml")
      #expect(d.range.start == SourceMark(line: line, column: column), "case \(index): \(d.message)")
      #expect(d.message.contains(message), "case \(index): \(d.message)")
    }
  }

  @Test func yamlSyntaxErrorsAreLocated() {
    guard case .failure(let diagnostics) = SimFixture.parse(yaml: "clients: [\n", file: "bad.yaml") else {
      Issue.record("expected a failure")
      return
    }
    #expect(diagnostics.first?.range.file == "bad.yaml")
    #expect((diagnostics.first?.range.start.line ?? 0) >= 1)
  }

  @Test func missingFileIsADiagnostic() {
    guard case .failure(let diagnostics) = SimFixture.load(path: "/nonexistent/org.yaml") else {
      Issue.record("expected a failure")
      return
    }
    #expect(diagnostics.first?.id == "unreadable_file")
  }

  @Test func durations() {
    #expect(SimDuration.parse("500ms") == 0.5)
    #expect(SimDuration.parse("2s") == 2)
    #expect(SimDuration.parse("1.5s") == 1.5)
    #expect(SimDuration.parse("30m") == 1800)
    #expect(SimDuration.parse("24h") == 86400)
    #expect(SimDuration.parse("7") == 7)
    #expect(SimDuration.parse("soon") == nil)
    #expect(SimDuration.parse("-1s") == nil)
    #expect(SimDuration.parse("1e300") == nil)
    #expect(SimDuration.parse("1e300h") == nil)
    #expect(SimDuration.format(86400) == "24h")
    #expect(SimDuration.format(0.25) == "250ms")
  }
}
