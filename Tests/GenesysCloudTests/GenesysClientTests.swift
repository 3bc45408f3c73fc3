import Backoff
import Foundation
import GenesysSim
import Testing
import AsyncHTTPClient
import NIOCore
import NIOFoundationCompat

@testable import GenesysCloud

@Suite struct RegionAndConfigurationTests {
  @Test func allSeventeenRegionsInBothSpellingsAndByDomain() throws {
    #expect(Region.all.count == 17)
    #expect(Set(Region.all.map(\.domain)).count == 17)
    for r in Region.all {
      #expect(Region.named(r.name) == r)
      #expect(Region.named(r.name.replacingOccurrences(of: "_", with: "-")) == r)
      #expect(Region.named(r.domain) == r)
      #expect(Region.named("api." + r.domain) == r)
    }
    let ie = try #require(Region.named("eu-west-1"))
    #expect(ie.apiBase == "https://api.mypurecloud.ie")
    #expect(ie.loginBase == "https://login.mypurecloud.ie")
    #expect(Region.named("mars-north-1") == nil)
  }

  @Test func tokenHostIsTheLoginHost() throws {
    let env = [
      "GENESYSCLOUD_REGION": "usw2.pure.cloud", "GENESYSCLOUD_OAUTHCLIENT_ID": "id",
      "GENESYSCLOUD_OAUTHCLIENT_SECRET": "s",
    ]
    let c = try GenesysConfiguration.fromEnvironment(env)
    #expect(c.apiBase == "https://api.usw2.pure.cloud")
    #expect(c.loginBase == "https://login.usw2.pure.cloud")
    let local = try GenesysConfiguration(apiBase: "http://127.0.0.1:8080", accessToken: Secret("t"))
    #expect(local.loginBase == "http://127.0.0.1:8080")
    let defaults = try GenesysConfiguration.fromEnvironment(["GENESYSCLOUD_ACCESS_TOKEN": "t"])
    #expect(defaults.apiBase == "https://api.mypurecloud.com")
  }

  @Test func plainHttpOnlyOnLoopbackAndNoCredentialsInTheURL() {
    #expect(throws: GenesysError.self) {
      try GenesysConfiguration(apiBase: "http://api.example.com", accessToken: Secret("t"))
    }
    #expect(throws: GenesysError.self) {
      try GenesysConfiguration(apiBase: "http://10.0.0.1", accessToken: Secret("t"))
    }
    #expect(throws: GenesysError.self) {
      try GenesysConfiguration(apiBase: "https://u:p@api.example.com", accessToken: Secret("t"))
    }
    #expect(throws: GenesysError.self) {
      try GenesysConfiguration(apiBase: "https://api.example.com/?x=1", accessToken: Secret("t"))
    }
    #expect(throws: GenesysError.self) { try GenesysConfiguration(apiBase: "https://api.example.com") }
    #expect(throws: Never.self) {
      try GenesysConfiguration(apiBase: "http://localhost:1", accessToken: Secret("t"))
    }
    #expect(throws: Never.self) {
      try GenesysConfiguration(apiBase: "http://[::1]:1", accessToken: Secret("t"))
    }
  }

  @Test(arguments: [
    "../users/me", "a%2Fb", "a?b", "a#b", "a b", "äbc", "", String(repeating: "a", count: 65),
  ])
  func idsThatCouldEscapeAPathAreRefused(id: String) {
    #expect(throws: GenesysError.self) { try GenesysClient.pathId(id) }
  }

  @Test func secretsAreRedacted() {
    let s = Secret("hunter2")
    #expect("\(s)" == "<redacted>")
    #expect(String(reflecting: s) == "<redacted>")
    let e = GenesysError.api(
      status: 401, code: "bad.credentials", message: "Invalid login credentials", correlationId: "c1")
    #expect(
      e.description
        == "Genesys Cloud answered 401 bad.credentials: Invalid login credentials (correlation id c1)")
  }

  /// One classification of statuses for the client, its token request and the executor: what is sent
  /// again, and what only an idempotent request may be.
  @Test func statusesAreClassifiedOnce() {
    #expect(StatusClass.of(200) == .success && StatusClass.of(202) == .success)
    #expect(StatusClass.of(429) == .rateLimited)
    #expect(StatusClass.of(503) == .notProcessed && StatusClass.of(408) == .notProcessed)
    for s in [500, 502, 504, 505, 599] { #expect(StatusClass.of(s) == .mayHaveActed, "\(s)") }
    for s in [400, 401, 403, 404, 409, 501, 302, 600] { #expect(StatusClass.of(s) == .refused, "\(s)") }
    #expect(StatusClass.of(503).retried(idempotent: false))
    #expect(StatusClass.of(429).retried(idempotent: false))
    #expect(!StatusClass.of(500).retried(idempotent: false) && StatusClass.of(500).retried(idempotent: true))
    #expect(!StatusClass.of(404).retried(idempotent: true) && !StatusClass.of(501).retried(idempotent: true))
  }

  /// The one retry loop: retried failures wait the backoff's delays, a refused one is thrown at once,
  /// and the attempts or the deadline end it through `exhausted`.
  @Test func theRetryLoopRetriesWaitsAndGivesUp() async throws {
    struct Flaky: Error {}
    struct Fatal: Error {}
    let b = Backoff(first: 0.01, cap: 0.02)
    var waits: [Double] = []
    var tries = 0
    let value = try await b.retrying(failed: { _, w in waits.append(w ?? -1) }) { n in
      tries = n
      if n < 3 { throw Flaky() }
      return n
    }
    #expect(value == 3 && tries == 3 && waits == [0.01, 0.02])
    await #expect(throws: Fatal.self) {
      try await b.retrying(retryable: { $0 is Flaky }) { _ -> Int in throw Fatal() }
    }
    var count = 0
    await #expect(throws: GenesysError.self) {
      try await b.retrying(attempts: 4, exhausted: { _ in GenesysError.transport("gave up") }) { _ -> Int in
        count += 1
        throw Flaky()
      }
    }
    #expect(count == 4)
    // The next wait would end after the deadline: no further attempt.
    count = 0
    await #expect(throws: Flaky.self) {
      try await b.retrying(deadline: 100.005, now: { 100 }) { _ -> Int in
        count += 1
        throw Flaky()
      }
    }
    #expect(count == 1)
  }

  @Test func backoffStaysWithinItsBounds() {
    let p = RetryPolicy(budget: 10, baseDelay: 0.2, maxDelay: 2)
    for attempt in 0..<30 {
      let d = p.delay(attempt: attempt)
      #expect(d > 0 && d <= 2)
    }
  }
}

