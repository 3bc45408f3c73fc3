import Foundation
import PartylineTestSupport
import Testing
import WireTime

/// `pauseRecording` with the built binary against the emulator over sockets: every Payments call's
/// recording paused from when its agent connects, resumed at its window's end — by the next watcher
/// when the first one is gone —, a human's resume respected, a deleted policy's pause resumed at
/// once; Sales calls untouched, and a monitoring supervisor on a Sales call neither acts nor is muted
/// by `purpose: user`.
@Suite struct PauseRecordingEndToEndTests {
  static let payments = "bbbbbbbb-0000-4000-8000-00000000000a"
  static let sales = "bbbbbbbb-0000-4000-8000-00000000000b"
  static let agentA = "aaaaaaaa-0000-4000-8000-00000000000a"
  static let agentB = "aaaaaaaa-0000-4000-8000-00000000000b"
  static let sam = "aaaaaaaa-0000-4000-8000-00000000000c"
  /// The pause's window from connect, in seconds.
  static let window = 10.0

  static func ids(_ n: Int) -> (call: String, customer: String, agent: String, monitor: String) {
    (
      String(format: "cccccccc-0000-4000-8000-%012x", n), String(format: "dddddddd-0000-4000-8000-%012x", n),
      String(format: "eeeeeeee-0000-4000-8000-%012x", n), String(format: "ffffffff-0000-4000-8000-%012x", n)
    )
  }

  /// A recorded call of `queue` whose customer waits for an agent.
  static func call(_ n: Int, queue: String) -> String {
    let i = ids(n)
    return
      #"{"conversations":[{"id":"\#(i.call)","queue":"\#(queue)","recordingState":"active","participants":[{"id":"\#(i.customer)","purpose":"customer","state":"connected","address":"+4930\#(200000 + n)"}]}]}"#
  }

  /// The agent answering call `n` (and, with `monitored`, Sam monitoring them).
  static func agentJoins(_ n: Int, agent: String, monitored: Bool = false) -> String {
    let i = ids(n)
    var legs = [
      #"{"id":"\#(i.agent)","purpose":"agent","state":"connected","user":"\#(agent)"}"#
    ]
    if monitored {
      // Listed first: a planner that took the first user leg would act as Sam.
      legs.insert(
        #"{"id":"\#(i.monitor)","purpose":"user","state":"connected","user":"\#(sam)","mediaRoles":["monitor"],"monitoredParticipantId":"\#(i.agent)"}"#,
        at: 0)
    }
    return #"{"conversations":[{"id":"\#(i.call)","participants":[\#(legs.joined(separator: ","))]}]}"#
  }

  @Test func watchPausesEveryPaymentsCallFromConnectAndAlwaysResumes() async throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("partyline-pause-\(getpid())")
    try? FileManager.default.removeItem(at: dir)
    defer { try? FileManager.default.removeItem(at: dir) }
    let policies = dir.appendingPathComponent("policies")
    try FileManager.default.createDirectory(at: policies, withIntermediateDirectories: true)
    let fixture = dir.appendingPathComponent("org.yaml")
    try """
    clients:
      - {id: partyline-demo, secret: partyline-demo-secret, permissions: ["*"]}
    users:
      - {id: \(Self.agentA), name: Agent A, email: a@example.com}
      - {id: \(Self.agentB), name: Agent B, email: b@example.com}
      - {id: \(Self.sam), name: Sam Supervisor, email: sam@example.com}
    queues:
      - {id: \(Self.payments), name: Payments}
      - {id: \(Self.sales), name: Sales}
    conversations: []
    """.write(to: fixture, atomically: true, encoding: .utf8)
    let card = policies.appendingPathComponent("card-details.yaml")
    try """
    apiVersion: partyline/v1
    kind: ConversationPolicy
    metadata: {name: card-details}
    spec:
      select: {queue: Payments}
      pauseRecording: {for: \(Int(Self.window))s, from: connect, reason: card details read out}
    """.write(to: card, atomically: true, encoding: .utf8)
    try """
    apiVersion: partyline/v1
    kind: ConversationPolicy
    metadata: {name: sales-quiet}
    spec:
      select: {queue: Sales}
      mute:
        - {purpose: user, for: 5m}
        - {purpose: customer, for: 5m}
    """.write(to: policies.appendingPathComponent("sales.yaml"), atomically: true, encoding: .utf8)

