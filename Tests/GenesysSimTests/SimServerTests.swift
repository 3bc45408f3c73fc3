import Foundation
import GenesysSim
import PartylineTestSupport
import Testing
import YAMLReader

/// The emulator over a real socket on 127.0.0.1.
@Suite struct SimServerTests {
  // MARK: OAuth

  @Test func tokenIsIssuedForBasicClientCredentials() async throws {
    try await withSim { sim in
      let r = try await sim.tokenResponse("partyline-demo", "partyline-demo-secret")
      #expect(r.status == 200)
      #expect(r.header("Content-Type")?.hasPrefix("application/json") == true)
      #expect(r.header("ININ-Correlation-Id") != nil)
      let body = r.json
      #expect((body["access_token"] as? String)?.isEmpty == false)
      #expect(body["token_type"] as? String == "bearer")
      #expect(body["expires_in"] as? Int == 86400)
      #expect(sim.server.baseURL == "http://127.0.0.1:\(sim.server.port)")
    }
  }

  @Test func tokenExpires() async throws {
    var options = fastOptions()
    options.tokenLifetime = 1
    // The emulator's clock, moved by hand: a loaded machine cannot make the token expire early.
    let clock = ManualClock()
    options.now = { clock.now }
    try await withSim(options: options) { sim in
      let r = try await sim.tokenResponse("partyline-demo", "partyline-demo-secret")
      #expect(r.json["expires_in"] as? Int == 1)
      let token = try #require(r.json["access_token"] as? String)
      clock.advance(0.9)
      #expect(try await sim.get("/api/v2/users/\(Demo.User.ada)", token: token).status == 200)
      clock.advance(0.2)
      expectErrorBody(
        try await sim.get("/api/v2/users/\(Demo.User.ada)", token: token), status: 401,
        code: "bad.credentials")
    }
  }

  @Test func badClientCredentialsAndGrantType() async throws {
    try await withSim { sim in
      for (id, secret) in [("partyline-demo", "wrong"), ("nobody", "partyline-demo-secret")] {
        let r = try await sim.tokenResponse(id, secret)
        #expect(r.status == 401)
        #expect(r.json["error"] as? String == "invalid_client")
        #expect(r.json["description"] is String)
        #expect(r.json["error_description"] is String)
        #expect(r.header("ININ-Correlation-Id") != nil)
      }
      let noBasic = try await sim.http.request(
        "POST", "/oauth/token", headers: [("Content-Type", "application/x-www-form-urlencoded")],
        body: "grant_type=client_credentials")
      #expect(noBasic.status == 401)
      #expect(noBasic.json["error"] as? String == "invalid_client")

      let wrongGrant = try await sim.tokenResponse(
        "partyline-demo", "partyline-demo-secret", grant: "password")
      #expect(wrongGrant.status == 400)
      #expect(wrongGrant.json["error"] as? String == "unsupported_grant_type")
    }
  }

  @Test func missingAndUnknownBearerTokens() async throws {
    try await withSim { sim in
      expectErrorBody(
        try await sim.get("/api/v2/conversations/calls/\(Demo.Call.warRoom)", token: nil), status: 401,
        code: "authentication.required")
      expectErrorBody(
        try await sim.get("/api/v2/conversations/calls/\(Demo.Call.warRoom)", token: "not-a-token"),
        status: 401,
        code: "bad.credentials")
    }
  }

  // MARK: Shapes

  @Test func callConversationHasFlatParticipantsWithUserReference() async throws {
    try await withSim { sim in
      let token = try await sim.token()
      let r = try await sim.get("/api/v2/conversations/calls/\(Demo.Call.warRoom)", token: token)
      #expect(r.status == 200)
      let body = r.json
      #expect(body["id"] as? String == Demo.Call.warRoom)
      #expect(body["maxParticipants"] as? Int == 10)
      #expect(body["selfUri"] as? String == "/api/v2/conversations/calls/\(Demo.Call.warRoom)")
      let parts = body.participants()
      #expect(parts.count == 2)
      let agent = try #require(parts.first { $0["id"] as? String == Demo.Participant.warRoomAgent })
      #expect(agent["userId"] == nil)
      let user = try #require(agent["user"] as? [String: Any])
      #expect(user["id"] as? String == Demo.User.ada)
      #expect(user["name"] == nil, "REST user references carry no name (docs/genesys-api.md §8.2)")
      #expect(user["selfUri"] as? String == "/api/v2/users/\(Demo.User.ada)")
      #expect(agent["state"] as? String == "connected")
      #expect(agent["muted"] as? Bool == false)
      #expect(agent["purpose"] as? String == "agent")
      let customer = try #require(parts.first { $0["id"] as? String == Demo.Participant.warRoomCustomer })
      // Phone numbers are served as tel: URIs, as the real service renders them.
      #expect(customer["address"] as? String == "tel:+4930123456")
      let date = try #require(agent["connectedTime"] as? String)
      #expect(date.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/) != nil, "\(date)")
    }
  }

