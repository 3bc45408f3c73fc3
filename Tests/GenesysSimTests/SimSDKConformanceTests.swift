import Foundation
import GenesysSim
import PartylineTestSupport
import Testing

/// Genesys's own Python SDK (`purecloudplatformclientv2`) reads what the emulator serves: every answer
/// of the discovery and notification routes, the call reads and the event bodies are checked by
/// `scripts/genesys_sdk_check.py --strict` (the SDK's deserialiser, exact enums, types, and no key the
/// SDK's model does not know). Skipped, saying so, when the SDK is not installed; under CI (which
/// installs it) it runs.
@Suite(
  .enabled(
    if: SDK.available || SDK.underCI,
    "the Genesys Python SDK is not installed (pip install purecloudplatformclientv2)"))
struct SimSDKConformanceTests {
  @Test func theSDKReadsEveryAnswerAndEvent() async throws {
    var samples: [String: [Any]] = [:]
    func add(_ model: String, _ r: TestHTTPClient.Response, sourceLocation: SourceLocation = #_sourceLocation)
    {
      #expect(
        (200..<300).contains(r.status) || model == "ErrorBody", "\(model): \(r.text)",
        sourceLocation: sourceLocation)
      if let v = try? JSONSerialization.jsonObject(with: Data(r.text.utf8)) {
        samples[model, default: []].append(v)
      }
    }
    try await withSim { sim in
      let token = try await sim.token()
      add(
        "QueueEntityListing",
        try await sim.get("/api/v2/routing/queues?pageSize=1&pageNumber=2", token: token))
      add("Queue", try await sim.get("/api/v2/routing/queues/\(Demo.Queue.escalations)", token: token))
      let query =
        #"{"metrics":[{"metric":"oWaiting","details":true},{"metric":"oInteracting","details":true},{"metric":"oLongestWaiting"}],"groupBy":["queueId"],"filter":{"type":"or","predicates":[{"dimension":"queueId","operator":"exists"}],"clauses":[{"type":"and","predicates":[{"dimension":"mediaType","value":"voice"}]}]},"order":"asc"}"#
      samples["ConversationActivityQuery", default: []].append(
        try JSONSerialization.jsonObject(with: Data(query.utf8)))
      add(
        "ConversationActivityResponse",
        try await sim.send(
          "POST", "/api/v2/analytics/conversations/activity/query?pageSize=1", token: token, json: query))
      add(
        "LimitsEntityListing",
        try await sim.get("/api/v2/organizations/limits/namespaces/platform.api", token: token))
      add(
        "CallConversation",
        try await sim.get("/api/v2/conversations/calls/\(Demo.Call.escalationAnswered)", token: token))
      add(
        "CallConversation",
        try await sim.get("/api/v2/conversations/calls/\(Demo.Call.warRoom)", token: token))
      add(
        "Conversation",
        try await sim.get("/api/v2/conversations/\(Demo.Call.escalationAnswered)", token: token))
      add(
        "ErrorBody",
        try await sim.get("/api/v2/routing/queues/00000000-0000-4000-8000-000000000000", token: token))
      let created = try await sim.send("POST", "/api/v2/notifications/channels", token: token, json: "")
      add("Channel", created)
      let channel = try #require(created.json["id"] as? String)
      let uri = try #require(created.json["connectUri"] as? String)
      add("ChannelEntityListing", try await sim.get("/api/v2/notifications/channels", token: token))
      let topics = [userTopic(Demo.User.quinn), queueTopic(Demo.Queue.escalations), "v2.bad.topic"]
      add(
        "ChannelTopicEntityListing",
        try await sim.subscribe(channel, topics, token: token, ignoreErrors: true))
      add(
        "ChannelTopicEntityListing",
        try await sim.get("/api/v2/notifications/channels/\(channel)/subscriptions", token: token))
      let probe = try await SocketProbe.open(uri)
      defer { probe.close() }
      // Quinn's customer is muted and leaves: events on both topics.
      let mute = try await sim.send(
        "PATCH",
        "/api/v2/conversations/calls/\(Demo.Call.escalationAnswered)/participants/b7820e01-6ee5-4785-bac7-58de0b0b3624/user/\(Demo.User.quinn)",
        token: token, json: #"{"muted":true}"#)
      #expect(mute.status == 202)
      #expect(try await eventually { probe.events(userTopic(Demo.User.quinn)).count == 1 })
      _ = try await sim.sim(
        "POST",
        "/sim/conversations/\(Demo.Call.escalationAnswered)/participants/b7820e01-6ee5-4785-bac7-58de0b0b3624/leave"
      )
      #expect(
        try await eventually {
          probe.events(userTopic(Demo.User.quinn)).count >= 2
            && probe.events(queueTopic(Demo.Queue.escalations)).count >= 2
        }, "\(probe.messages.map { $0["topicName"] ?? "?" })")
      // A recorded call with a monitoring supervisor, its recording securely paused: the reads and
      // the queue's events carry recordingState, securePause, mediaRoles and monitoredParticipantId.
      #expect(
        try await sim.send("POST", "/sim/conversations", token: nil, json: SimRecordingTests.recorded).status
          == 200)
      let pause = #"{"recordingState":"PAUSED"}"#
      samples["SetRecordingState", default: []].append(
        try JSONSerialization.jsonObject(with: Data(pause.utf8)))
      #expect(try await sim.send("PUT", SimRecordingTests.put, token: token, json: pause).status == 200)
      #expect(
        try await eventually {
          probe.events(queueTopic(Demo.Queue.escalations)).contains {
            ($0["eventBody"] as? [String: Any])?["securePause"] as? Bool == true
          }
        })
      add(
        "CallConversation",
        try await sim.get("/api/v2/conversations/calls/\(SimRecordingTests.call)", token: token))
      add("Conversation", try await sim.get("/api/v2/conversations/\(SimRecordingTests.call)", token: token))
      samples["ConversationCallEventTopicCallConversation"] = probe.events(userTopic(Demo.User.quinn))
        .compactMap {
          $0["eventBody"]
        }
      samples["QueueConversationCallEventTopicCallConversation"] = probe.events(
        queueTopic(Demo.Queue.escalations)
      )
      .compactMap { $0["eventBody"] }
    }
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("sdk-samples-\(getpid()).json")
    try JSONSerialization.data(withJSONObject: samples).write(to: file)
    defer { try? FileManager.default.removeItem(at: file) }
    let (status, output) = try await SDK.check(file.path)
    #expect(status == 0, "\(output)")
  }
}

enum SDK {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
  static let underCI = ProcessInfo.processInfo.environment["CI"] == "true"

  static let available: Bool = {
    (try? run(["-c", "import PureCloudPlatformClientV2"]).0) == 0
  }()

  static func check(_ samples: String) async throws -> (Int32, String) {
    try await onOwnThread {
      try run([
        root.appendingPathComponent("scripts/genesys_sdk_check.py").path, "--strict", "--quiet", samples,
      ])
    }
  }

  static func run(_ arguments: [String]) throws -> (Int32, String) {
    try runToExit(["/usr/bin/env", "python3"] + arguments)
  }
}
