import Foundation
import GenesysSim
import Testing

@testable import GenesysCloud

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif

/// The notifications client against the emulator's Notifications API over real sockets.
@Suite struct NotificationStreamTests {
  static let ada = "2228f9a6-0995-4bdb-ba19-281dd0143a12"
  static let warRoom = "751093a1-a8ad-4ca4-a113-0f80cc4f35b8"

  final class Events: @unchecked Sendable {
    private let lock = NSLock()
    private var all: [NotificationEvent] = []
    func add(_ e: NotificationEvent) { lock.withLock { all.append(e) } }
    var calls: [CallConversation] {
      lock.withLock { all.compactMap { if case .call(_, let c) = $0 { return c } else { return nil } } }
    }
    var gaps: [String] {
      lock.withLock { all.compactMap { if case .gap(let g) = $0 { return g } else { return nil } } }
    }
    var rejected: [ChannelTopic] {
      lock.withLock { all.flatMap { if case .rejected(let r) = $0 { return r } else { return [] } } }
    }
  }

  func with(
    _ options: SimOptions, fixture: SimFixture = .demo,
    _ body: (GenesysClient, SimServer) async throws -> Void
  ) async throws {
    let server = try await SimServer.start(fixture: fixture, options: options)
    let config = try GenesysConfiguration(
      apiBase: server.baseURL, clientId: "partyline-demo", clientSecret: Secret("partyline-demo-secret"))
    let client = GenesysClient(
      configuration: config, budget: RateBudget(limit: 1_000_000),
      retry: RetryPolicy(budget: 10, baseDelay: 0.05, maxDelay: 0.2))
    do { try await body(client, server) } catch {
      try? await client.shutdown()
      await server.shutdown()
      throw error
    }
    try await client.shutdown()
    await server.shutdown()
  }