  @Test func genericConversationHasUserIdAndCalls() async throws {
    try await withSim { sim in
      let token = try await sim.token()
      let r = try await sim.get("/api/v2/conversations/\(Demo.Call.warRoom)", token: token)
      #expect(r.status == 200)
      let agent = try #require(
        r.json.participants().first { $0["id"] as? String == Demo.Participant.warRoomAgent })
      #expect(agent["userId"] as? String == Demo.User.ada)
      #expect(agent["user"] == nil)
      #expect(agent["state"] == nil)
      #expect(agent["muted"] == nil)
      let calls = try #require(agent["calls"] as? [[String: Any]])
      #expect(calls.count == 1)
      #expect(calls[0]["state"] as? String == "connected")
      #expect(calls[0]["muted"] as? Bool == false)
      #expect(r.json["selfUri"] as? String == "/api/v2/conversations/\(Demo.Call.warRoom)")
    }
  }

  @Test func wrongIdsUnknownRoutesAndMalformedJSON() async throws {
    try await withSim { sim in
      let token = try await sim.token()
      expectErrorBody(
        try await sim.get("/api/v2/conversations/calls/nope", token: token), status: 404, code: "not.found")
      expectErrorBody(
        try await sim.get("/api/v2/conversations/nope", token: token), status: 404, code: "not.found")
      expectErrorBody(try await sim.get("/api/v2/users/nope", token: token), status: 404, code: "not.found")
      expectErrorBody(
        try await sim.get("/api/v2/no/such/route", token: token), status: 404, code: "not.found")
      expectErrorBody(try await sim.get("/nothing", token: nil), status: 404, code: "not.found")
      let path =
        "/api/v2/conversations/calls/\(Demo.Call.warRoom)/participants/\(Demo.Participant.warRoomCustomer)/user/\(Demo.User.ada)"
      expectErrorBody(
        try await sim.send("PATCH", path, token: token, json: "{\"muted\": tru"), status: 400,
        code: "bad.request")
      expectErrorBody(
        try await sim.send("PATCH", path, token: token, json: "{\"muted\": \"yes\"}"), status: 400,
        code: "invalid.value")
      let wrongType = try await sim.http.request(
        "PATCH", path, headers: [("Authorization", "Bearer \(token)"), ("Content-Type", "text/plain")],
        body: "muted")
      expectErrorBody(wrongType, status: 415, code: "unsupported.media.type")
      let wrongParticipant =
        "/api/v2/conversations/calls/\(Demo.Call.warRoom)/participants/nope/user/\(Demo.User.ada)"
      expectErrorBody(
        try await sim.send("PATCH", wrongParticipant, token: token, json: "{\"muted\":true}"), status: 404,
        code: "not.found")
    }
  }

  @Test func correlationIdOnEveryResponse() async throws {
    try await withSim { sim in
      let token = try await sim.token()
      var seen: Set<String> = []
      let responses = [
        try await sim.tokenResponse("partyline-demo", "partyline-demo-secret"),
        try await sim.get("/api/v2/conversations/calls/\(Demo.Call.warRoom)", token: token),
        try await sim.get("/api/v2/users/nope", token: token),
        try await sim.get("/api/v2/users/\(Demo.User.ada)", token: nil),
        try await sim.send(
          "PATCH",
          "/api/v2/conversations/calls/\(Demo.Call.warRoom)/participants/\(Demo.Participant.warRoomCustomer)/user/\(Demo.User.ada)",
          token: token, json: "{\"muted\":true}"),
      ]
      for r in responses {
        let id = try #require(r.header("ININ-Correlation-Id"))
        #expect(
          id.wholeMatch(of: /[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/) != nil)
        seen.insert(id)
        if r.status >= 400 { #expect(r.json["contextId"] as? String == id) }
      }
      #expect(seen.count == responses.count)
    }
  }

  // MARK: The user-context rules

  @Test func clientCredentialsHaveNoUser() async throws {
    try await withSim { sim in
      let token = try await sim.token()
      let plain =
        "/api/v2/conversations/calls/\(Demo.Call.warRoom)/participants/\(Demo.Participant.warRoomCustomer)"
      expectErrorBody(
        try await sim.send("PATCH", plain, token: token, json: "{\"muted\":true}"), status: 400,
        code: "not.a.user")
      let generic =
        "/api/v2/conversations/\(Demo.Call.warRoom)/participants/\(Demo.Participant.warRoomCustomer)"
      expectErrorBody(
        try await sim.send("PATCH", generic, token: token, json: "{\"muted\":true}"), status: 400,
        code: "not.a.user")
      let add = "/api/v2/conversations/calls/\(Demo.Call.warRoom)/participants"
      expectErrorBody(
        try await sim.send(
          "POST", add, token: token, json: "{\"participants\":[{\"userId\":\"\(Demo.User.grace)\"}]}"),
        status: 400, code: "not.a.user")
    }
  }

  @Test func onBehalfOfVariantsNeedAConnectedParticipant() async throws {
    try await withSim { sim in
      let token = try await sim.token()
      let patch =
        "/api/v2/conversations/calls/\(Demo.Call.warRoom)/participants/\(Demo.Participant.warRoomCustomer)/user/\(Demo.User.grace)"
      let r = try await sim.send("PATCH", patch, token: token, json: "{\"muted\":true}")
      expectErrorBody(r, status: 404, code: "not.found")
      #expect((r.json["message"] as? String)?.contains("is not a participant in the conversation") == true)
      let add = "/api/v2/conversations/calls/\(Demo.Call.warRoom)/participants/user/\(Demo.User.grace)"
      expectErrorBody(
        try await sim.send(
          "POST", add, token: token, json: "{\"participants\":[{\"userId\":\"\(Demo.User.hedy)\"}]}"),
        status: 404, code: "not.found")
      let ok = try await sim.send(
        "PATCH",
        "/api/v2/conversations/calls/\(Demo.Call.warRoom)/participants/\(Demo.Participant.warRoomCustomer)/user/\(Demo.User.ada)",
        token: token, json: "{\"muted\":true}")
      #expect(ok.status == 202)
      #expect(ok.body.isEmpty)
    }
  }

  @Test func permissionErrorsNameWhatIsMissing() async throws {
    try await withSim { sim in
      let readonly = try await sim.token("partyline-readonly", "partyline-readonly-secret")
      let patch =
        "/api/v2/conversations/calls/\(Demo.Call.warRoom)/participants/\(Demo.Participant.warRoomCustomer)/user/\(Demo.User.ada)"
      let r = try await sim.send("PATCH", patch, token: readonly, json: "{\"muted\":true}")
      expectErrorBody(r, status: 403, code: "missing.any.permissions")
      let message = try #require(r.json["message"] as? String)
      for p in [
        "conversation:participant:wrapup", "conversation:call:record",
        "conversation:communication:disconnect",
        "conversation:agentlessCall:add",
      ] {
        #expect(message.contains(p), "\(message)")
      }
      #expect(try await sim.get("/api/v2/conversations/\(Demo.Call.warRoom)", token: readonly).status == 200)
    }
    let fixture = SimFixture(
      clients: [.init(id: "bare", secret: "s", permissions: [])], users: SimFixture.demo.users,
      conversations: SimFixture.demo.conversations)
    try await withSim(fixture: fixture) { sim in
      let token = try await sim.token("bare", "s")
      let generic = try await sim.get("/api/v2/conversations/\(Demo.Call.warRoom)", token: token)
      expectErrorBody(generic, status: 403, code: "missing.any.permissions")
      #expect((generic.json["message"] as? String)?.contains("conversation:communication:view") == true)
      let search = try await sim.send("POST", "/api/v2/users/search", token: token, json: "{\"query\":[]}")
      expectErrorBody(search, status: 403, code: "missing.any.permissions")
      #expect((search.json["message"] as? String)?.contains("directory:user:view") == true)
      // The call read lists no permission.
      #expect(
        try await sim.get("/api/v2/conversations/calls/\(Demo.Call.warRoom)", token: token).status == 200)
    }
  }

  // MARK: Rate limit

  /// As today's Genesys: no `inin-ratelimit-*` headers, the limit shows only as a 429 with Retry-After.
  @Test func noRateLimitHeadersByDefault() async throws {
    let clock = ManualClock()
    var options = fastOptions(rateLimit: 2)
    options.now = { clock.now }
    try await withSim(options: options) { sim in
      let token = try await sim.token()
      for _ in 0..<2 {
        let r = try await sim.get("/api/v2/users/\(Demo.User.ada)", token: token)
        #expect(r.status == 200)
        #expect(r.header("inin-ratelimit-count") == nil && r.header("inin-ratelimit-allowed") == nil)
      }
      let limited = try await sim.get("/api/v2/users/\(Demo.User.ada)", token: token)
      expectErrorBody(limited, status: 429, code: "too.many.requests.retry.after")
      #expect(limited.header("Retry-After") == "60")
      #expect(limited.header("inin-ratelimit-reset") == nil)
    }
  }

  /// On the injected clock, so a loaded machine cannot stretch the window.
  @Test func rateLimitPerTokenWithHeaders() async throws {
    let clock = ManualClock()
    var options = fastOptions(rateLimit: 3)
    options.rateLimitWindow = 2
    options.rateHeaders = true  // the retired headers, for comparison: Genesys sends none
    options.now = { clock.now }
    try await withSim(options: options) { sim in
      let token = try await sim.token()
      for n in 1...3 {
        let r = try await sim.get("/api/v2/users/\(Demo.User.ada)", token: token)
        #expect(r.status == 200)
        #expect(r.header("inin-ratelimit-count") == String(n))
        #expect(r.header("inin-ratelimit-allowed") == "3")
        #expect(r.header("inin-ratelimit-reset") == "2")
        clock.advance(0.3)
      }
      let limited = try await sim.get("/api/v2/users/\(Demo.User.ada)", token: token)
      expectErrorBody(limited, status: 429, code: "too.many.requests.retry.after")
      let retry = try #require(limited.header("Retry-After"))
      #expect(retry == "2", "1.1 s left in the window, in whole seconds rounded up")
      #expect(limited.header("inin-ratelimit-reset") == retry)
      #expect(
        limited.json["message"] as? String
          == "Rate limit exceeded the maximum. Retry the request in [\(retry)] seconds")
      #expect(limited.header("inin-ratelimit-allowed") == "3")
      // Another token has its own window.
      let other = try await sim.token()
      #expect(try await sim.get("/api/v2/users/\(Demo.User.ada)", token: other).status == 200)
      clock.advance(1.2)
      let again = try await sim.get("/api/v2/users/\(Demo.User.ada)", token: token)
      #expect(again.status == 200)
      #expect(again.header("inin-ratelimit-count") == "1")
    }
  }

  @Test func noRateLimitHeadersWhenOff() async throws {
    try await withSim(options: fastOptions(rateLimit: nil)) { sim in
      let token = try await sim.token()
      let r = try await sim.get("/api/v2/users/\(Demo.User.ada)", token: token)
      #expect(r.status == 200)
      #expect(r.header("inin-ratelimit-count") == nil)
    }
  }

  // MARK: Delayed effects

  @Test func muteBecomesVisibleAfterTheDelay() async throws {
    let delay = 0.5
    try await withSim(options: fastOptions(patchDelay: delay)) { sim in
      let token = try await sim.token()
      let patch =
        "/api/v2/conversations/calls/\(Demo.Call.warRoom)/participants/\(Demo.Participant.warRoomCustomer)/user/\(Demo.User.ada)"
      let sentAt = Date()
      let accepted = try await sim.send("PATCH", patch, token: token, json: "{\"muted\":true}")
      #expect(accepted.status == 202)
      #expect(accepted.body.isEmpty)
      func muted() async throws -> Bool? {
        let r = try await sim.get("/api/v2/conversations/calls/\(Demo.Call.warRoom)", token: token)
        return r.json.participants().first { $0["id"] as? String == Demo.Participant.warRoomCustomer }?[
          "muted"] as? Bool
      }
      let right = try await muted()
      // The server read it before the delay was over when the answer came back within it; on a
      // machine so loaded that it did not, the check is not meaningful (SimClockTests covers it).
      if Date().timeIntervalSince(sentAt) < delay { #expect(right == false) }
      #expect(try await eventually { try await muted() == true })
      #expect(Date().timeIntervalSince(sentAt) >= delay)
      let generic = try await sim.get("/api/v2/conversations/\(Demo.Call.warRoom)", token: token)
      let customer = try #require(
        generic.json.participants().first { $0["id"] as? String == Demo.Participant.warRoomCustomer })
      #expect((customer["calls"] as? [[String: Any]])?.first?["muted"] as? Bool == true)
    }
  }

  @Test func addedUserRingsThenConnects() async throws {
    let delay = 0.5
    try await withSim(options: fastOptions(connectDelay: delay)) { sim in
      let token = try await sim.token()
      let add = "/api/v2/conversations/calls/\(Demo.Call.warRoom)/participants/user/\(Demo.User.ada)"
      let sentAt = Date()
      let r = try await sim.send(
        "POST", add, token: token,
        json: "{\"participants\":[{\"userId\":\"\(Demo.User.grace)\"},{\"address\":\"tel:+4989123\"}]}")
      #expect(r.status == 200)
      let added = r.json.participants().filter { $0["userId"] as? String == Demo.User.grace }
      #expect(added.count == 1)
      #expect((added.first?["calls"] as? [[String: Any]])?.first?["state"] as? String == "alerting")
      // A number given as a tel: URI is stored as the number and served as a tel: URI.
      let phone = r.json.participants().first { $0["address"] as? String == "tel:+4989123" }
      #expect((phone?["calls"] as? [[String: Any]])?.first?["state"] as? String == "alerting")
      func states() async throws -> [String] {
        let c = try await sim.get("/api/v2/conversations/calls/\(Demo.Call.warRoom)", token: token)
        return c.json.participants().filter {
          ($0["user"] as? [String: Any])?["id"] as? String == Demo.User.grace
            || $0["address"] as? String == "tel:+4989123"
        }.compactMap { $0["state"] as? String }
      }
      let right = try await states()
      if Date().timeIntervalSince(sentAt) < delay { #expect(right == ["alerting", "alerting"]) }
      #expect(try await eventually { try await states() == ["connected", "connected"] })
      #expect(Date().timeIntervalSince(sentAt) >= delay)
      let connected = try await sim.get("/api/v2/conversations/calls/\(Demo.Call.warRoom)", token: token)
      let grace = connected.json.participants().first {
        ($0["user"] as? [String: Any])?["id"] as? String == Demo.User.grace
      }
      #expect(grace?["connectedTime"] is String)
      #expect(grace?["purpose"] as? String == "user")
    }
  }

  @Test func offlineUserDoesNotAnswer() async throws {
    try await withSim(options: fastOptions(noAnswerTimeout: 0.1)) { sim in
      let token = try await sim.token()
      let add = "/api/v2/conversations/calls/\(Demo.Call.warRoom)/participants/user/\(Demo.User.ada)"
      let r = try await sim.send(
        "POST", add, token: token, json: "{\"participants\":[{\"userId\":\"\(Demo.User.otto)\"}]}")
      #expect(r.status == 200)
      let done = try await eventually {
        let c = try await sim.get("/api/v2/conversations/calls/\(Demo.Call.warRoom)", token: token)
        let otto = c.json.participants().first {
          ($0["user"] as? [String: Any])?["id"] as? String == Demo.User.otto
        }
        return otto?["state"] as? String == "disconnected"
          && otto?["disconnectType"] as? String == "transfer.noanswer"
      }
      #expect(done)
    }
  }

  @Test func conferenceRefusesParticipantsBeyondItsCapacity() async throws {
    try await withSim { sim in
      let token = try await sim.token()
      // The war room holds 10; 2 are in it.
      let add = "/api/v2/conversations/calls/\(Demo.Call.warRoom)/participants/user/\(Demo.User.ada)"
      let seven = (1...7).map { "{\"address\":\"+49300000\($0)\"}" }.joined(separator: ",")
      #expect(
        try await sim.send("POST", add, token: token, json: "{\"participants\":[\(seven)]}").status == 200)
      let two = "{\"participants\":[{\"address\":\"+4930999\"},{\"address\":\"+4930998\"}]}"
      expectErrorBody(
        try await sim.send("POST", add, token: token, json: two), status: 400,
        code: "conversation.error.participant.limit.reached")
      #expect(
        try await sim.send("POST", add, token: token, json: "{\"participants\":[{\"address\":\"+4930999\"}]}")
          .status
          == 200)
      expectErrorBody(
        try await sim.send(
          "POST", add, token: token, json: "{\"participants\":[{\"address\":\"+4930997\"}]}"),
        status: 400, code: "conversation.error.participant.limit.reached")
    }
    // Never more than 20, whatever maxParticipants says; disconnected parties do not count.
    let many = (1...19).map {
      SimFixture.Participant(id: "p\($0)", purpose: "external", state: "connected", address: "+49\($0)")
    }
    let fixture = SimFixture(
      clients: [.init(id: "c", secret: "s", permissions: ["*"])],
      users: [.init(id: "u", name: "U")],
      conversations: [
        .init(
          id: "big", maxParticipants: 50,
          participants: many + [
            .init(id: "gone", purpose: "external", state: "disconnected", address: "+4930"),
            .init(id: "agent", purpose: "agent", state: "connected", user: "u"),
          ])
      ])
    try await withSim(fixture: fixture) { sim in
      let token = try await sim.token("c", "s")
      let r = try await sim.get("/api/v2/conversations/calls/big", token: token)
      // Served as the fixture sets it; adds are refused past min(it, 20) all the same.
      #expect(r.json["maxParticipants"] as? Int == 50)
      expectErrorBody(
        try await sim.send(
          "POST", "/api/v2/conversations/calls/big/participants/user/u", token: token,
          json: "{\"participants\":[{\"address\":\"+4931\"}]}"), status: 400,
        code: "conversation.error.participant.limit.reached")
    }
  }

  @Test func addingAConnectedUserAgainIsRefused() async throws {
    try await withSim { sim in
      let token = try await sim.token()
      let add = "/api/v2/conversations/calls/\(Demo.Call.warRoom)/participants/user/\(Demo.User.ada)"
      expectErrorBody(
        try await sim.send(
          "POST", add, token: token, json: "{\"participants\":[{\"userId\":\"\(Demo.User.ada)\"}]}"),
        status: 400, code: "bad.request")
      expectErrorBody(
        try await sim.send("POST", add, token: token, json: "[{\"userId\":\"\(Demo.User.grace)\"}]"),
        status: 400,
        code: "bad.request")
    }
  }

  // MARK: Users

  @Test func usersByIdBulkAndSearch() async throws {
    try await withSim { sim in
      let token = try await sim.token()
      let one = try await sim.get("/api/v2/users/\(Demo.User.otto)?expand=presence", token: token)
      #expect(one.status == 200)
      #expect(one.json["email"] as? String == "otto@example.com")
      let presence = one.json["presence"] as? [String: Any]
      #expect((presence?["presenceDefinition"] as? [String: Any])?["systemPresence"] as? String == "Offline")

      let bulk = try await sim.get(
        "/api/v2/users?id=\(Demo.User.ada)&id=\(Demo.User.grace)&id=nope", token: token)
      #expect(bulk.status == 200)
      let entities = try #require(bulk.json["entities"] as? [[String: Any]])
      #expect(entities.compactMap { $0["id"] as? String } == [Demo.User.ada, Demo.User.grace])
      #expect(bulk.json["total"] as? Int == 2)
      #expect(bulk.json["pageSize"] as? Int == 25)
      #expect(bulk.json["pageNumber"] as? Int == 1)
      let tooMany = (0...100).map { "id=\($0)" }.joined(separator: "&")
      expectErrorBody(
        try await sim.get("/api/v2/users?\(tooMany)", token: token), status: 400, code: "invalid.value")
      expectErrorBody(
        try await sim.get("/api/v2/users?pageNumber=9223372036854775807", token: token), status: 400,
        code: "invalid.value")

      let search = try await sim.send(
        "POST", "/api/v2/users/search", token: token,
        json:
          "{\"query\":[{\"type\":\"EXACT\",\"fields\":[\"email\"],\"value\":\"grace@example.com\"}],\"pageSize\":1}"
      )
      #expect(search.status == 200)
      let results = try #require(search.json["results"] as? [[String: Any]])
      #expect(results.map { $0["id"] as? String } == [Demo.User.grace])
      #expect(search.json["entities"] == nil)
      #expect(search.json["total"] as? Int == 1)
      let none = try await sim.send(
        "POST", "/api/v2/users/search", token: token,
        json: "{\"query\":[{\"type\":\"EXACT\",\"fields\":[\"email\"],\"value\":\"grace@example\"}]}")
      #expect(none.status == 200)
      #expect(none.json["total"] as? Int == 0)
    }
  }

  // MARK: Faults and observation

  @Test func faultsByRoute() async throws {
    try await withSim { sim in
      let token = try await sim.token()
      let set = try await sim.http.request(
        "POST", "/sim/faults", headers: [("Content-Type", "application/json")],
        body: "{\"faults\":[{\"route\":\"GET /api/v2/users/*\",\"error503\":1}]}")
      #expect(set.status == 200)
      expectErrorBody(
        try await sim.get("/api/v2/users/\(Demo.User.ada)", token: token), status: 503,
        code: "service.unavailable"
      )
      #expect(
        try await sim.get("/api/v2/conversations/calls/\(Demo.Call.warRoom)", token: token).status == 200)

      _ = try await sim.http.request(
        "POST", "/sim/faults", body: "{\"faults\":[{\"route\":\"/api/v2/users/*\",\"error500\":0.5}]}")
      var failures = 0
      for _ in 0..<100 {
        let r = try await sim.get("/api/v2/users/\(Demo.User.ada)", token: token)
        if r.status == 500 {
          failures += 1
          #expect(r.json["code"] as? String == "internal.server.error")
        } else {
          #expect(r.status == 200)
        }
      }
      #expect((25...75).contains(failures), "\(failures) of 100")

      _ = try await sim.http.request(
        "POST", "/sim/faults", body: "{\"faults\":[{\"route\":\"*\",\"reset\":1}]}")
      let outcome = try await sim.http.send(
        "GET", "/api/v2/users/\(Demo.User.ada)", headers: [("Authorization", "Bearer \(token)")])
      guard case .reset = outcome else {
        Issue.record("expected the connection to close without an answer")
        return
      }
      _ = try await sim.http.request(
        "POST", "/sim/faults", body: "{\"faults\":[{\"route\":\"*\",\"latencyMs\":150}]}")
      let start = Date()
      #expect(try await sim.get("/api/v2/users/\(Demo.User.ada)", token: token).status == 200)
      #expect(Date().timeIntervalSince(start) >= 0.14)
      #expect(try await sim.http.request("DELETE", "/sim/faults").status == 204)

      let counts = try await sim.http.request("GET", "/sim/requests")
      let routes = try #require(counts.json["routes"] as? [[String: Any]])
      let users = try #require(routes.first { $0["route"] as? String == "GET /api/v2/users/{userId}" })
      let statuses = try #require(users["statuses"] as? [String: Int])
      #expect(statuses["503"] == 1)
      #expect(statuses["500"] == failures)
      #expect(statuses["reset"] == 1)
      expectErrorBody(
        try await sim.http.request(
          "POST", "/sim/faults", body: "{\"faults\":[{\"error500\":0.9,\"reset\":0.9}]}"),
        status: 400, code: "invalid.value")
      expectErrorBody(
        try await sim.http.request("POST", "/sim/faults", body: "{\"faults\":[{\"latencyMs\":1e30}]}"),
        status: 400, code: "invalid.value")
    }
  }

  @Test func faultsFromOptions() async throws {
    var options = fastOptions()
    options.faults = [try #require(FaultRule.parse("/api/v2/conversations/*:504=1"))]
    try await withSim(options: options) { sim in
      let token = try await sim.token()
      expectErrorBody(
        try await sim.get("/api/v2/conversations/calls/\(Demo.Call.warRoom)", token: token), status: 504,
        code: "request.timeout")
    }
    #expect(
      FaultRule.parse("500=0.2,reset=0.1,latency=20ms") == FaultRule(error500: 0.2, reset: 0.1, latency: 0.02)
    )
    #expect(FaultRule.parse("PATCH *:503=0.5") == FaultRule(route: "PATCH *", error503: 0.5))
    #expect(FaultRule.parse("500=0.7,503=0.7") == nil)
    #expect(FaultRule.parse("teapot=1") == nil)
  }

  @Test func requestCountsAndLog() async throws {
    try await withSim { sim in
      let token = try await sim.token()
      _ = try await sim.get("/api/v2/conversations/calls/\(Demo.Call.warRoom)", token: token)
      _ = try await sim.get("/api/v2/conversations/calls/\(Demo.Call.warRoom)", token: token)
      _ = try await sim.get("/api/v2/conversations/calls/nope", token: token)
      _ = try await sim.get("/api/v2/nope", token: token)
      let counts = try await sim.http.request("GET", "/sim/requests")
      #expect(counts.json["total"] as? Int == 5)
      let routes = try #require(counts.json["routes"] as? [[String: Any]])
      let calls = try #require(
        routes.first { $0["route"] as? String == "GET /api/v2/conversations/calls/{conversationId}" })
      #expect(calls["total"] as? Int == 3)
      #expect(calls["statuses"] as? [String: Int] == ["200": 2, "404": 1])
      #expect(routes.first { $0["route"] as? String == "POST /oauth/token" }?["total"] as? Int == 1)
      #expect(routes.first { $0["route"] as? String == "unmatched" }?["total"] as? Int == 1)

      let log = try await sim.http.request("GET", "/sim/log")
      let entries = try #require(log.json["entries"] as? [[String: Any]])
      #expect(entries.count == 5)
      let third = entries[2]
      #expect(third["clientId"] as? String == "partyline-demo")
      #expect(third["method"] as? String == "GET")
      #expect(third["path"] as? String == "/api/v2/conversations/calls/\(Demo.Call.warRoom)")
      #expect(third["status"] as? Int == 200)
      #expect(third["time"] is String)
      #expect(try await sim.http.request("DELETE", "/sim/requests").status == 204)
      #expect(try await sim.http.request("GET", "/sim/requests").json["total"] as? Int == 0)
    }
  }

  // MARK: State

  @Test func exportedStateStartsTheNextRun() async throws {
    var exported = ""
    try await withSim(options: fastOptions(patchDelay: 5)) { sim in
      let token = try await sim.token()
      let patch =
        "/api/v2/conversations/calls/\(Demo.Call.warRoom)/participants/\(Demo.Participant.warRoomCustomer)/user/\(Demo.User.ada)"
      #expect(try await sim.send("PATCH", patch, token: token, json: "{\"muted\":true}").status == 202)
      exported = sim.server.exportState()
      let viaHTTP = try await sim.http.request("GET", "/sim/state")
      #expect(viaHTTP.text == exported)
    }
    let fixture = try SimFixture.parse(yaml: exported, file: "state.yaml").get()
    let customer = fixture.conversations.first { $0.id == Demo.Call.warRoom }?.participants.first {
      $0.id == Demo.Participant.warRoomCustomer
    }
    #expect(customer?.muted == true)
    let server = try await SimServer.start(exportedState: exported, options: fastOptions())
    let sim = SimSession(server: server, http: TestHTTPClient(port: server.port))
    let token = try await sim.token()
    let r = try await sim.get("/api/v2/conversations/calls/\(Demo.Call.warRoom)", token: token)
    await server.shutdown()
    #expect(
      r.json.participants().first { $0["id"] as? String == Demo.Participant.warRoomCustomer }?["muted"]
        as? Bool == true)
    await #expect(throws: Diagnostics.self) {
      _ = try await SimServer.start(exportedState: "clients: 3\n", options: fastOptions())
    }
  }

  @Test func seedMakesTokensRepeatable() async throws {
    var tokens: [String] = []
    for _ in 0..<2 {
      try await withSim { sim in tokens.append(try await sim.token()) }
    }
    #expect(tokens[0] == tokens[1])
    var options = fastOptions()
    options.seed = 99
    try await withSim(options: options) { sim in
      let token = try await sim.token()
      #expect(token != tokens[0])
    }
  }
}