    let sim = try SimProcess(["--patch-delay", "50ms", "--heartbeat", "1s"], fixture: fixture.path)
    defer { sim.stop() }
    let state = dir.appendingPathComponent("state").path
    let arguments = ["watch", "--interval", "5m", "--revert-slack", "0s", "--state", state, policies.path]
    let first = try SelectEndToEndTests.Watch(
      arguments, environment: sim.environment, dir: dir, name: "watch-1")
    defer { first.terminate() }
    #expect(
      await SelectEndToEndTests.wait(15) {
        first.stderr.contains("notifications: connected: full reconcile now")
      },
      "\(first.stderr)")

    /// The emulator's history of call `n`: (event, participant, when it was requested or happened).
    func history(_ n: Int) async throws -> [(event: String, participant: String, at: Double)] {
      try await SelectEndToEndTests.history(sim).filter {
        $0["conversationId"] as? String == Self.ids(n).call
      }
      .map {
        (
          $0["event"] as? String ?? "", $0["participantId"] as? String ?? "",
          (($0["requestedAt"] ?? $0["time"]) as? String).flatMap(Timestamp.parse) ?? 0
        )
      }
    }
    func at(_ n: Int, _ event: String) async throws -> Double? {
      try await history(n).first { $0.event == event }?.at
    }
    func joined(_ n: Int) async throws -> Double? {
      try await history(n).first { $0.event == "joined" && $0.participant == Self.ids(n).agent }?.at
    }

    // Two Payments calls and a Sales call wait for agents: nothing to pause before an agent connects.
    for (n, queue) in [(1, Self.payments), (2, Self.payments), (3, Self.sales)] {
      #expect(try await sim.request("POST", "/sim/conversations", body: Self.call(n, queue: queue)).0 == 200)
    }
    try await Task.sleep(nanoseconds: 1_000_000_000)
    #expect(try await at(1, "recording paused") == nil)
    for (n, agent) in [(1, Self.agentA), (2, Self.agentB)] {
      #expect(
        try await sim.request("POST", "/sim/conversations", body: Self.agentJoins(n, agent: agent)).0 == 200)
    }
    #expect(
      try await sim.request(
        "POST", "/sim/conversations", body: Self.agentJoins(3, agent: Self.agentB, monitored: true)
      ).0 == 200)
    for n in [1, 2] {
      #expect(
        try await SelectEndToEndTests.wait(10) { try await at(n, "recording paused") != nil },
        "\(first.stderr)")
      let paused = try #require(try await at(n, "recording paused"))
      let connected = try #require(try await joined(n))
      #expect(paused - connected <= 2, "call \(n) paused \(paused - connected) s after its agent connected")
      print(
        "pauseRecording: call \(n) paused \(String(format: "%.2f", paused - connected)) s after its agent connected"
      )
    }
    // The Sales call: its customer muted on behalf of the agent, never Sam's monitoring leg, never
    // its recording paused.
    #expect(try await SelectEndToEndTests.wait(10) { try await history(3).contains { $0.event == "muted" } })
    let sales = try await history(3)
    #expect(sales.filter { $0.event == "muted" }.map(\.participant) == [Self.ids(3).customer], "\(sales)")
    let muteCalls = try await sim.log().filter { $0.0 == "PATCH" && $0.1.contains(Self.ids(3).call) }
    #expect(
      muteCalls.count == 1 && muteCalls.allSatisfy { $0.1.hasSuffix("/user/\(Self.agentB)") }, "\(muteCalls)")

    // A person resumes call 2's recording: left alone (onDrift: respect), never paused again.
    let resume = #"{"recordingState":"ACTIVE"}"#
    #expect(
      try await sim.api("PUT", "/api/v2/conversations/calls/\(Self.ids(2).call)/recordingstate", body: resume)
        .0 == 200)
    #expect(try await SelectEndToEndTests.wait(5) { try await at(2, "recording resumed") != nil })

    // The first watcher's machine goes away; the next watcher keeps call 1's promise.
    _ = await first.stop()
    let second = try SelectEndToEndTests.Watch(
      arguments, environment: sim.environment, dir: dir, name: "watch-2")
    defer { second.terminate() }
    let end = try #require(try await joined(1)) + Self.window
    #expect(
      try await SelectEndToEndTests.wait(end - Date().timeIntervalSince1970 + 5) {
        try await at(1, "recording resumed") != nil
      }, "\(second.stderr)")
    let resumed = try #require(try await at(1, "recording resumed"))
    #expect(resumed >= end - 0.05 && resumed <= end + 1, "call 1 resumed \(resumed - end) s after its window")
    print(
      "pauseRecording: call 1 resumed \(String(format: "%.2f", resumed - end)) s after its window, by the next watcher"
    )
    // Call 2's window has ended too: nothing was sent for it after the person's resume.
    let end2 = try #require(try await joined(2)) + Self.window
    try await Task.sleep(nanoseconds: UInt64(max(0, end2 - Date().timeIntervalSince1970 + 1.5) * 1e9))
    #expect(
      try await history(2).filter { $0.event.hasPrefix("recording") }.map(\.event) == [
        "recording paused", "recording resumed",
      ])
    let recordingCalls = try await sim.log().filter { $0.1.hasSuffix("/recordingstate") }
    #expect(
      recordingCalls.filter { $0.1.contains(Self.ids(2).call) }.count == 2,
      "the pause, and the person's resume")
    #expect(!recordingCalls.contains { $0.1.contains(Self.ids(3).call) }, "a Sales call is untouched")

    // A third Payments call is paused by the second watcher; then the policy is deleted (a commit),
    // and the apply that follows resumes it at once.
    #expect(
      try await sim.request("POST", "/sim/conversations", body: Self.call(4, queue: Self.payments)).0 == 200)
    #expect(
      try await sim.request("POST", "/sim/conversations", body: Self.agentJoins(4, agent: Self.agentA)).0
        == 200)
    #expect(
      try await SelectEndToEndTests.wait(10) { try await at(4, "recording paused") != nil },
      "\(second.stderr)")
    try FileManager.default.removeItem(at: card)
    let apply = try await CLI.run(
      ["apply", "--yes", "--state", state, policies.path], environment: sim.environment)
    #expect(apply.status == 0, "\(apply.stdout)\(apply.stderr)")
    #expect(
      apply.stdout.contains("resume recording (policy gone) in conversation cccccccc"), "\(apply.stdout)")
    #expect(try await SelectEndToEndTests.wait(5) { try await at(4, "recording resumed") != nil })
    let paused4 = try #require(try await at(4, "recording paused"))
    #expect(
      try #require(try await at(4, "recording resumed")) - paused4 < Self.window, "resumed before its window")
  }
}
