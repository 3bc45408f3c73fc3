import Foundation
import GenesysSim
import PartylineTestSupport
import HummingbirdWSClient
import Logging
import Testing

/// A WebSocket client on a channel's `connectUri`: collects what it receives.
final class SocketProbe: @unchecked Sendable {
  private let lock = NSLock()
  private var received: [String] = []
  private var writer: WebSocketOutboundWriter?
  private var isClosed = false
  private var task: Task<Void, Never>?

  init(_ url: String) {
    task = Task {
      var logger = Logger(label: "probe")
      logger.logLevel = .critical
      _ = try? await WebSocketClient.connect(url: url, logger: logger) { inbound, outbound, _ in
        self.lock.withLock { self.writer = outbound }
        for try await message in inbound.messages(maxSize: 1 << 24) {
          if case .text(let text) = message { self.lock.withLock { self.received.append(text) } }
        }
      }
      self.lock.withLock { self.isClosed = true }
    }
  }

  var messages: [[String: Any]] {
    lock.withLock { received }.compactMap {
      try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
    }
  }

  var closed: Bool { lock.withLock { isClosed } }
  var connected: Bool { lock.withLock { writer != nil } }

  /// The events (not heartbeats) received on `topic`.
  func events(_ topic: String) -> [[String: Any]] { messages.filter { $0["topicName"] as? String == topic } }

  func send(_ text: String) async throws {
    guard let writer = lock.withLock({ writer }) else { return }
    try await writer.write(.text(text))
  }

  func close() {
    task?.cancel()
  }

  static func open(_ url: String) async throws -> SocketProbe {
    let probe = SocketProbe(url)
    #expect(try await eventually { probe.connected || probe.closed })
    return probe
  }
}