/// A clock the test moves by hand.
final class ManualClock: @unchecked Sendable {
  private let lock = NSLock()
  private var current = Date(timeIntervalSince1970: 1_621_000_000.067)

  var now: Date {
    lock.lock()
    defer { lock.unlock() }
    return current
  }

  func advance(_ seconds: TimeInterval) {
    lock.lock()
    current += seconds
    lock.unlock()
  }
}

@Suite struct SimClockTests {
  @Test func injectedClockDrivesDelaysTokensAndDates() async throws {
    let clock = ManualClock()
    var options = SimOptions(patchDelay: 30, connectDelay: 60, rateLimit: nil)
    options.now = { clock.now }
    try await withSim(options: options) { sim in
      let token = try await sim.token()
      let patch =
        "/api/v2/conversations/calls/\(Demo.Call.warRoom)/participants/\(Demo.Participant.warRoomCustomer)/user/\(Demo.User.ada)"
      #expect(try await sim.send("PATCH", patch, token: token, json: "{\"muted\":true}").status == 202)
      func customer() async throws -> [String: Any]? {
        let r = try await sim.get("/api/v2/conversations/calls/\(Demo.Call.warRoom)", token: token)
        return r.json.participants().first { $0["id"] as? String == Demo.Participant.warRoomCustomer }
      }
      #expect(try await customer()?["muted"] as? Bool == false)
      #expect(try await customer()?["startTime"] as? String == "2021-05-14T13:46:40.067Z")
      clock.advance(29.9)
      #expect(try await customer()?["muted"] as? Bool == false)
      clock.advance(0.1)
      #expect(try await customer()?["muted"] as? Bool == true)
      clock.advance(86_400)
      expectErrorBody(
        try await sim.get("/api/v2/users/\(Demo.User.ada)", token: token), status: 401,
        code: "bad.credentials")
    }
  }
}

