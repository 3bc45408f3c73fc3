import Foundation
import PartylineTestSupport
import Testing

/// A generated organisation and policy set: C conversations, U distinct user ids, E emails.
struct GeneratedWorld {
  let dir: URL
  let fixture: String
  let policies: String

  static func uuid(_ kind: Int, _ n: Int) -> String {
    String(format: "%08x-0000-4000-8000-%012x", kind, n)
  }

  init(conversations c: Int, userIds u: Int, emails e: Int, policies p: Int) throws {
    dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "partyline-world-\(getpid())-\(c)-\(u)-\(p)")
    try? FileManager.default.removeItem(at: dir)
    try FileManager.default.createDirectory(
      at: dir.appendingPathComponent("policies"), withIntermediateDirectories: true)
    var f =
      "clients:\n  - id: partyline-demo\n    secret: partyline-demo-secret\n    permissions: [\"*\"]\nusers:\n"
    for i in 0..<max(u, e, c) {
      f +=
        "  - id: \(Self.uuid(1, i))\n    name: User \(i)\n    email: user\(i)@example.com\n    presence: Available\n"
    }
    f += "conversations:\n"
    for i in 0..<c {
      f += "  - id: \(Self.uuid(2, i))\n    participants:\n"
      f +=
        "      - {id: \(Self.uuid(3, i)), purpose: customer, state: connected, address: \"+4930\(100000 + i)\"}\n"
      f += "      - {id: \(Self.uuid(4, i)), purpose: agent, state: connected, user: \(Self.uuid(1, i))}\n"
    }
    fixture = dir.appendingPathComponent("org.yaml").path
    try f.write(toFile: fixture, atomically: true, encoding: .utf8)
    // P policies spread over the C conversations; the user ids and emails spread over the policies.
    for i in 0..<p {
      var doc = "apiVersion: partyline/v1\nkind: ConversationPolicy\nmetadata: {name: p\(i)}\nspec:\n"
      doc += "  conversation: \(Self.uuid(2, i % c))\n  unmute:\n"
      for j in stride(from: i, to: u, by: p) { doc += "    - user: \(Self.uuid(1, j))\n" }
      for j in stride(from: i, to: e, by: p) { doc += "    - user: user\(j)@example.com\n" }
      try doc.write(to: dir.appendingPathComponent("policies/p\(i).yaml"), atomically: true, encoding: .utf8)
    }
    policies = dir.appendingPathComponent("policies").path
  }

  func remove() { try? FileManager.default.removeItem(at: dir) }
}

@Suite(.serialized) struct PlanEconomyTests {
  /// P policies over C conversations and U distinct users cost 1 token request, C conversation reads,
  /// ceil(U/100) user reads and one search per distinct email, whatever P is.
  @Test(arguments: [(3, 5, 120, 3), (40, 5, 120, 3), (7, 7, 250, 0)])
  func planReadsOncePerConversationAndUsersInBulk(p: Int, c: Int, u: Int, e: Int) async throws {
    let world = try GeneratedWorld(conversations: c, userIds: u, emails: e, policies: p)
    defer { world.remove() }
    let sim = try SimProcess(["--rate-limit", "off"], fixture: world.fixture)
    defer { sim.stop() }
    let r = try await CLI.run(["plan", world.policies], environment: sim.environment)
    #expect(r.status == 0, "\(r.stderr.prefix(500))")
    let counts = try await sim.counts()
    #expect(counts["POST /oauth/token"] == 1)
    let conversations = Set((0..<p).map { $0 % c }).count
    #expect(counts["GET /api/v2/conversations/calls/{conversationId}"] == conversations)
    #expect(counts["GET /api/v2/users"] == (u + 99) / 100)
    #expect(counts["POST /api/v2/users/search"] == (e == 0 ? nil : e))
    // One more: the org's limits, read once to learn the token's rate limit.
    #expect(counts["GET /api/v2/organizations/limits/namespaces/{namespaceName}"] == 1)
    #expect(counts.values.reduce(0, +) == 2 + conversations + (u + 99) / 100 + e, "\(counts)")
  }

  func referencePlan(_ world: GeneratedWorld) async throws -> String {
    let sim = try SimProcess(["--rate-limit", "off"], fixture: world.fixture)
    defer { sim.stop() }
    let r = try await CLI.run(["plan", "--format", "json", world.policies], environment: sim.environment)
    #expect(r.status == 0)
    return normalise(r.stdout)
  }

  @Test func tokenExpiryInTheMiddleOfAPlan() async throws {
    let world = try GeneratedWorld(conversations: 40, userIds: 10, emails: 2, policies: 40)
    defer { world.remove() }
    let expected = try await referencePlan(world)
    let sim = try SimProcess(
      [
        "--rate-limit", "off", "--token-lifetime", "1s", "--fault",
        "GET /api/v2/conversations/calls/*:latency=400ms",
      ],
      fixture: world.fixture)
    defer { sim.stop() }
    let r = try await CLI.run(["plan", "--format", "json", world.policies], environment: sim.environment)
    #expect(r.status == 0, "\(r.stderr.prefix(500))")
    #expect(normalise(r.stdout) == expected)
    let counts = try await sim.counts()
    #expect((counts["POST /oauth/token"] ?? 0) >= 2, "the token was refreshed: \(counts)")
  }

  @Test func storm429AndServerErrorsStillPlanCorrectly() async throws {
    let world = try GeneratedWorld(conversations: 30, userIds: 10, emails: 2, policies: 30)
    defer { world.remove() }
    let expected = try await referencePlan(world)
    let sim = try SimProcess(
      [
        "--rate-limit", "5", "--rate-window", "1s",
        "--fault", "GET /api/v2/conversations/calls/*:500=0.2,503=0.1,504=0.05,reset=0.1",
      ], fixture: world.fixture)
    defer { sim.stop() }
    let r = try await CLI.run(["plan", "--format", "json", world.policies], environment: sim.environment)
    #expect(r.status == 0, "\(r.stderr.prefix(500))")
    #expect(normalise(r.stdout) == expected)
    let (_, data) = try await sim.request("GET", "/sim/requests")
    let text = String(decoding: data, as: UTF8.self)
    #expect(text.contains("\"429\""), "the rate limit was hit: \(text)")
  }

  @Test func failsClearlyOnceTheTimeBudgetIsSpent() async throws {
    let world = try GeneratedWorld(conversations: 2, userIds: 1, emails: 0, policies: 2)
    defer { world.remove() }
    let sim = try SimProcess(["--fault", "GET /api/v2/conversations/calls/*:503=1"], fixture: world.fixture)
    defer { sim.stop() }
    let r = try await CLI.run(["plan", "--api-budget", "2s", world.policies], environment: sim.environment)
    #expect(r.status == 1)
    #expect(
      r.stderr.contains(
        "gave up after the retry time budget was spent; last error: Genesys Cloud answered 503 service.unavailable"
      ), "\(r.stderr)")
  }
}