extension SimSession {
  func channel(_ token: String) async throws -> (id: String, connectUri: String) {
    let r = try await send("POST", "/api/v2/notifications/channels", token: token, json: "")
    try #require(r.status == 200, "\(r.text)")
    return (try #require(r.json["id"] as? String), try #require(r.json["connectUri"] as? String))
  }

  func subscribe(
    _ channel: String, _ topics: [String], token: String, method: String = "POST", ignoreErrors: Bool? = nil
  ) async throws -> TestHTTPClient.Response {
    let body = "[" + topics.map { "{\"id\":\"\($0)\"}" }.joined(separator: ",") + "]"
    let q = ignoreErrors.map { "?ignoreErrors=\($0)" } ?? ""
    return try await send(
      method, "/api/v2/notifications/channels/\(channel)/subscriptions\(q)", token: token, json: body)
  }

  func sim(_ method: String, _ path: String, _ body: String = "") async throws -> TestHTTPClient.Response {
    try await http.request(method, path, headers: [("Content-Type", "application/json")], body: body)
  }
}

func userTopic(_ id: String) -> String { "v2.users.\(id).conversations.calls" }
func queueTopic(_ id: String) -> String { "v2.routing.queues.\(id).conversations.calls" }

/// The Notifications API over real sockets: channels, subscriptions, the WebSocket, its rules and
/// its faults.
@Suite struct SimNotificationsTests {
  @Test func everyChangeOfTheWorldPublishesTheCallToTheTopicsItConcerns() async throws {
    try await withSim { sim in
      let token = try await sim.token()
      let (channel, uri) = try await sim.channel(token)
      #expect(uri == "ws://127.0.0.1:\(sim.server.port)/channels/\(channel)")
      #expect(
        try await sim.http.request(
          "HEAD", "/api/v2/notifications/channels/\(channel)", headers: [("Authorization", "Bearer \(token)")]
        ).status == 200)
      #expect(
        try await sim.http.request(
          "HEAD", "/api/v2/notifications/channels/nope", headers: [("Authorization", "Bearer \(token)")]
        ).status == 404)
      let sub = try await sim.subscribe(
        channel, [userTopic(Demo.User.ada), queueTopic(Demo.Queue.escalations)], token: token)
      #expect(sub.status == 200, "\(sub.text)")
      #expect(
        (sub.json["entities"] as? [[String: Any]])?.map { $0["state"] as? String } == [
          "Permitted", "Permitted",
        ])
      let listed = try await sim.get("/api/v2/notifications/channels/\(channel)/subscriptions", token: token)
      #expect((listed.json["entities"] as? [[String: Any]])?.count == 2)
      let probe = try await SocketProbe.open(uri)
      defer { probe.close() }
      let q = queueTopic(Demo.Queue.escalations)
      let ada = userTopic(Demo.User.ada)
      let cid = "00000000-0000-4000-8000-00000000c001"
      let customer = "00000000-0000-4000-8000-00000000c002"
      let agent = "00000000-0000-4000-8000-00000000c003"
      // A call rings in the queue: one event on the queue's topic, none on Ada's.
      var r = try await sim.sim(
        "POST", "/sim/conversations",
        #"{"conversations":[{"id":"\#(cid)","queue":"\#(Demo.Queue.escalations)","direction":"inbound","participants":[{"id":"\#(customer)","purpose":"customer","state":"connected","address":"+4930111222"}]}]}"#
      )
      #expect(r.status == 200, "\(r.text)")
      #expect(try await eventually { probe.events(q).count == 1 })
      // Ada answers (joins): the queue's topic and hers.
      r = try await sim.sim(
        "POST", "/sim/conversations",
        #"{"conversations":[{"id":"\#(cid)","participants":[{"id":"\#(agent)","purpose":"agent","state":"connected","user":"\#(Demo.User.ada)"}]}]}"#
      )
      #expect(r.status == 200, "\(r.text)")
      #expect(try await eventually { probe.events(q).count == 2 && probe.events(ada).count == 1 })
      let body = try #require(probe.events(ada).last?["eventBody"] as? [String: Any])
      #expect(body["id"] as? String == cid)
      let event = try #require(probe.events(ada).last)
      #expect(event["version"] as? String == "2")
      #expect(((event["metadata"] as? [String: Any])?["CorrelationId"] as? String)?.count == 36)
      let legs = body["participants"] as? [[String: Any]] ?? []
      let agentLeg = try #require(legs.first { $0["id"] as? String == agent })
      #expect((agentLeg["user"] as? [String: Any])?["name"] as? String == "Ada Agent", "events name the user")
      #expect((agentLeg["queue"] as? [String: Any])?["name"] as? String == "Escalations")
      #expect(legs.allSatisfy { $0["direction"] as? String == "inbound" })
      // A mute, on behalf of Ada: the event comes when it takes effect (after the patch delay).
      let mute = try await sim.send(
        "PATCH", "/api/v2/conversations/calls/\(cid)/participants/\(customer)/user/\(Demo.User.ada)",
        token: token,
        json: #"{"muted":true}"#)
      #expect(mute.status == 202)
      #expect(try await eventually { probe.events(ada).count == 2 })
      let muted =
        (probe.events(ada).last?["eventBody"] as? [String: Any])?["participants"] as? [[String: Any]]
      #expect(muted?.first { $0["id"] as? String == customer }?["muted"] as? Bool == true)
      // Muting again changes nothing: no event.
      _ = try await sim.send(
        "PATCH", "/api/v2/conversations/calls/\(cid)/participants/\(customer)/user/\(Demo.User.ada)",
        token: token,
        json: #"{"muted":true}"#)
      // Held, then the customer leaves, then the call ends.
      _ = try await sim.send(
        "PATCH", "/api/v2/conversations/calls/\(cid)/participants/\(customer)/user/\(Demo.User.ada)",
        token: token,
        json: #"{"held":true}"#)
      #expect(try await eventually { probe.events(ada).count == 3 })
      #expect(
        try await sim.sim("POST", "/sim/conversations/\(cid)/participants/\(customer)/leave").status == 200)
      #expect(try await eventually { probe.events(ada).count == 4 })
      #expect(try await sim.sim("POST", "/sim/conversations/\(cid)/end").status == 200)
      #expect(try await eventually { probe.events(ada).count == 5 })
      let ended =
        (probe.events(ada).last?["eventBody"] as? [String: Any])?["participants"] as? [[String: Any]]
      #expect(ended?.allSatisfy { $0["state"] as? String == "disconnected" } == true)
      try await Task.sleep(nanoseconds: 200_000_000)
      #expect(probe.events(ada).count == 5, "exactly one event per change, none for the repeated mute")
      #expect(probe.events(q).count == 6)
      // The history records each published event with its time and topic.
      let history = try await sim.sim("GET", "/sim/history")
      let published = history.json["notifications"] as? [[String: Any]] ?? []
      #expect(published.filter { $0["topic"] as? String == ada }.count == 5)
      #expect(
        published.allSatisfy {
          ($0["time"] as? String)?.hasSuffix("Z") == true && $0["dropped"] as? Bool == false
        })
      // Other calls' changes do not reach these topics.
      _ = try await sim.sim("POST", "/sim/conversations/\(Demo.Call.sales)/end")
      try await Task.sleep(nanoseconds: 150_000_000)
      #expect(probe.events(queueTopic(Demo.Queue.sales)).isEmpty)
    }
  }

  @Test func topicsNeedTheirPermissionsAndAValidName() async throws {
    try await withSim { sim in
      let readonly = try await sim.token("partyline-readonly", "partyline-readonly-secret")
      let (channel, _) = try await sim.channel(readonly)
      let topics = [userTopic(Demo.User.ada), queueTopic(Demo.Queue.escalations), "v2.nothing.here"]
      expectErrorBody(
        try await sim.subscribe(channel, topics.dropLast(), token: readonly), status: 403,
        code: "missing.any.permissions")
      expectErrorBody(
        try await sim.subscribe(channel, ["v2.nothing.here"], token: readonly), status: 400,
        code: "bad.request")
      #expect(
        (try await sim.get("/api/v2/notifications/channels/\(channel)/subscriptions", token: readonly).json[
          "entities"] as? [Any])?.isEmpty == true, "a refused request subscribes nothing")
      let r = try await sim.subscribe(channel, topics, token: readonly, ignoreErrors: true)
      #expect(r.status == 200, "\(r.text)")
      let answers = r.json["entities"] as? [[String: Any]] ?? []
      #expect(answers.map { $0["state"] as? String } == ["Permitted", "Rejected", "Rejected"])
      #expect(answers[1]["missingPermissions"] as? [String] == ["routing:queue:view"])
      #expect(answers[1]["rejectionReason"] as? String == "Missing permissions")
      #expect(answers[2]["rejectionReason"] as? String == "Topic is not valid")
      let listed = try await sim.get(
        "/api/v2/notifications/channels/\(channel)/subscriptions", token: readonly)
      #expect(
        (listed.json["entities"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [
          userTopic(Demo.User.ada)
        ])
      // PUT replaces, DELETE removes all.
      let token = try await sim.token()
      let (mine, _) = try await sim.channel(token)
      _ = try await sim.subscribe(mine, [userTopic(Demo.User.ada)], token: token)
      _ = try await sim.subscribe(mine, [userTopic(Demo.User.grace)], token: token, method: "PUT")
      let replaced = try await sim.get("/api/v2/notifications/channels/\(mine)/subscriptions", token: token)
      #expect(
        (replaced.json["entities"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [
          userTopic(Demo.User.grace)
        ])
      #expect(
        try await sim.http.request(
          "DELETE", "/api/v2/notifications/channels/\(mine)/subscriptions",
          headers: [("Authorization", "Bearer \(token)")]
        ).status == 204)
      #expect(
        (try await sim.get("/api/v2/notifications/channels/\(mine)/subscriptions", token: token).json[
          "entities"] as? [Any])?.isEmpty == true)
      // Another client's channel is not found.
      expectErrorBody(
        try await sim.get("/api/v2/notifications/channels/\(channel)/subscriptions", token: token),
        status: 404, code: "not.found")
    }
  }

  @Test func limitsOfChannelsAndTopics() async throws {
    try await withSim { sim in
      let token = try await sim.token()
      let (channel, uri) = try await sim.channel(token)
      let many = (0..<1_001).map {
        String(format: "v2.users.00000000-0000-4000-8000-%012d.conversations.calls", $0)
      }
      expectErrorBody(try await sim.subscribe(channel, many, token: token), status: 400, code: "bad.request")
      #expect(try await sim.subscribe(channel, Array(many.prefix(1_000)), token: token).status == 200)
      // 20 channels a client; the 21st replaces the oldest that never had a socket.
      let probe = try await SocketProbe.open(uri)
      defer { probe.close() }
      var ids = [channel]
      for _ in 1..<20 { ids.append(try await sim.channel(token).id) }
      let listed = try await sim.get(
        "/api/v2/notifications/channels?includechannels=oauthclient", token: token)
      #expect((listed.json["entities"] as? [Any])?.count == 20)
      _ = try await sim.channel(token)
      func exists(_ id: String) async throws -> Bool {
        try await sim.http.request(
          "HEAD", "/api/v2/notifications/channels/\(id)", headers: [("Authorization", "Bearer \(token)")]
        ).status == 200
      }
      #expect(try await exists(ids[0]), "the connected channel stays")
      #expect(try await !exists(ids[1]), "the oldest unconnected channel was replaced")
      #expect(try await exists(ids[2]))
    }
  }

  @Test func oneSocketPerChannelHeartbeatsAndPong() async throws {
    var options = fastOptions()
    options.notifications.heartbeat = 0.1
    try await withSim(options: options) { sim in
      let token = try await sim.token()
      let (_, uri) = try await sim.channel(token)
      let first = try await SocketProbe.open(uri)
      defer { first.close() }
      #expect(
        try await eventually {
          first.messages.filter {
            ($0["eventBody"] as? [String: Any])?["message"] as? String == "WebSocket Heartbeat"
          }.count >= 2
        })
      #expect(first.messages.allSatisfy { $0["topicName"] as? String == "channel.metadata" })
      try await first.send(#"{"message":"ping"}"#)
      #expect(
        try await eventually {
          first.messages.contains { ($0["eventBody"] as? [String: Any])?["message"] as? String == "pong" }
        })
      let second = try await SocketProbe.open(uri)
      defer { second.close() }
      #expect(try await eventually { first.closed }, "a second socket disconnects the first")
      #expect(!second.closed)
      // An unknown channel does not upgrade.
      let stranger = try await SocketProbe.open("ws://127.0.0.1:\(sim.server.port)/channels/nope")
      #expect(try await eventually { stranger.closed })
      #expect(!stranger.connected)
    }
  }

  @Test func channelsExpireUnlessSubscribedAgain() async throws {
    var options = fastOptions()
    options.notifications.channelLifetime = 60
    let clock = ManualClock()
    options.now = { clock.now }
    try await withSim(options: options) { sim in
      let token = try await sim.token()
      let (channel, uri) = try await sim.channel(token)
      let probe = try await SocketProbe.open(uri)
      defer { probe.close() }
      clock.advance(50)
      #expect(try await sim.subscribe(channel, [userTopic(Demo.User.ada)], token: token).status == 200)
      clock.advance(50)  // 100 s after creation, 50 after the subscription: alive
      try await Task.sleep(nanoseconds: 50_000_000)
      #expect(!probe.closed)
      #expect(
        try await sim.http.request(
          "HEAD", "/api/v2/notifications/channels/\(channel)", headers: [("Authorization", "Bearer \(token)")]
        ).status == 200)
      clock.advance(11)
      #expect(try await eventually { probe.closed }, "the expired channel's socket is closed")
      #expect(
        try await sim.http.request(
          "HEAD", "/api/v2/notifications/channels/\(channel)", headers: [("Authorization", "Bearer \(token)")]
        ).status == 404)
    }
  }

  func world(_ sim: SimSession, _ token: String) async throws -> (SocketProbe, String, String) {
    let (channel, uri) = try await sim.channel(token)
    _ = try await sim.subscribe(channel, [userTopic(Demo.User.grace)], token: token)
    return (try await SocketProbe.open(uri), channel, uri)
  }

  /// Mutes and unmutes the noisy caller on behalf of Grace: one event each.
  func toggle(_ sim: SimSession, _ token: String, _ muted: Bool) async throws {
    let r = try await sim.send(
      "PATCH",
      "/api/v2/conversations/calls/\(Demo.Call.noisy)/participants/ef10915e-a083-4f2f-8045-c624a143ada8/user/\(Demo.User.grace)",
      token: token, json: "{\"muted\":\(muted)}")
    #expect(r.status == 202)
  }

  @Test func faultsDropSocketsAndEventsDelayEventsAndAnnounceClosing() async throws {
    try await withSim { sim in
      let token = try await sim.token()
      let grace = userTopic(Demo.User.grace)
      var (probe, _, uri) = try await world(sim, token)
      // A dropped socket.
      #expect(try await sim.sim("POST", "/sim/notifications/drop").json["sockets"] as? Int == 1)
      #expect(try await eventually { probe.closed })
      // Events are not replayed after a reconnect.
      try await toggle(sim, token, true)
      try await Task.sleep(nanoseconds: 200_000_000)
      probe = try await SocketProbe.open(uri)
      try await Task.sleep(nanoseconds: 100_000_000)
      #expect(probe.events(grace).isEmpty)
      // Every event dropped: none arrives, the history says so.
      _ = try await sim.sim("POST", "/sim/faults", #"{"faults":[],"events":{"dropShare":1}}"#)
      try await toggle(sim, token, false)
      try await Task.sleep(nanoseconds: 250_000_000)
      #expect(probe.events(grace).isEmpty)
      let dropped = (try await sim.sim("GET", "/sim/history").json["notifications"] as? [[String: Any]] ?? [])
        .last
      #expect(dropped?["dropped"] as? Bool == true)
      // Delayed events come late.
      _ = try await sim.sim("POST", "/sim/faults", #"{"faults":[],"events":{"dropShare":0,"delayMs":400}}"#)
      let sent = Date()
      try await toggle(sim, token, true)
      #expect(try await eventually { probe.events(grace).count == 1 })
      #expect(Date().timeIntervalSince(sent) >= 0.4)
      // A maintenance close: the notice, then the socket closes.
      _ = try await sim.sim("POST", "/sim/faults", #"{"faults":[],"events":{"dropShare":0,"delayMs":0}}"#)
      #expect(try await sim.sim("POST", "/sim/notifications/socket-closing").status == 200)
      #expect(try await eventually { probe.closed })
      #expect(probe.events("v2.system.socket_closing").count == 1)
      probe.close()
    }
  }
}