@Suite struct SimLifecycleTests {
  @Test func startingOnABusyPortThrows() async throws {
    let first = try await SimServer.start(fixture: .demo, options: fastOptions())
    await #expect(throws: (any Error).self) {
      let second = try await SimServer.start(fixture: .demo, options: fastOptions(), port: first.port)
      await second.shutdown()
    }
    await first.shutdown()
  }

  @Test func disconnectingAParticipantEndsItsCall() async throws {
    try await withSim(options: fastOptions(patchDelay: 0)) { sim in
      let token = try await sim.token()
      let patch =
        "/api/v2/conversations/calls/\(Demo.Call.warRoom)/participants/\(Demo.Participant.warRoomCustomer)/user/\(Demo.User.ada)"
      #expect(
        try await sim.send("PATCH", patch, token: token, json: "{\"state\":\"disconnected\"}").status == 202)
      let r = try await sim.get("/api/v2/conversations/calls/\(Demo.Call.warRoom)", token: token)
      let customer = r.json.participants().first { $0["id"] as? String == Demo.Participant.warRoomCustomer }
      #expect(customer?["state"] as? String == "disconnected")
      #expect(customer?["endTime"] is String)
      expectErrorBody(
        try await sim.send("PATCH", patch, token: token, json: "{\"muted\":true}"), status: 400,
        code: "conversation.error.call.disconnected")
      expectErrorBody(
        try await sim.send("PATCH", patch, token: token, json: "{\"state\":\"parked\"}"), status: 400,
        code: "invalid.value")
      expectErrorBody(try await sim.http.request("GET", "/sim/nothing"), status: 404, code: "not.found")
    }
  }
}

