import Foundation
import PartylineCore
import PartylineTestSupport
import Testing
import WireTime

/// Select policies, `partyline calls` and watch on Notifications API events, against the emulator over
/// real sockets and the built binary.
@Suite(.serialized) struct SelectEndToEndTests {

  // MARK: partyline calls

  @Test func callsListsTheDemoCallsWithGoldenOutput() async throws {
    let sim = try SimProcess()
    defer { sim.stop() }
    let text = try await CLI.run(["calls"], environment: sim.environment)
    #expect(text.status == 0, "\(text.stderr)")
    try assertGolden(normalise(Self.stableIds(text.stdout)), "calls-demo.txt")
    let json = try await CLI.run(
      ["calls", "--format", "json", "--queue", "Escalations"], environment: sim.environment)
    #expect(json.status == 0, "\(json.stderr)")
    try assertGolden(normalise(Self.stableIds(json.stdout)), "calls-escalations.json")
    let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
    let calls = object?["calls"] as? [[String: Any]] ?? []
    #expect(
      Set(calls.compactMap { $0["id"] as? String })
        == [Demo.Call.escalationAnswered, Demo.Call.escalationWaiting])
    // A user's calls, by email.
    let quinn = try await CLI.run(["calls", "--user", "quinn@example.com"], environment: sim.environment)
    #expect(
      quinn.stdout.contains(Demo.Call.escalationAnswered)
        && quinn.stdout.hasSuffix("1 live call.\n"))
    // An unknown queue is an error that says so, exit 1.
    let unknown = try await CLI.run(["calls", "--queue", "Escalation"], environment: sim.environment)
    #expect(unknown.status == 1)
    #expect(
      unknown.stderr.contains(
        "error: queue 'Escalation' was not found; queues whose names start so: 'Escalations'"),
      "\(unknown.stderr)")
    let bad = try await CLI.run(["calls", "--user", "not an email"], environment: sim.environment)
    #expect(bad.status == 1 && bad.stderr.contains("invalid --user"), "\(bad.stderr)")
  }

  /// Participant ids in the demo are generated per run (the emulator's seed): golden files name them
  /// by position.
  static func stableIds(_ s: String) -> String {
    let known: Set<String> = [
      Demo.Call.escalationAnswered, Demo.Call.escalationWaiting,
      Demo.Call.sales, Demo.Call.noisy,
      Demo.Call.warRoom, Demo.Call.coaching,
      Demo.Participant.trainee, Demo.Queue.escalations, Demo.User.quinn,
    ]
    let regex = try! NSRegularExpression(
      pattern: "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
    var out = s
    var names: [String: String] = [:]
    for m in regex.matches(in: s, range: NSRange(s.startIndex..., in: s)).reversed() {
      let r = Range(m.range, in: s)!
      let id = String(s[r])
      if known.contains(id) { continue }
      let name = names[id] ?? "<id>"
      names[id] = name
      out.replaceSubrange(Range(m.range, in: out)!, with: name)
    }
    return out
  }

  // MARK: plan with select

  @Test func planFindsTheQueuesCallsAndNamesUnknownQueues() async throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("partyline-select-\(getpid())")
    try? FileManager.default.removeItem(at: dir)
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let sim = try SimProcess()
    defer { sim.stop() }
    try """
    apiVersion: partyline/v1
    kind: ConversationPolicy
    metadata: {name: sales-typo}
    spec:
      select: {queue: Sale}
      mute: [{purpose: customer, for: 20s}]
    """.write(to: dir.appendingPathComponent("typo.yaml"), atomically: true, encoding: .utf8)
    let r = try await CLI.run(["plan", dir.path], environment: sim.environment)
    #expect(r.status == 1)
    #expect(
      r.stderr.contains(
        "typo.yaml:5:19: error: queue 'Sale' was not found; queues whose names start so: 'Sales' [queue_not_found]"
      ),
      "\(r.stderr)")
  }

  // MARK: watch on events

  /// A world with two queues, two agents and no calls yet; one select policy on queue A.
  static func eventWorld(_ name: String) throws -> (dir: URL, fixture: String, policies: String) {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("partyline-\(name)-\(getpid())")
    try? FileManager.default.removeItem(at: dir)
    try FileManager.default.createDirectory(
      at: dir.appendingPathComponent("policies"), withIntermediateDirectories: true)
    try """
    clients:
      - id: partyline-demo
        secret: partyline-demo-secret
        permissions: ["*"]
    users:
      - {id: \(agentA), name: Agent A, email: a@example.com}
      - {id: \(agentB), name: Agent B, email: b@example.com}
    queues:
      - {id: \(queueA), name: Queue A}
      - {id: \(queueB), name: Queue B}
    conversations: []
    """.write(to: dir.appendingPathComponent("org.yaml"), atomically: true, encoding: .utf8)
    try """
    apiVersion: partyline/v1
    kind: ConversationPolicy
    metadata: {name: queue-a-greeting}
    spec:
      select: {queue: Queue A}
      mute: [{purpose: customer, for: 3s, reason: greeting}]
    """.write(to: dir.appendingPathComponent("policies/a.yaml"), atomically: true, encoding: .utf8)
    return (dir, dir.appendingPathComponent("org.yaml").path, dir.appendingPathComponent("policies").path)
  }

  static let agentA = "aaaaaaaa-0000-4000-8000-000000000001"
  static let agentB = "aaaaaaaa-0000-4000-8000-000000000002"
  static let queueA = "bbbbbbbb-0000-4000-8000-000000000001"
  static let queueB = "bbbbbbbb-0000-4000-8000-000000000002"

  static func call(_ n: Int, queue: String, agent: String) -> (id: String, customer: String, json: String) {
    let id = String(format: "cccccccc-0000-4000-8000-%012x", n)
    let customer = String(format: "dddddddd-0000-4000-8000-%012x", n)
    let agentLeg = String(format: "eeeeeeee-0000-4000-8000-%012x", n)
    return (
      id, customer,
      #"{"conversations":[{"id":"\#(id)","queue":"\#(queue)","direction":"inbound","participants":[{"id":"\#(customer)","purpose":"customer","state":"connected","address":"+4930\#(100000 + n)"},{"id":"\#(agentLeg)","purpose":"agent","state":"connected","user":"\#(agent)"}]}]}"#
    )
  }

  final class Watch: @unchecked Sendable {
    let process = Process()
    let err: URL
    /// `partyline arguments…`, or with a `wrapper` (`nsenter -t PID -n --`, say) the wrapper running it.
    init(
      _ arguments: [String], environment: [String: String], dir: URL, wrapper: [String] = [],
      name: String = "watch", cwd: URL? = nil
    )
      throws
    {
      if let first = wrapper.first {
        process.executableURL = URL(fileURLWithPath: first)
        process.arguments = wrapper.dropFirst() + [CLI.binary.path] + arguments
      } else {
        process.executableURL = CLI.binary
        process.arguments = arguments
      }
      var env = ProcessInfo.processInfo.environment
      env["NO_COLOR"] = "1"
      for (k, v) in environment { env[k] = v }
      process.environment = env
      if let cwd { process.currentDirectoryURL = cwd }
      err = dir.appendingPathComponent("\(name).err")
      _ = FileManager.default.createFile(atPath: err.path, contents: nil)
      process.standardOutput = FileHandle.nullDevice
      process.standardError = try FileHandle(forWritingTo: err)
      try process.run()
    }
    var stderr: String { (try? String(contentsOf: err, encoding: .utf8)) ?? "" }
    /// SIGTERM without waiting, for a `defer`: the test is over, and its emulator stops next.
    func terminate() { if process.isRunning { process.terminate() } }

    func stop() async -> Double {
      let t = Date()
      process.terminate()
      await process.exited(killAfter: 10)
      return Date().timeIntervalSince(t)
    }
  }

  static func history(_ sim: SimProcess) async throws -> [[String: Any]] {
    let (_, data) = try await sim.request("GET", "/sim/history")
    return (try JSONSerialization.jsonObject(with: data) as? [String: Any])?["events"] as? [[String: Any]]
      ?? []
  }

  static func wait(_ timeout: Double, _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
      if try await condition() { return true }
      try? await Task.sleep(nanoseconds: 50_000_000)
    }
    return try await condition()
  }

  @Test func watchActsOnNewCallsOfTheQueueWithinASecondOfTheirEventsAndIsIdleOtherwise() async throws {
    let w = try Self.eventWorld("events")
    defer { try? FileManager.default.removeItem(at: w.dir) }
    let sim = try SimProcess(["--patch-delay", "50ms", "--heartbeat", "1s"], fixture: w.fixture)
    defer { sim.stop() }
    let state = w.dir.appendingPathComponent("state").path
    let watch = try Watch(
      ["watch", "--interval", "5m", "--event-silence", "5s", "--state", state, w.policies],
      environment: sim.environment, dir: w.dir)
    defer { watch.terminate() }
    #expect(
      await Self.wait(15) { watch.stderr.contains("notifications: connected: full reconcile now") },
      "\(watch.stderr)")
    try await Task.sleep(nanoseconds: 1_000_000_000)  // the reconcile after connecting is done

    // Calls start in both queues while watch runs.
    var started: [String: Double] = [:]
    var inA: [(id: String, customer: String)] = []
    var inB: [(id: String, customer: String)] = []
    for n in 0..<6 {
      let c = Self.call(
        n, queue: n % 2 == 0 ? Self.queueA : Self.queueB, agent: n % 2 == 0 ? Self.agentA : Self.agentB)
      started[c.customer] = Date().timeIntervalSince1970
      let (status, body) = try await sim.request("POST", "/sim/conversations", body: c.json)
      #expect(status == 200, "\(String(decoding: body, as: UTF8.self))")
      if n % 2 == 0 { inA.append((c.id, c.customer)) } else { inB.append((c.id, c.customer)) }
      try await Task.sleep(nanoseconds: 300_000_000)
    }
    // Each call of queue A is muted within 2 s of its start, those of queue B never.
    #expect(
      try await Self.wait(10) {
        let h = try await Self.history(sim)
        return inA.allSatisfy { c in
          h.contains { $0["participantId"] as? String == c.customer && $0["event"] as? String == "muted" }
        }
      }, "\(watch.stderr.suffix(1500))")
    let h = try await Self.history(sim)
    var worstStart = 0.0
    for c in inA {
      let muted = try #require(
        h.first { $0["participantId"] as? String == c.customer && $0["event"] as? String == "muted" })
      let at = try #require((muted["requestedAt"] as? String).flatMap(Timestamp.parse))
      worstStart = max(worstStart, at - started[c.customer]!)
    }
    #expect(worstStart <= 2, "a call of queue A was acted on \(worstStart) s after it started")
    #expect(
      !h.contains { e in
        inB.contains { $0.customer == e["participantId"] as? String } && e["event"] as? String == "muted"
      })

    // Reverts on time (the 3 s leases), from the journal's lease ends.
    #expect(
      try await Self.wait(10) {
        let h = try await Self.history(sim)
        return inA.allSatisfy { c in
          h.contains { $0["participantId"] as? String == c.customer && $0["event"] as? String == "unmuted" }
        }
      }, "\(watch.stderr.suffix(1500))")
    let records = try JournalAudit.local(state)
    var worstRevert = 0.0
    let after = try await Self.history(sim)
    for r in records.of(.intent, .mute) {
      let p = try #require(r.participant)
      let end = try #require(r.leaseEnds)
      let unmuted = try #require(
        after.first { $0["participantId"] as? String == p && $0["event"] as? String == "unmuted" })
      worstRevert = max(
        worstRevert, try #require((unmuted["requestedAt"] as? String).flatMap(Timestamp.parse)) - end)
    }
    #expect(worstRevert <= 1, "worst revert \(worstRevert) s late")
    #expect(records.of(.intent, .mute).count == inA.count, "one mute per call")

    // Reads per call: the event is the read and confirms the mute; only the on-time revert reads the
    // call (and confirms by reading once more).
    let log = try await sim.log()
    let reads = inA.map { c in log.filter { $0.0 == "GET" && $0.1.contains(c.id) }.count }
    #expect(reads.allSatisfy { $0 <= 3 }, "reads of each queue-A call: \(reads)")
    let patches = inA.map { c in log.filter { $0.0 == "PATCH" && $0.1.contains(c.id) }.count }
    #expect(patches.allSatisfy { $0 == 2 }, "one mute and one revert per call: \(patches)")

    // Nothing changes for 10 s: watch sends (almost) nothing — events cost nothing.
    try await Task.sleep(nanoseconds: 1_000_000_000)
    let before = try await sim.log().filter { $0.1.hasPrefix("/api/") }.count
    try await Task.sleep(nanoseconds: 10_000_000_000)
    let idle = try await sim.log().filter { $0.1.hasPrefix("/api/") }.count - before
    #expect(
      idle <= 2, "watch sent \(idle) requests in 10 s of quiet with \(inA.count + inB.count) live calls")

    // A dropped socket: watch reconnects, reconciles at once, and does nothing twice.
    let (status, _) = try await sim.request("POST", "/sim/notifications/drop")
    #expect(status == 200)
    #expect(
      await Self.wait(15) { watch.stderr.components(separatedBy: "notifications: connected").count >= 3 },
      "\(watch.stderr.suffix(1500))")
    // A socket-closing notice: the same.
    _ = try await sim.request("POST", "/sim/notifications/socket-closing")
    #expect(
      await Self.wait(15) { watch.stderr.contains("socket is closing") }, "\(watch.stderr.suffix(1500))")
    #expect(
      await Self.wait(15) { watch.stderr.components(separatedBy: "notifications: connected").count >= 4 },
      "\(watch.stderr.suffix(1500))")
    try await Task.sleep(nanoseconds: 1_500_000_000)
    let final = try JournalAudit.local(state)
    #expect(final.of(.intent, .mute).count == inA.count, "nothing done twice after the gaps")
    let took = await watch.stop()
    #expect(took < 5, "watch took \(took) s to stop")
    print(
      "watch on events: reads per call \(reads), \(inA.count) calls acted on, worst \(String(format: "%.2f", worstStart)) s after start, worst revert \(String(format: "%.2f", worstRevert)) s late, \(idle) requests in 10 s idle with \(inA.count + inB.count) calls"
    )
  }

  /// An observer added to a selected call rings first; its connect arrives as an event and it is
  /// muted then, not at the next full reconcile.
  @Test func anAddedObserverIsMutedAsSoonAsItConnects() async throws {
    let w = try Self.eventWorld("observer")
    defer { try? FileManager.default.removeItem(at: w.dir) }
    try """
    apiVersion: partyline/v1
    kind: ConversationPolicy
    metadata: {name: queue-a-monitoring}
    spec:
      select: {queue: Queue A}
      add: [{user: b@example.com, role: observer}]
    ---
    apiVersion: partyline/v1
    kind: Limits
    spec:
      roles: {agent: {}, observer: {muted: true}}
    """.write(toFile: w.policies + "/a.yaml", atomically: true, encoding: .utf8)
    let sim = try SimProcess(["--patch-delay", "50ms", "--connect-delay", "1500ms"], fixture: w.fixture)
    defer { sim.stop() }
    let state = w.dir.appendingPathComponent("state").path
    let watch = try Watch(
      ["watch", "--interval", "5m", "--state", state, w.policies], environment: sim.environment, dir: w.dir)
    defer { watch.terminate() }
    #expect(await Self.wait(15) { watch.stderr.contains("notifications: connected") }, "\(watch.stderr)")
    try await Task.sleep(nanoseconds: 1_000_000_000)
    let c = Self.call(1, queue: Self.queueA, agent: Self.agentA)
    let (status, _) = try await sim.request("POST", "/sim/conversations", body: c.json)
    #expect(status == 200)
    func observerEvents() async throws -> [[String: Any]] {
      try await Self.history(sim).filter {
        $0["conversationId"] as? String == c.id && $0["userId"] as? String == Self.agentB
      }
    }
    let seen = try await Self.wait(10) {
      try await observerEvents().contains { $0["event"] as? String == "muted" }
    }
    let sofar = try await observerEvents()
    #expect(seen, "\(sofar) \(watch.stderr.suffix(1500))")
    let events = try await observerEvents()
    let connected = try #require(events.first { $0["event"] as? String == "connected" })
    let muted = try #require(events.first { $0["event"] as? String == "muted" })
    let delay =
      try #require((muted["requestedAt"] as? String).flatMap(Timestamp.parse))
      - (try #require((connected["time"] as? String).flatMap(Timestamp.parse)))
    #expect(delay <= 1, "muted \(delay) s after it connected")
  }

  /// Lost events have no signal: the full reconcile is the safety net, and it finds the call the
  /// events missed, with nothing done twice when the events come back.
  @Test func lostEventsAreCaughtByTheFullReconcile() async throws {
    let w = try Self.eventWorld("lost")
    defer { try? FileManager.default.removeItem(at: w.dir) }
    let sim = try SimProcess(["--patch-delay", "50ms", "--heartbeat", "1s"], fixture: w.fixture)
    defer { sim.stop() }
    let state = w.dir.appendingPathComponent("state").path
    let watch = try Watch(
      ["watch", "--interval", "4s", "--state", state, w.policies], environment: sim.environment, dir: w.dir)
    defer { watch.terminate() }
    #expect(await Self.wait(15) { watch.stderr.contains("notifications: connected") }, "\(watch.stderr)")
    try await Task.sleep(nanoseconds: 1_000_000_000)
    var (status, _) = try await sim.request(
      "POST", "/sim/faults", body: #"{"faults":[],"events":{"dropShare":1}}"#)
    #expect(status == 200)
    let c = Self.call(1, queue: Self.queueA, agent: Self.agentA)
    let started = Date().timeIntervalSince1970
    (status, _) = try await sim.request("POST", "/sim/conversations", body: c.json)
    #expect(status == 200)
    #expect(
      try await Self.wait(12) {
        try await Self.history(sim).contains {
          $0["participantId"] as? String == c.customer && $0["event"] as? String == "muted"
        }
      }, "\(watch.stderr.suffix(1500))")
    let muted = try #require(
      try await Self.history(sim).first {
        $0["participantId"] as? String == c.customer && $0["event"] as? String == "muted"
      })
    let after = try #require((muted["requestedAt"] as? String).flatMap(Timestamp.parse)) - started
    #expect(after <= 6, "found by the next full reconcile (every 4 s), \(after) s after the call started")
    // The events come back; the next changes of the call (the revert) arrive as events; the mute is
    // not sent again.
    (status, _) = try await sim.request(
      "POST", "/sim/faults", body: #"{"faults":[],"events":{"dropShare":0}}"#)
    try await Task.sleep(nanoseconds: 6_000_000_000)
    #expect(try JournalAudit.local(state).of(.intent, .mute).count == 1)
    #expect(
      try await Self.history(sim).contains {
        $0["participantId"] as? String == c.customer && $0["event"] as? String == "unmuted"
      })
  }

  @Test func rejectedTopicsAreReportedWithTheMissingPermissions() async throws {
    let w = try Self.eventWorld("rejected")
    defer { try? FileManager.default.removeItem(at: w.dir) }
    // Queue topics want routing:queue:view, which this client lacks (the policy names its queue by
    // id, so nothing else needs it).
    var fixture = try String(contentsOfFile: w.fixture, encoding: .utf8)
    fixture = fixture.replacingOccurrences(
      of: #"permissions: ["*"]"#,
      with:
        #"permissions: ["conversation:communication:view", "conversation:participant:wrapup", "directory:user:view", "analytics:queueObservation:view"]"#
    )
    try fixture.write(toFile: w.fixture, atomically: true, encoding: .utf8)
    try """
    apiVersion: partyline/v1
    kind: ConversationPolicy
    metadata: {name: queue-a-greeting}
    spec:
      select: {queue: \(Self.queueA)}
      mute: [{purpose: customer, for: 3s, reason: greeting}]
    """.write(toFile: w.policies + "/a.yaml", atomically: true, encoding: .utf8)
    let sim = try SimProcess([], fixture: w.fixture)
    defer { sim.stop() }
    let watch = try Watch(
      ["watch", "--state", w.dir.appendingPathComponent("state").path, w.policies],
      environment: sim.environment, dir: w.dir)
    defer { watch.terminate() }
    #expect(
      await Self.wait(15) { watch.stderr.contains("topics rejected") }, "\(watch.stderr.suffix(1500))")
    #expect(watch.stderr.contains("missing permissions: routing:queue:view"), "\(watch.stderr.suffix(800))")
    #expect(watch.stderr.contains("polled every minute"), "\(watch.stderr.suffix(800))")
  }
}