/// The client against the emulator over a real socket.
@Suite struct GenesysClientSocketTests {
  static let warRoom = "751093a1-a8ad-4ca4-a113-0f80cc4f35b8"
  static let ada = "2228f9a6-0995-4bdb-ba19-281dd0143a12"

  func withClient(
    _ options: SimOptions = SimOptions(patchDelay: 0, connectDelay: 0.05, rateLimit: nil),
    secret: String = "partyline-demo-secret", fixture: SimFixture = .demo,
    _ body: (GenesysClient, SimServer) async throws -> Void
  ) async throws {
    let server = try await SimServer.start(fixture: fixture, options: options)
    let config = try GenesysConfiguration(
      apiBase: server.baseURL, clientId: "partyline-demo", clientSecret: Secret(secret))
    // The client counts its own requests against the limit the emulator enforces (it sends no headers).
    let budget = RateBudget(limit: options.rateLimit ?? 1_000_000, window: options.rateLimitWindow)
    let client = GenesysClient(
      configuration: config, budget: budget, retry: RetryPolicy(budget: 10, baseDelay: 0.05, maxDelay: 0.2))
    do {
      try await body(client, server)
    } catch {
      try? await client.shutdown()
      await server.shutdown()
      throw error
    }
    try await client.shutdown()
    await server.shutdown()
  }

  /// A request slow on its way in reaches the service late: the service counts it in the window it
  /// arrives in. Holding its slot until a span after its answer (not its grant) keeps that window
  /// from overflowing: no 429, though the budget keeps no room for stragglers.
  @Test func aSlowRequestCountsInTheWindowItReachesTheServiceIn() async throws {
    var options = SimOptions(patchDelay: 0, connectDelay: 0.05, rateLimit: 2, rateLimitWindow: 2)
    options.faults = [FaultRule(route: "GET /api/v2/users*", latency: 2.5)]
    try await withClient(options) { client, server in
      let slow = Task { try await client.users(ids: [Self.ada]) }
      try await Task.sleep(nanoseconds: 100_000_000)
      let t0 = Date()
      for _ in 0..<3 { _ = try await client.callConversation(Self.warRoom) }
      _ = try await slow.value
      // The last read waited for the slow one's slot: a span after its answer, not after its grant.
      #expect(Date().timeIntervalSince(t0) > 4)
      #expect(await client.budget.throttled == 0)
      let routes = try await Self.routes(server)
      #expect(!routes.values.flatMap(\.keys).contains("429"), "\(routes)")
    }
  }