/// What the sandbox host keeps between runs: the organisation as fixture YAML, read back as it was.
@Suite struct SimExportTests {
  @Test func exportedStateLoadsBackWithTheChangesMade() async throws {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent(
      "sim-export-\(UUID().uuidString).yaml"
    ).path
    defer { try? FileManager.default.removeItem(atPath: path) }
    let server = try await SimServer.start(fixture: .demo, options: fastOptions(patchDelay: 0))
    let sim = SimSession(server: server, http: TestHTTPClient(port: server.port))
    let token = try await sim.token()
    let patch =
      "/api/v2/conversations/calls/\(Demo.Call.noisy)/participants/ef10915e-a083-4f2f-8045-c624a143ada8/user/\(Demo.User.grace)"
    let r = try await sim.send("PATCH", patch, token: token, json: "{\"muted\":true}")
    try server.exportState().write(toFile: path, atomically: true, encoding: .utf8)
    await server.shutdown()
    #expect(r.status == 202)
    let saved = try SimFixture.load(path: path).get()
    let caller = saved.conversations.first { $0.id == Demo.Call.noisy }?.participants.first {
      $0.id == "ef10915e-a083-4f2f-8045-c624a143ada8"
    }
    #expect(caller?.muted == true)
    #expect(saved.clients == SimFixture.demo.clients)
  }
}

