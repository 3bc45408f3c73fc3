import Foundation
import GenesysSim
import PartylineTestSupport
import Testing

/// Queues, the conversation activity query, the org limits and real call shapes, over a socket.
@Suite struct SimDiscoveryTests {
  @Test func queuesByNameIdAndPage() async throws {
    try await withSim { sim in
      let token = try await sim.token()
      func names(_ query: String) async throws -> [String] {
        let r = try await sim.get("/api/v2/routing/queues\(query)", token: token)
        #expect(r.status == 200, "\(r.text)")
        return (r.json["entities"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
      }
      let all = try await sim.get("/api/v2/routing/queues", token: token).json
      #expect(all["total"] as? Int == 2)
      #expect(all["pageCount"] as? Int == 1)
      #expect(all["pageSize"] as? Int == 25)
      #expect(try await names("") == ["Escalations", "Sales"])
      #expect(try await names("?name=Escal*") == ["Escalations"])
      #expect(try await names("?name=*ales") == ["Sales"])
      #expect(try await names("?name=*a*") == ["Escalations", "Sales"])
      #expect(try await names("?name=escalations") == ["Escalations"], "a whole name, any case")
      #expect(try await names("?name=Escal") == [], "without asterisks the whole name must match")
      #expect(
        try await names("?id=\(Demo.Queue.sales)&id=\(Demo.Queue.escalations)") == ["Escalations", "Sales"])
      #expect(try await names("?id=\(Demo.Queue.sales)") == ["Sales"])
      let second = try await sim.get("/api/v2/routing/queues?pageSize=1&pageNumber=2", token: token).json
      #expect((second["entities"] as? [[String: Any]])?.first?["name"] as? String == "Sales")
      #expect(second["previousUri"] as? String == "/api/v2/routing/queues?pageSize=1&pageNumber=1")
      #expect(second["nextUri"] == nil)
      #expect(second["pageCount"] as? Int == 2)
      let one = try await sim.get("/api/v2/routing/queues/\(Demo.Queue.escalations)", token: token)
      #expect(one.status == 200)
      #expect(one.json["name"] as? String == "Escalations")
      #expect(one.json["selfUri"] as? String == "/api/v2/routing/queues/\(Demo.Queue.escalations)")
      expectErrorBody(
        try await sim.get("/api/v2/routing/queues/00000000-0000-4000-8000-000000000000", token: token),
        status: 404, code: "not.found")
      let readonly = try await sim.token("partyline-readonly", "partyline-readonly-secret")
      expectErrorBody(
        try await sim.get("/api/v2/routing/queues", token: readonly), status: 403,
        code: "missing.any.permissions")
    }
  }

  @Test func queuedCallsHaveTheRealShape() async throws {
    try await withSim { sim in
      let token = try await sim.token()
      let call = try await sim.get(
        "/api/v2/conversations/calls/\(Demo.Call.escalationAnswered)", token: token
      ).json
      #expect(call["maxParticipants"] == nil, "only conferences carry maxParticipants")
      for leg in call.participants() {
        #expect(leg["direction"] as? String == "inbound", "every leg carries the call's direction")
        let queue = try #require(leg["queue"] as? [String: Any])
        #expect(queue["id"] as? String == Demo.Queue.escalations)
        #expect(queue["selfUri"] as? String == "/api/v2/routing/queues/\(Demo.Queue.escalations)")
        let routing = try #require(leg["conversationRoutingData"] as? [String: Any])
        #expect((routing["queue"] as? [String: Any])?["id"] as? String == Demo.Queue.escalations)
      }
      let agent = try #require(call.participants().first { $0["purpose"] as? String == "agent" })
      #expect((agent["user"] as? [String: Any])?.keys.sorted() == ["id", "selfUri"])
      let customer = try #require(call.participants().first { $0["purpose"] as? String == "customer" })
      #expect(customer["address"] as? String == "tel:+4930444001")
      let generic = try await sim.get("/api/v2/conversations/\(Demo.Call.escalationAnswered)", token: token)
        .json
      #expect(generic.participants().allSatisfy { $0["queueId"] as? String == Demo.Queue.escalations })
      // A call not queued carries no queue.
      let noisy = try await sim.get("/api/v2/conversations/calls/\(Demo.Call.noisy)", token: token).json
      #expect(noisy.participants().allSatisfy { $0["queue"] == nil })
      #expect(noisy["maxParticipants"] == nil)
    }
  }

  @Test func aParkedParticipantIsNeverParkedInTheGenericConversation() async throws {
    let fixture = SimFixture(
      clients: [.init(id: "c", secret: "s", permissions: ["*"])], users: [],
      conversations: [.init(id: "p", participants: [.init(id: "x", purpose: "customer", state: "parked")])])
    try await withSim(fixture: fixture) { sim in
      let token = try await sim.token("c", "s")
      let call = try await sim.get("/api/v2/conversations/calls/p", token: token).json
      #expect(call.participants().first?["state"] as? String == "parked")
      let generic = try await sim.get("/api/v2/conversations/p", token: token).json
      let calls = generic.participants().first?["calls"] as? [[String: Any]]
      #expect(calls?.first?["state"] as? String == "connected")
    }
  }

  func query(_ sim: SimSession, _ token: String, _ body: String, _ params: String = "") async throws
    -> TestHTTPClient.Response
  {
    try await sim.send(
      "POST", "/api/v2/analytics/conversations/activity/query\(params)", token: token, json: body)
  }

  func entities(_ r: TestHTTPClient.Response) -> [[String: Any]] {
    ((r.json["results"] as? [[String: Any]]) ?? []).flatMap { ($0["entities"] as? [[String: Any]]) ?? [] }
  }

  @Test func theActivityQueryFindsLiveCallsByQueueUserAndDirection() async throws {
    try await withSim { sim in
      let token = try await sim.token()
      // Waiting customers of a queue.
      let waiting = try await query(
        sim, token,
        #"{"metrics":[{"metric":"oWaiting","details":true}],"filter":{"type":"and","predicates":[{"dimension":"queueId","value":"\#(Demo.Queue.escalations)"}]}}"#
      )
      #expect(waiting.status == 200, "\(waiting.text)")
      #expect(entities(waiting).map { $0["conversationId"] as? String } == [Demo.Call.escalationWaiting])
      let e = try #require(entities(waiting).first)
      #expect(e["metric"] as? String == "oWaiting")
      #expect(e["mediaType"] as? String == "voice")
      #expect(e["direction"] as? String == "inbound")
      #expect(e["queueId"] as? String == Demo.Queue.escalations)
      #expect(e["userId"] == nil)
      #expect((e["activityDate"] as? String)?.hasSuffix("Z") == true)
      let results = waiting.json["results"] as? [[String: Any]]
      #expect((results?.first?["data"] as? [[String: Any]])?.first?["count"] as? Int == 1)
      #expect(waiting.json["entityIdDimension"] as? String == "conversationId")
      // Agents interacting, by user.
      let quinn = try await query(
        sim, token,
        #"{"metrics":[{"metric":"oInteracting","details":true}],"filter":{"type":"and","predicates":[{"dimension":"userId","operator":"matches","value":"\#(Demo.User.quinn)"}]}}"#
      )
      #expect(entities(quinn).map { $0["conversationId"] as? String } == [Demo.Call.escalationAnswered])
      #expect(entities(quinn).first?["userId"] as? String == Demo.User.quinn)
      // Either queue, inbound, as one or-clause.
      let both = try await query(
        sim, token,
        #"{"metrics":[{"metric":"oWaiting","details":true}],"groupBy":["queueId"],"filter":{"type":"and","predicates":[{"dimension":"direction","value":"inbound"}],"clauses":[{"type":"or","predicates":[{"dimension":"queueId","value":"\#(Demo.Queue.escalations)"},{"dimension":"queueId","value":"\#(Demo.Queue.sales)"}]}]}}"#
      )
      let groups = (both.json["results"] as? [[String: Any]] ?? []).compactMap {
        ($0["group"] as? [String: String])?["queueId"]
      }
      #expect(Set(groups) == [Demo.Queue.escalations, Demo.Queue.sales])
      #expect(
        Set(entities(both).compactMap { $0["conversationId"] as? String }) == [
          Demo.Call.escalationWaiting, Demo.Call.sales,
        ])
      // Agents on calls that are not queued (the demo's bridges).
      let unqueued = try await query(
        sim, token,
        #"{"metrics":[{"metric":"oInteracting","details":true}],"filter":{"type":"and","predicates":[{"dimension":"queueId","operator":"notExists"}]}}"#
      )
      #expect(entities(unqueued).count == 3)
      #expect(entities(unqueued).allSatisfy { $0["queueId"] == nil })
      // Paging the details.
      let page = try await query(
        sim, token, #"{"metrics":[{"metric":"oInteracting","details":true}]}"#, "?pageSize=2&pageNumber=1")
      #expect(entities(page).count == 2)
      #expect((page.json["results"] as? [[String: Any]])?.first?["truncated"] as? Bool == true)
      let last = try await query(
        sim, token, #"{"metrics":[{"metric":"oInteracting","details":true}]}"#, "?pageSize=2&pageNumber=2")
      #expect(entities(last).count == 2)
      #expect((last.json["results"] as? [[String: Any]])?.first?["truncated"] as? Bool == false)
    }
  }

  @Test(arguments: [
    #"{"metrics":[{"metric":"oNothing"}]}"#, #"{"metrics":[]}"#, #"{}"#, #"[1]"#,
    #"{"metrics":[{"metric":"oWaiting"}],"filter":{"type":"xor","predicates":[]}}"#,
    #"{"metrics":[{"metric":"oWaiting"}],"filter":{"type":"and","predicates":[{"dimension":"colour","value":"red"}]}}"#,
    #"{"metrics":[{"metric":"oWaiting"}],"filter":{"type":"and","predicates":[{"dimension":"queueId"}]}}"#,
    #"{"metrics":[{"metric":"oWaiting"}],"groupBy":["planet"]}"#,
    #"{"metrics":[{"metric":"oWaiting"}],"extra":1}"#,
    #"{"metrics":"#,
  ])
  func malformedQueriesAnswer400(body: String) async throws {
    try await withSim { sim in
      let token = try await sim.token()
      expectErrorBody(try await query(sim, token, body), status: 400, code: "bad.request")
    }
  }

  @Test func theActivityQueryNeedsItsPermission() async throws {
    try await withSim { sim in
      let readonly = try await sim.token("partyline-readonly", "partyline-readonly-secret")
      expectErrorBody(
        try await query(sim, readonly, #"{"metrics":[{"metric":"oWaiting"}]}"#), status: 403,
        code: "missing.any.permissions")
    }
  }

  @Test func orgLimitsAreThoseOfTheClient() async throws {
    var fixture = SimFixture.demo
    fixture.clients.append(
      .init(
        id: "small", secret: "s", permissions: ["*"], limits: ["client.credentials.token.rate.per.minute": 60]
      ))
    try await withSim(fixture: fixture, options: fastOptions(rateLimit: 300)) { sim in
      func value(_ token: String) async throws -> Int? {
        let r = try await sim.get("/api/v2/organizations/limits/namespaces/platform.api", token: token)
        #expect(r.status == 200, "\(r.text)")
        let entities = r.json["entities"] as? [[String: Any]] ?? []
        #expect(entities.allSatisfy { $0["namespace"] as? String == "platform.api" })
        return entities.first { $0["key"] as? String == "client.credentials.token.rate.per.minute" }?["value"]
          as? Int
      }
      #expect(try await value(try await sim.token()) == 300)
      let small = try await sim.token("small", "s")
      #expect(try await value(small) == 60)
      // The limit the client reads is the one it gets: the 61st request in the window is refused.
      var statuses: [Int] = []
      for _ in 0..<60 {
        statuses.append(try await sim.get("/api/v2/users/\(Demo.User.ada)", token: small).status)
      }
      #expect(statuses.filter { $0 == 429 }.count == 1, "60 a window, the limits request included")
      expectErrorBody(
        try await sim.get(
          "/api/v2/organizations/limits/namespaces/no.such.thing", token: try await sim.token()),
        status: 404, code: "not.found")
    }
  }
}