  static func eventually(_ timeout: Double = 20, _ condition: () -> Bool) async -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
      if condition() { return true }
      try? await Task.sleep(nanoseconds: 50_000_000)
    }
    return condition()
  }

  static func channels(_ server: SimServer) async throws -> Set<String> {
    let (data, _) = try await URLSession.shared.data(from: URL(string: server.baseURL + "/sim/history")!)
    let o = try JSONSerialization.jsonObject(with: data) as? [String: Any]
    return Set((o?["notifications"] as? [[String: Any]] ?? []).compactMap { $0["channelId"] as? String })
  }

  @Test func moreThanAThousandTopicsTakeASecondChannelAndEventsCarryTheCall() async throws {
    let options = SimOptions(patchDelay: 0, connectDelay: 0.05, rateLimit: nil)
    try await with(options) { client, server in
      var topics = (0..<1_499).map {
        NotificationStream.userTopic(String(format: "00000000-0000-4000-8000-%012x", $0))
      }
      topics.append(NotificationStream.userTopic(Self.ada))
      let stream = NotificationStream(client: client, topics: topics, silence: 60)
      let events = Events()
      let task = Task { await stream.run { events.add($0) } }
      defer { task.cancel() }
      #expect(await Self.eventually { events.gaps.filter { $0 == "connected" }.count == 2 }, "\(events.gaps)")
      // Ada's call changes: its event carries the whole call.
      let conv = try #require(try await client.callConversation(Self.warRoom))
      let customer = try #require(conv.participants.first { $0.purpose == "customer" })
      _ = try await client.setMuted(
        true, conversation: Self.warRoom, participant: customer.id, onBehalfOf: Self.ada)
      #expect(
        await Self.eventually {
          events.calls.contains { c in
            c.id == Self.warRoom && c.participants.contains { $0.id == customer.id && $0.muted == true }
          }
        })
      #expect(await stream.connects == 2)
      #expect(try await Self.channels(server).count == 1, "Ada's topic is on one of the two channels")
    }
  }

  @Test func aSilentSocketIsAGapAndIsDialledAgain() async throws {
    var options = SimOptions(patchDelay: 0, connectDelay: 0.05, rateLimit: nil)
    options.notifications.heartbeat = 3600  // no heartbeat: silence
    try await with(options) { client, _ in
      let stream = NotificationStream(
        client: client, topics: [NotificationStream.userTopic(Self.ada)], silence: 1)
      let events = Events()
      let task = Task { await stream.run { events.add($0) } }
      defer { task.cancel() }
      #expect(
        await Self.eventually { events.gaps.contains { $0.hasPrefix("no heartbeat for 1 s") } },
        "\(events.gaps)")
      #expect(await Self.eventually { events.gaps.filter { $0 == "connected" }.count >= 2 }, "\(events.gaps)")
    }
  }

  @Test func aChannelIsSubscribedAgainBeforeItExpires() async throws {
    var options = SimOptions(patchDelay: 0, connectDelay: 0.05, rateLimit: nil)
    // Lifetimes short enough for a test, long enough for a loaded machine's late wake-ups.
    options.notifications.channelLifetime = 8
    options.notifications.heartbeat = 0.5
    try await with(options) { client, server in
      let stream = NotificationStream(
        client: client, topics: [NotificationStream.userTopic(Self.ada)], silence: 5)
      let events = Events()
      let task = Task { await stream.run { events.add($0) } }
      defer { task.cancel() }
      #expect(await Self.eventually { events.gaps.contains("connected") })
      try await Task.sleep(nanoseconds: 17_000_000_000)  // more than two lifetimes
      let conv = try #require(try await client.callConversation(Self.warRoom))
      let customer = try #require(conv.participants.first { $0.purpose == "customer" })
      _ = try await client.setMuted(
        true, conversation: Self.warRoom, participant: customer.id, onBehalfOf: Self.ada)
      #expect(await Self.eventually(5) { events.calls.contains { $0.id == Self.warRoom } }, "\(events.gaps)")
      #expect(try await Self.channels(server).count == 1, "renewed, not replaced")
      #expect(events.gaps.filter { $0 == "connected" }.count == 1, "gaps: \(events.gaps)")
    }
  }

  /// A channel that had a socket counts against the 20 until it expires: topics that change (watch
  /// learns new calls' users every full reconcile) go onto the open channel by subscription, so a
  /// run whose topics change more than 20 times still follows its calls.
  @Test func changedTopicsAreSubscribedOnTheOpenChannelNotANewOne() async throws {
    let options = SimOptions(patchDelay: 0, connectDelay: 0.05, rateLimit: nil)
    try await with(options) { client, server in
      let other = (0..<25).map {
        NotificationStream.userTopic(String(format: "00000000-0000-4000-8000-%012x", $0))
      }
      let stream = NotificationStream(client: client, topics: [other[0]], silence: 60)
      let events = Events()
      let task = Task { await stream.run { events.add($0) } }
      defer { task.cancel() }
      #expect(await Self.eventually { events.gaps.contains("connected") }, "\(events.gaps)")
      for n in 1..<25 {
        await stream.setTopics([other[n]])
        try await Task.sleep(nanoseconds: 300_000_000)
      }
      await stream.setTopics([other[24], NotificationStream.userTopic(Self.ada)])
      let conv = try #require(try await client.callConversation(Self.warRoom))
      let customer = try #require(conv.participants.first { $0.purpose == "customer" })
      // The subscription is in place within a watchdog tick; mute until Ada's event comes.
      var muted = false
      #expect(
        await Self.eventually {
          if !muted {
            muted = true
            Task {
              try await Task.sleep(nanoseconds: 1_000_000_000)
              _ = try await client.setMuted(
                true, conversation: Self.warRoom, participant: customer.id, onBehalfOf: Self.ada)
            }
          }
          return events.calls.contains { $0.id == Self.warRoom }
        }, "\(events.gaps)")
      #expect(await stream.channelsCreated == 1)
      #expect(await stream.connects == 1, "the socket stayed open")
      #expect(try await Self.channels(server).count == 1)
    }
  }

  @Test func rejectedTopicsComeWithTheirMissingPermissions() async throws {
    var fixture = SimFixture.demo
    fixture.clients = fixture.clients.map { c in
      var c = c
      c.permissions = ["conversation:communication:view"]
      return c
    }
    try await with(SimOptions(patchDelay: 0, connectDelay: 0.05, rateLimit: nil), fixture: fixture) {
      client, _ in
      let queue = "dbf17a5a-2163-4149-a955-ad5f0b5fdfe2"
      let stream = NotificationStream(
        client: client,
        topics: [NotificationStream.userTopic(Self.ada), NotificationStream.queueTopic(queue)],
        silence: 60)
      let events = Events()
      let task = Task { await stream.run { events.add($0) } }
      defer { task.cancel() }
      #expect(await Self.eventually { !events.rejected.isEmpty })
      let r = try #require(events.rejected.first)
      #expect(r.id == NotificationStream.queueTopic(queue))
      #expect(r.missingPermissions == ["routing:queue:view"])
      #expect(events.rejected.count == 1, "the user topic was permitted")
    }
  }

  @Test func eventBodiesAreParsedLeniently() {
    let text =
      #"{"topicName":"v2.users.x.conversations.calls","version":"2","eventBody":{"id":"c1","participants":[{"id":"p1","state":"scheduled","disconnectType":"endpoint.dnd","muted":true,"somethingNew":{"a":1}}]},"metadata":{"CorrelationId":"x"}}"#
    guard case .call(let topic, let call) = NotificationStream.parse(text) else {
      Issue.record("not parsed as a call")
      return
    }
    #expect(topic == "v2.users.x.conversations.calls")
    #expect(call.participants.first?.state == "scheduled")
    if case .heartbeat = NotificationStream.parse(
      #"{"topicName":"channel.metadata","eventBody":{"message":"WebSocket Heartbeat"}}"#)
    {
    } else {
      Issue.record("heartbeat")
    }
    if case .socketClosing = NotificationStream.parse(
      #"{"topicName":"v2.system.socket_closing","eventBody":{}}"#)
    {
    } else {
      Issue.record("socket closing")
    }
    if case .ignored = NotificationStream.parse("not json") {} else { Issue.record("garbage is ignored") }
  }
}

/// The notification socket URL comes from an answer of the API: it is held to the REST client's
/// rules (DESIGN §5) before it is dialled.
@Suite struct SocketURLTests {
  @Test(arguments: [
    "wss://streaming.mypurecloud.ie/channels/streaming-0-abc", "ws://127.0.0.1:4321/channels/x",
    "ws://localhost/channels/x", "ws://[::1]:80/x",
  ])
  func allowed(_ url: String) { #expect(GenesysConfiguration.socketURLProblem(url) == nil) }

  @Test(arguments: [
    "ws://streaming.evil.example/channels/x", "https://streaming.mypurecloud.ie/x",
    "wss://u:p@host.example/x",
    "file:///etc/passwd", "not a url",
  ])
  func refused(_ url: String) { #expect(GenesysConfiguration.socketURLProblem(url) != nil) }
}