/// The `/sim` controls that change the world: conversations start, participants join and leave,
/// conversations end; `/sim/history` says when each participant change took effect.
@Suite struct SimWorldTests {
  static let conversation = "0b7c1d2e-3f40-4a5b-8c6d-7e8f9a0b1c2d"
  static let agent = "1a2b3c4d-0000-4000-8000-000000000001"
  static let customer = "1a2b3c4d-0000-4000-8000-000000000002"
  static let joiner = "1a2b3c4d-0000-4000-8000-000000000003"

  static let start = """
    {"conversations": [{"id": "\(conversation)", "participants": [
      {"id": "\(agent)", "purpose": "agent", "state": "connected", "user": "\(Demo.User.ada)"},
      {"id": "\(customer)", "purpose": "customer", "state": "connected", "address": "+4930555000"}]}]}
    """

  @Test func conversationsStartJoinLeaveAndEnd() async throws {
    let clock = ManualClock()
    var options = SimOptions(patchDelay: 0.5, connectDelay: 1, rateLimit: nil)
    options.now = { clock.now }
    try await withSim(options: options) { sim in
      let token = try await sim.token()
      let created = try await sim.send("POST", "/sim/conversations", token: nil, json: Self.start)
      #expect(created.status == 200, "\(created.text)")
      #expect(created.json["conversations"] as? Int == 1)
      #expect(created.json["participants"] as? Int == 2)
      func states() async throws -> [String: String] {
        let r = try await sim.get("/api/v2/conversations/calls/\(Self.conversation)", token: token)
        var out: [String: String] = [:]
        for p in r.json.participants() { out[p["id"] as! String] = p["state"] as? String }
        return out
      }
      #expect(try await states() == [Self.agent: "connected", Self.customer: "connected"])

      // The same body again: the ids are taken, nothing changes.
      let again = try await sim.send("POST", "/sim/conversations", token: nil, json: Self.start)
      expectErrorBody(again, status: 409, code: "duplicate_id")
      // A participant naming a user nobody defined is a located error.
      let bad = try await sim.send(
        "POST", "/sim/conversations", token: nil,
        json: """
          {"conversations": [{"id": "\(Self.conversation)", "participants": [
            {"id": "\(Self.joiner)", "purpose": "agent", "state": "connected", "user": "nobody"}]}]}
          """)
      expectErrorBody(bad, status: 400, code: "invalid.value")
      #expect(
        bad.json["message"] as? String ?? ""
          == "2:100: participant refers to user 'nobody', which 'users' does not define")

      let join = try await sim.send(
        "POST", "/sim/conversations", token: nil,
        json: """
          {"conversations": [{"id": "\(Self.conversation)", "participants": [
            {"id": "\(Self.joiner)", "purpose": "customer", "state": "connected", "address": "+4930555001"}]}]}
          """)
      #expect(join.json["conversations"] as? Int == 0)
      #expect(join.json["participants"] as? Int == 1)

      let patch =
        "/api/v2/conversations/calls/\(Self.conversation)/participants/\(Self.joiner)/user/\(Demo.User.ada)"
      #expect(try await sim.send("PATCH", patch, token: token, json: "{\"muted\":true}").status == 202)
      clock.advance(0.5)
      #expect(try await sim.send("PATCH", patch, token: token, json: "{\"muted\":true}").status == 202)
      clock.advance(0.5)
      let leave = try await sim.send(
        "POST", "/sim/conversations/\(Self.conversation)/participants/\(Self.joiner)/leave", token: nil,
        json: "")
      #expect(leave.status == 200)
      #expect(try await states()[Self.joiner] == "disconnected")
      clock.advance(1)
      #expect(
        try await sim.send("POST", "/sim/conversations/\(Self.conversation)/end", token: nil, json: "").status
          == 200)
      #expect(
        try await states() == [
          Self.agent: "disconnected", Self.customer: "disconnected", Self.joiner: "disconnected",
        ])
      expectErrorBody(
        try await sim.send("POST", "/sim/conversations/nope/end", token: nil, json: ""), status: 404,
        code: "not.found")
      // An ended call does not start again: nobody joins it.
      let late = try await sim.send(
        "POST", "/sim/conversations", token: nil,
        json: """
          {"conversations": [{"id": "\(Self.conversation)", "participants": [
            {"id": "1a2b3c4d-0000-4000-8000-000000000004", "purpose": "customer", "state": "connected",
             "address": "+4930555002"}]}]}
          """)
      expectErrorBody(late, status: 409, code: "conversation_ended")

      let history = try await sim.get("/sim/history", token: nil).json["events"] as? [[String: Any]] ?? []
      let t0 = 1_621_000_000.067
      func iso(_ offset: Double) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: Date(timeIntervalSince1970: t0 + offset))
      }
      let summary = history.map { e in
        [e["event"], e["participantId"], e["time"], e["requestedAt"], e["changed"]].map {
          $0.map { "\($0)" } ?? "-"
        }
        .joined(separator: " ")
      }
      #expect(
        summary == [
          "created \(Self.agent) \(iso(0)) - -",
          "created \(Self.customer) \(iso(0)) - -",
          "joined \(Self.joiner) \(iso(0)) - -",
          "muted \(Self.joiner) \(iso(0.5)) \(iso(0)) 1",
          "muted \(Self.joiner) \(iso(1)) \(iso(0.5)) 0",
          "disconnected \(Self.joiner) \(iso(1)) - -",
          "disconnected \(Self.agent) \(iso(2)) - -",
          "disconnected \(Self.customer) \(iso(2)) - -",
        ])
    }
  }
}