  /// A run's instants are its clock's (PostgreSQL's server time, or watch's monotonic clock), not this
  /// machine's wall clock: a mute that waited for the rate budget past its lease's end on the run's
  /// clock is not sent, however far the wall clock lags (a runner two minutes behind the database).
  /// With the budget on the wall clock, the mute left and landed after its revert: muted for good.
  @Test func aMuteIsNotSentPastItsLeaseOnTheRunsClockWhateverTheWallClockSays() async throws {
    let options = SimOptions(patchDelay: 0, connectDelay: 0.05, rateLimit: 1, rateLimitWindow: 2)
    try await withClient(options) { client, server in
      let run: @Sendable () -> Double = { Date().timeIntervalSince1970 + 120 }
      await client.budget.useClock(run)
      _ = try await client.callConversation(Self.warRoom)  // the window's one slot
      // The lease ends a second from now on the run's clock; the slot frees in about two.
      let lease = run() + 1
      await #expect(throws: GenesysError.self) {
        _ = try await client.setMuted(
          true, conversation: Self.warRoom, participant: "da272714-0a88-4f39-b75e-a3f723ef5c18",
          onBehalfOf: Self.ada, notAfter: lease)
      }
      #expect(run() >= lease)
      let routes = try await Self.routes(server)
      #expect(
        routes.keys.filter { $0.hasPrefix("PATCH") }.isEmpty, "the mute never left: \(routes)")
    }
  }

  /// The secure pause: the newer PATCH where the org has it; on 404 the PUT, and from then on the PUT
  /// alone (one request a change, not two). The call's state is read back from `securePause`.
  @Test func theRecordingIsPausedByPatchOrByThePutItFallsBackOn() async throws {
    var fixture = SimFixture.demo
    let i = try #require(fixture.conversations.firstIndex { $0.id == Self.warRoom })
    fixture.conversations[i].recordingState = "active"
    for patch in [true, false] {
      var options = SimOptions(patchDelay: 0, connectDelay: 0.05, rateLimit: nil)
      options.recordingStatePatch = patch
      try await withClient(options, fixture: fixture) { client, server in
        for paused in [true, false, true] {
          let r = try await client.setRecordingPaused(paused, conversation: Self.warRoom)
          #expect(r.status == (patch ? 202 : 200))
          let call = try #require(try await client.callConversation(Self.warRoom))
          #expect(call.isSecurelyPaused == paused && call.recordingState == (paused ? "paused" : "active"))
        }
        let routes = try await Self.routes(server)
        if patch {
          #expect(routes["PATCH /api/v2/conversations/{conversationId}/recordingstate"] == ["202": 3])
          #expect(routes["PUT /api/v2/conversations/calls/{conversationId}/recordingstate"] == nil)
        } else {
          #expect(
            routes["PATCH /api/v2/conversations/{conversationId}/recordingstate"] == ["404": 1],
            "one PATCH, then the PUT alone")
          #expect(routes["PUT /api/v2/conversations/calls/{conversationId}/recordingstate"] == ["200": 3])
        }
      }
    }
  }

  /// The emulator's request counts by route and status.
  static func routes(_ server: SimServer) async throws -> [String: [String: Int]] {
    let response = try await HTTPClient.shared.execute(
      HTTPClientRequest(url: server.baseURL + "/sim/requests"), timeout: .seconds(10))
    let body = try await response.body.collect(upTo: 1 << 20)
    let json = try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any]
    var out: [String: [String: Int]] = [:]
    for r in json?["routes"] as? [[String: Any]] ?? [] {
      out[r["route"] as? String ?? "?"] = r["statuses"] as? [String: Int]
    }
    return out
  }

  @Test func readsWithOneCachedToken() async throws {
    try await withClient { client, server in
      let conv = try #require(try await client.callConversation(Self.warRoom))
      #expect(conv.participants.count == 2)
      #expect(conv.participants.contains { $0.user?.id == Self.ada })
      #expect(try await client.callConversation("00000000-0000-4000-8000-000000000000") == nil)
      let users = try await client.users(ids: [Self.ada, "84e572a8-5750-49d6-8d0a-2d88a6110981"])
      #expect(Set(users.map(\.email)) == ["ada@example.com", "grace@example.com"])
      #expect(try await client.user(email: "hedy@example.com")?.id == "4b551df7-121b-4db5-953f-ea2ede73ced8")
      #expect(try await client.user(email: "nobody@example.com") == nil)
      #expect(await client.tokens.fetched == 1)
    }
  }

  @Test func muteOnBehalfOfAConnectedUserAnswers202() async throws {
    try await withClient { client, _ in
      let r = try await client.setMuted(
        true, conversation: Self.warRoom, participant: "da272714-0a88-4f39-b75e-a3f723ef5c18",
        onBehalfOf: Self.ada)
      #expect(r.status == 202)
      #expect(r.correlationId != nil)
      let after = try #require(try await client.callConversation(Self.warRoom))
      #expect(after.participants.first { $0.id == "da272714-0a88-4f39-b75e-a3f723ef5c18" }?.muted == true)
    }
  }

  @Test func apiErrorsKeepCodeStatusAndCorrelationId() async throws {
    try await withClient { client, _ in
      do {
        _ = try await client.setMuted(
          true, conversation: Self.warRoom, participant: "da272714-0a88-4f39-b75e-a3f723ef5c18",
          onBehalfOf: "84e572a8-5750-49d6-8d0a-2d88a6110981")
        Issue.record("a user who is not in the conversation cannot act")
      } catch let e as GenesysError {
        #expect(e.status == 404)
        #expect(e.code == "not.found")
        if case .api(_, _, _, let corr) = e { #expect(corr != nil) }
      }
    }
  }

  @Test func badCredentialsFailWithoutTheSecret() async throws {
    try await withClient(secret: "not-the-secret") { client, _ in
      do {
        _ = try await client.callConversation(Self.warRoom)
        Issue.record("expected a 401")
      } catch let e as GenesysError {
        #expect(e.status == 401)
        #expect(!e.description.contains("not-the-secret"))
      }
    }
  }

  @Test func expiredTokenIsRefreshed() async throws {
    // 3 s: a loaded machine must not let the token expire while a request is on its way.
    try await withClient(SimOptions(tokenLifetime: 3, patchDelay: 0, rateLimit: nil)) { client, _ in
      _ = try await client.callConversation(Self.warRoom)
      try await Task.sleep(nanoseconds: 3_200_000_000)
      _ = try await client.callConversation(Self.warRoom)
      #expect(await client.tokens.fetched >= 2, "the token was refreshed")
    }
  }

  /// The emulator sends no rate-limit headers, as Genesys: the client's own count paces it.
  @Test func rateLimitIsPacedByItsOwnCountWithoutErrors() async throws {
    try await withClient(SimOptions(patchDelay: 0, rateLimit: 5, rateLimitWindow: 1)) { client, server in
      let start = Date()
      for _ in 0..<12 { _ = try await client.callConversation(Self.warRoom) }
      #expect(Date().timeIntervalSince(start) >= 1.5, "12 requests at 5 per second take two windows")
      #expect(await client.budget.throttled <= 1)
    }
  }

  /// Ordinary reads spend the token's window; the reverts due before it resets still find their share
  /// (a read and an unmute each, and the room classes below reverts leave besides: six requests)
  /// instead of waiting for the reset. Without the schedule the ordinary reads
  /// would leave only a tenth of the window, and the urgent reads would wait about 5 s for the reset.
  @Test func busyOrdinaryTrafficLeavesTheRevertsTheirShare() async throws {
    try await withClient(SimOptions(patchDelay: 0, rateLimit: 20, rateLimitWindow: 6)) { client, _ in
      _ = try await client.callConversation(Self.warRoom)  // the window begins
      let due = Date().timeIntervalSince1970 + 1
      await client.budget.expectUrgent(["a1/p": due, "a2/p": due + 0.5])
      let ordinary = Task {
        for _ in 0..<20 { _ = try? await client.callConversation(Self.warRoom) }
      }
      try await Task.sleep(nanoseconds: 1_000_000_000)
      for _ in 0..<6 { _ = try await client.callConversation(Self.warRoom, priority: .urgentRevert) }
      #expect(await client.budget.urgentWaited == 0, "the urgent reads never waited for the budget")
      await ordinary.value
      // A request sent late in one window can arrive in the service's next on a loaded machine: the
      // budget keeps room for a few such, and one 429 at most corrects the count.
      #expect(await client.budget.throttled <= 1, "and (next to) nothing was answered 429")
    }
  }
}
