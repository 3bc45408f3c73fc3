import Foundation
import PartylineTestSupport
import Testing
import WireTime

/// `until` and `schedule` with the built binary against the emulator: a lease cut short by its
/// policy's end is reverted then, under `watch`, and nothing new is planned after it; `validate`
/// warns of an expired policy without failing.
@Suite struct CalendarEndToEndTests {
  /// An emulator with Queue A, `policy` (its calendar lines under `spec`) muting the customer of its
  /// calls for 30 minutes, and `watch` on events with no early reverts, connected; `body` gets the
  /// emulator, the watcher and when a customer was muted or unmuted.
  func watching(
    _ name: String, calendar: String,
    _ body: (
      SimProcess, _ policies: String, _ event: (String, String) async throws -> Double?
    ) async throws -> Void
  ) async throws {
    let w = try SelectEndToEndTests.eventWorld(name)
    defer { try? FileManager.default.removeItem(at: w.dir) }
    try """
    apiVersion: partyline/v1
    kind: ConversationPolicy
    metadata: {name: queue-a-greeting}
    spec:
      select: {queue: Queue A}
    \(calendar)
      mute: [{purpose: customer, for: 30m}]
    """.write(
      to: URL(fileURLWithPath: w.policies).appendingPathComponent("a.yaml"), atomically: true, encoding: .utf8
    )
    let sim = try SimProcess(["--patch-delay", "50ms", "--heartbeat", "1s"], fixture: w.fixture)
    defer { sim.stop() }
    let watch = try SelectEndToEndTests.Watch(
      [
        "watch", "--interval", "5m", "--revert-slack", "0s", "--state",
        w.dir.appendingPathComponent("state").path, w.policies,
      ], environment: sim.environment, dir: w.dir)
    defer { watch.terminate() }
    #expect(
      await SelectEndToEndTests.wait(15) {
        watch.stderr.contains("notifications: connected: full reconcile now")
      },
      "\(watch.stderr)")
    try await body(sim, w.policies) { customer, what in
      let h = try await SelectEndToEndTests.history(sim)
      return h.first { $0["participantId"] as? String == customer && $0["event"] as? String == what }
        .flatMap { ($0["requestedAt"] as? String).flatMap(Timestamp.parse) }
    }
  }

  @Test func watchEndsLeasesWhenTheirPolicyEndsAndMutesNothingAfter() async throws {
    let until = (Date().timeIntervalSince1970 + 12).rounded(.down)
    let calendar = "  until: \(Timestamp.iso8601(until, milliseconds: false))"
    try await watching("calendar", calendar: calendar) { sim, policies, event in
      let before = SelectEndToEndTests.call(
        1, queue: SelectEndToEndTests.queueA, agent: SelectEndToEndTests.agentA)
      _ = try await sim.request("POST", "/sim/conversations", body: before.json)
      #expect(
        try await SelectEndToEndTests.wait(10) { try await event(before.customer, "muted") != nil })
      // Reverted when the policy ends, not 30 minutes later.
      #expect(
        try await SelectEndToEndTests.wait(until - Date().timeIntervalSince1970 + 5) {
          try await event(before.customer, "unmuted") != nil
        })
      let unmuted = try #require(try await event(before.customer, "unmuted"))
      #expect(unmuted >= until - 0.05 && unmuted <= until + 1, "reverted \(unmuted - until) s after until")
      // A call of the queue after the policy ended: not muted.
      let after = SelectEndToEndTests.call(
        2, queue: SelectEndToEndTests.queueA, agent: SelectEndToEndTests.agentA)
      _ = try await sim.request("POST", "/sim/conversations", body: after.json)
      try await Task.sleep(nanoseconds: 2_000_000_000)
      #expect(try await event(after.customer, "muted") == nil)
      print(
        "until under watch: reverted \(String(format: "%.2f", unmuted - until)) s after the policy's until")

      // validate: an expired policy is a located warning, and the set stays valid.
      let validate = try await CLI.run(["validate", policies])
      #expect(validate.status == 0, "\(validate.stderr)")
      #expect(
        validate.stderr.contains("a.yaml:6:10: warning: policy 'queue-a-greeting' expired at"),
        "\(validate.stderr)")
      #expect(validate.stderr.contains("[policy_expired]"))
    }
  }

  /// A schedule's window closing at the next minute boundary (at least 15 s away): a 30-minute mute
  /// made inside it is reverted when the window closes, by `watch`, within a second.
  @Test func watchRevertsWhenTheScheduleWindowCloses() async throws {
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
    let calendar = """
        schedule:
          windows:
            - {days: [\(day)], from: "\(hhmm(open))", to: "\(hhmm(close))"}
      """
    try await watching("schedule", calendar: calendar) { sim, _, event in
      let call = SelectEndToEndTests.call(
        1, queue: SelectEndToEndTests.queueA, agent: SelectEndToEndTests.agentA)
      _ = try await sim.request("POST", "/sim/conversations", body: call.json)
      #expect(try await SelectEndToEndTests.wait(10) { try await event(call.customer, "muted") != nil })
      #expect(
        try await SelectEndToEndTests.wait(close - Date().timeIntervalSince1970 + 5) {
          try await event(call.customer, "unmuted") != nil
        })
      let unmuted = try #require(try await event(call.customer, "unmuted"))
      #expect(
        unmuted >= close - 0.05 && unmuted <= close + 1,
        "reverted \(unmuted - close) s after the window closed")
      print(
        "schedule under watch: reverted \(String(format: "%.2f", unmuted - close)) s after the window closed")
    }
  }
}
