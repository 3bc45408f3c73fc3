import Foundation
import PartylineTestSupport
import Testing
import WireTime

/// `until` and `schedule` with the built binary against the emulator: a lease cut short by its
/// policy's end is reverted then, under `watch`, and nothing new is planned after it; `validate`
/// warns of an expired policy without failing.
@Suite struct CalendarEndToEndTests {
  @Test func watchEndsLeasesWhenTheirPolicyEndsAndMutesNothingAfter() async throws {
    let w = try SelectEndToEndTests.eventWorld("calendar")
    defer { try? FileManager.default.removeItem(at: w.dir) }
    let until = (Date().timeIntervalSince1970 + 12).rounded(.down)
    try """
    apiVersion: partyline/v1
    kind: ConversationPolicy
    metadata: {name: queue-a-greeting}
    spec:
      select: {queue: Queue A}
      until: \(Timestamp.iso8601(until, milliseconds: false))
      mute: [{purpose: customer, for: 30m, reason: until the bridge closes}]
    """.write(
      to: URL(fileURLWithPath: w.policies).appendingPathComponent("a.yaml"), atomically: true, encoding: .utf8
    )
    let sim = try SimProcess(["--patch-delay", "50ms", "--heartbeat", "1s"], fixture: w.fixture)
    defer { sim.stop() }
    let state = w.dir.appendingPathComponent("state").path
    let watch = try SelectEndToEndTests.Watch(
      ["watch", "--interval", "5m", "--revert-slack", "0s", "--state", state, w.policies],
      environment: sim.environment, dir: w.dir)
    defer { watch.terminate() }
    #expect(
      await SelectEndToEndTests.wait(15) {
        watch.stderr.contains("notifications: connected: full reconcile now")
      },
      "\(watch.stderr)")
    let before = SelectEndToEndTests.call(
      1, queue: SelectEndToEndTests.queueA, agent: SelectEndToEndTests.agentA)
    _ = try await sim.request("POST", "/sim/conversations", body: before.json)
    func event(_ customer: String, _ what: String) async throws -> Double? {
      let h = try await SelectEndToEndTests.history(sim)
      return h.first { $0["participantId"] as? String == customer && $0["event"] as? String == what }
        .flatMap { ($0["requestedAt"] as? String).flatMap(Timestamp.parse) }
    }
    #expect(
      try await SelectEndToEndTests.wait(10) { try await event(before.customer, "muted") != nil },
      "\(watch.stderr.suffix(1500))")
    // Reverted when the policy ends, not 30 minutes later.
    #expect(
      try await SelectEndToEndTests.wait(until - Date().timeIntervalSince1970 + 5) {
        try await event(before.customer, "unmuted") != nil
      }, "\(watch.stderr.suffix(1500))")
    let unmuted = try #require(try await event(before.customer, "unmuted"))
    #expect(unmuted >= until - 0.05 && unmuted <= until + 1, "reverted \(unmuted - until) s after until")
    // A call of the queue after the policy ended: not muted.
    let after = SelectEndToEndTests.call(
      2, queue: SelectEndToEndTests.queueA, agent: SelectEndToEndTests.agentA)
    _ = try await sim.request("POST", "/sim/conversations", body: after.json)
    try await Task.sleep(nanoseconds: 2_000_000_000)
    #expect(try await event(after.customer, "muted") == nil, "\(watch.stderr.suffix(1500))")
    print("until under watch: reverted \(String(format: "%.2f", unmuted - until)) s after the policy's until")

    // validate: an expired policy is a located warning, and the set stays valid.
    let validate = try await CLI.run(["validate", w.policies])
    #expect(validate.status == 0, "\(validate.stderr)")
    #expect(
      validate.stderr.contains("a.yaml:6:10: warning: policy 'queue-a-greeting' expired at"),
      "\(validate.stderr)")
    #expect(validate.stderr.contains("[policy_expired]"))
  }

  /// A schedule's window closing at the next minute boundary (at least 15 s away): a 30-minute mute
  /// made inside it is reverted when the window closes, by `watch`, within a second.
  @Test func watchRevertsWhenTheScheduleWindowCloses() async throws {
    let w = try SelectEndToEndTests.eventWorld("schedule")
    defer { try? FileManager.default.removeItem(at: w.dir) }
    let close = ((Date().timeIntervalSince1970 + 15) / 60).rounded(.up) * 60
    let open = close - 3600
    var utc = Calendar(identifier: .gregorian)
    utc.timeZone = TimeZone(identifier: "UTC")!
    func hhmm(_ t: Double) -> String {
      let c = utc.dateComponents([.hour, .minute], from: Date(timeIntervalSince1970: t))
      return String(format: "%02d:%02d", c.hour!, c.minute!)
    }
    let day = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"][
      utc.component(.weekday, from: Date(timeIntervalSince1970: open)) - 1]
    try """
    apiVersion: partyline/v1
    kind: ConversationPolicy
    metadata: {name: queue-a-greeting}
    spec:
      select: {queue: Queue A}
      schedule:
        windows:
          - {days: [\(day)], from: "\(hhmm(open))", to: "\(hhmm(close))"}
      mute: [{purpose: customer, for: 30m}]
    """.write(
      to: URL(fileURLWithPath: w.policies).appendingPathComponent("a.yaml"), atomically: true, encoding: .utf8
    )
    let sim = try SimProcess(["--patch-delay", "50ms", "--heartbeat", "1s"], fixture: w.fixture)
    defer { sim.stop() }
    let watch = try SelectEndToEndTests.Watch(
      [
        "watch", "--interval", "5m", "--revert-slack", "0s", "--state",
        w.dir.appendingPathComponent("state").path,
        w.policies,
      ], environment: sim.environment, dir: w.dir)
    defer { watch.terminate() }
    #expect(
      await SelectEndToEndTests.wait(15) {
        watch.stderr.contains("notifications: connected: full reconcile now")
      },
      "\(watch.stderr)")
    let call = SelectEndToEndTests.call(
      1, queue: SelectEndToEndTests.queueA, agent: SelectEndToEndTests.agentA)
    _ = try await sim.request("POST", "/sim/conversations", body: call.json)
    func event(_ what: String) async throws -> Double? {
      let h = try await SelectEndToEndTests.history(sim)
      return h.first { $0["participantId"] as? String == call.customer && $0["event"] as? String == what }
        .flatMap { ($0["requestedAt"] as? String).flatMap(Timestamp.parse) }
    }
    #expect(
      try await SelectEndToEndTests.wait(10) { try await event("muted") != nil },
      "\(watch.stderr.suffix(1500))")
    #expect(
      try await SelectEndToEndTests.wait(close - Date().timeIntervalSince1970 + 5) {
        try await event("unmuted") != nil
      },
      "\(watch.stderr.suffix(1500))")
    let unmuted = try #require(try await event("unmuted"))
    #expect(
      unmuted >= close - 0.05 && unmuted <= close + 1, "reverted \(unmuted - close) s after the window closed"
    )
    print(
      "schedule under watch: reverted \(String(format: "%.2f", unmuted - close)) s after the window closed")
  }
}
