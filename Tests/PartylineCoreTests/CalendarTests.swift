import Foundation
import PartylineCore
import PartylineTestSupport
import Testing
import WireTime
import YAMLReader

/// `spec.until` and `spec.schedule`: one predicate (`PolicyCalendar.activity`) on the clock it is given.
@Suite struct CalendarTests {
  static func at(_ s: String) -> Double { Timestamp.parseRFC3339(s)! }

  static func policy(_ calendar: String, spec: String = "  mute:\n    - purpose: customer\n      for: 30m\n")
    -> String
  {
    "apiVersion: partyline/v1\nkind: ConversationPolicy\nmetadata: {name: p1}\nspec:\n  conversation: \(World.conv)\n"
      + calendar + spec
  }

  static func set(_ calendar: String, spec: String = "  mute:\n    - purpose: customer\n      for: 30m\n")
    throws
    -> PolicySet
  {
    let result = compile([(name: "p.yaml", text: policy(calendar, spec: spec))])
    #expect(result.diagnostics.filter { $0.severity == .error }.isEmpty, "\(result.diagnostics)")
    return try #require(result.policySet)
  }

  static let businessHours = """
      schedule:
        timeZone: Europe/Berlin
        windows:
          - days: [mon, tue, wed, thu, fri]
            from: "09:00"
            to: "17:30"

    """

  /// Office hours in Berlin across the change to summer time (29 March 2026): 09:00 local is 08:00Z
  /// before it and 07:00Z after it.
  @Test func aWindowFollowsItsTimeZoneAcrossADSTChange() throws {
    let p = try #require(try Self.set(Self.businessHours).policies.first)
    // Friday before the change (CET, UTC+1).
    #expect(
      p.activity(at: Self.at("2026-03-27T07:59:59Z")) == .outside(nextStart: Self.at("2026-03-27T08:00:00Z")))
    #expect(
      p.activity(at: Self.at("2026-03-27T08:00:00Z")) == .active(closesAt: Self.at("2026-03-27T16:30:00Z")))
    // The weekend: the next window is Monday, after the change (CEST, UTC+2).
    #expect(
      p.activity(at: Self.at("2026-03-28T12:00:00Z")) == .outside(nextStart: Self.at("2026-03-30T07:00:00Z")))
    #expect(
      p.activity(at: Self.at("2026-03-30T07:00:00Z")) == .active(closesAt: Self.at("2026-03-30T15:30:00Z")))
    #expect(
      p.activity(at: Self.at("2026-03-30T15:30:00Z")) == .outside(nextStart: Self.at("2026-03-31T07:00:00Z")))
    // And back in October (25 October 2026).
    #expect(
      p.activity(at: Self.at("2026-10-23T07:00:00Z")) == .active(closesAt: Self.at("2026-10-23T15:30:00Z")))
    #expect(
      p.activity(at: Self.at("2026-10-26T08:00:00Z")) == .active(closesAt: Self.at("2026-10-26T16:30:00Z")))
  }

  /// A window past midnight belongs to the day it starts on: Friday 22:00 to Saturday 02:00 (UTC).
  @Test func aWindowPastMidnightRunsIntoTheNextDay() throws {
    let p = try #require(
      try Self.set("  schedule:\n    windows:\n      - {days: [fri], from: \"22:00\", to: \"02:00\"}\n")
        .policies.first)
    #expect(
      p.activity(at: Self.at("2027-01-15T21:59:00Z")) == .outside(nextStart: Self.at("2027-01-15T22:00:00Z")))
    #expect(
      p.activity(at: Self.at("2027-01-16T01:00:00Z")) == .active(closesAt: Self.at("2027-01-16T02:00:00Z")))
    #expect(
      p.activity(at: Self.at("2027-01-16T02:00:00Z")) == .outside(nextStart: Self.at("2027-01-22T22:00:00Z")))
    // Thursday night is not Friday's window.
    #expect(
      p.activity(at: Self.at("2027-01-15T01:00:00Z")) == .outside(nextStart: Self.at("2027-01-15T22:00:00Z")))
  }

  /// `until` ends the policy; inside a window, the earlier of the two closes its leases.
  @Test func untilEndsThePolicyAndCapsItsWindow() throws {
    let p = try #require(try Self.set("  until: 2027-01-15T09:00:00+01:00\n").policies.first)
    #expect(
      p.activity(at: Self.at("2027-01-15T07:00:00Z")) == .active(closesAt: Self.at("2027-01-15T08:00:00Z")))
    #expect(p.activity(at: Self.at("2027-01-15T08:00:00Z")) == .expired(at: Self.at("2027-01-15T08:00:00Z")))
    let both = try #require(
      try Self.set("  until: 2027-01-15T12:00:00Z\n" + Self.businessHours).policies.first)
    #expect(
      both.activity(at: Self.at("2027-01-15T11:00:00Z")) == .active(closesAt: Self.at("2027-01-15T12:00:00Z"))
    )
  }

  @Test func badCalendarsAreLocatedErrors() {
    let result = compile([
      (
        name: "p.yaml",
        text: Self.policy(
          """
            until: 2027-01-15T09:00:00
            schedule:
              timeZone: Europe/Berln
              windows:
                - {days: [mon, fir], from: "9:00", to: "17:30"}
                - {days: [sat], from: "10:00", to: "10:00"}

          """)
      )
    ])
    let got = result.diagnostics.map { "\($0.id) \($0.range.start.line):\($0.range.start.column)" }
    #expect(
      got == [
        "invalid_value 6:10", "invalid_value 8:15", "invalid_value 10:22", "invalid_value 10:34",
        "invalid_value 11:42",
      ], "\(result.diagnostics.map(\.message))")
    #expect(result.diagnostics[1].message.contains("did you mean 'Europe/Berlin'?"))
    #expect(result.diagnostics[2].message.contains("did you mean 'fri'?"))
  }

  /// Inside its window a mute's lease ends when the window closes; outside it nothing new is planned
  /// and the plan says when the next window starts; past `until` it is a warning.
  @Test func thePlannerKeepsToTheCalendar() throws {
    let live = World.live([World.customer, World.agentAda])
    let set = try Self.set(Self.businessHours)
    // Friday 17:10 in Berlin: twenty minutes of window left.
    let inside = Planner().plan(set, live: live, leases: [], now: Self.at("2027-01-15T16:10:00Z"))
    let mute = try #require(inside.changes.first { $0.action == .mute })
    #expect(mute.dueAt == Self.at("2027-01-15T16:30:00Z"))
    #expect(mute.duration?.seconds == 1200)
    #expect(mute.explanation.contains("when the policy's schedule window ends"))
    let outside = Planner().plan(set, live: live, leases: [], now: Self.at("2027-01-15T16:30:00Z"))
    #expect(outside.changes.isEmpty)
    #expect(
      outside.findings.map { "\($0.severity.rawValue) \($0.id) \($0.message)" } == [
        "note outside_schedule policy 'p1' is outside its schedule: it plans nothing new; its next window starts 2027-01-18T08:00:00Z"
      ])
    let expired = try Self.set("  until: 2027-01-01T00:00:00Z\n")
    let late = Planner().plan(expired, live: live, leases: [], now: Self.at("2027-01-15T16:10:00Z"))
    #expect(late.changes.isEmpty)
    #expect(late.findings.map(\.id) == ["policy_expired"])
    #expect(expired.expired(at: Self.at("2027-01-15T16:10:00Z")).map(\.id) == ["policy_expired"])
    #expect(expired.expired(at: Self.at("2026-12-31T00:00:00Z")).isEmpty)
  }

  /// A lease opened under an older calendar (its until moved earlier since) is reverted once the
  /// policy's window has closed, before its own end.
  @Test func aLeaseOfAPolicyOutsideItsWindowIsRevertedNow() throws {
    var customer = World.customer
    customer.muted = true
    let live = World.live([customer, World.agentAda])
    let set = try Self.set("  until: 2027-01-15T16:00:00Z\n")
    let digest = try #require(set.policies.first?.mute.first?.digest)
    let lease = Lease(
      workspace: "default", policy: "p1", directive: digest, conversation: World.conv,
      participant: World.customerP, startedAt: Self.at("2027-01-15T15:50:00Z"),
      endsAt: Self.at("2027-01-15T16:20:00Z"), status: .open)
    let plan = Planner().plan(set, live: live, leases: [lease], now: Self.at("2027-01-15T16:05:00Z"))
    #expect(plan.changes.map(\.action) == [.revert])
    #expect(plan.changes.first?.explanation == "policy 'p1' is outside its window: the lease ends now")
  }
}

/// The watcher keeps the calendar on time: a lease cut short by its window's end is reverted when the
/// window closes, and a window that opens between two full reconciles is acted on when it opens.
@Suite struct CalendarWatchTests {
  func watch(_ calendar: String, _ body: (ManualClock, ServedCalls, MemoryJournal) async throws -> Void)
    async throws
  {
    let clock = ManualClock(now: Runtime.t0)  // Friday 2027-01-15 08:00:00Z
    let files = [(name: "p.yaml", text: CalendarTests.policy(calendar))]
    let set = try #require(compile(files).policySet)
    let calls = ServedCalls(World.live([World.customer, World.agentAda]), clock: clock)
    let journal = MemoryJournal()
    let watcher = Runtime.watcher(files, clock, calls, journal)
    let signal = RunSignal()
    let run = Task { await watcher.run(set, signal: signal) }
    try await body(clock, calls, journal)
    signal.stop()
    try await clock.run { await run.value }
  }

  @Test func aLeaseCutShortByItsWindowIsRevertedWhenTheWindowCloses() async throws {
    // The window closes at 08:01:00Z; the mute asks for 30 minutes.
    try await watch("  schedule:\n    windows:\n      - {days: [fri], from: \"07:00\", to: \"08:01\"}\n") {
      clock, calls, journal in
      #expect(await ManualClock.eventually { calls.calls.contains { $0.what == "mute" } })
      let lease = try #require(JournalState(journal.records, workspace: "default").leases.first)
      #expect(lease.endsAt == Runtime.t0 + 60, "the lease ends with the window")
      while clock.now() < lease.endsAt { await clock.step(limit: lease.endsAt) }
      #expect(await ManualClock.eventually { calls.calls.contains { $0.what == "unmute" } }, "\(calls.calls)")
      #expect(calls.calls.filter { $0.what == "unmute" }.map(\.at) == [Runtime.t0 + 60])
    }
  }

  @Test func aWindowThatOpensBetweenFullReconcilesIsActedOnWhenItOpens() async throws {
    // The window opens at 08:02:00Z; full reconciles come every 5 minutes (08:00, 08:05).
    try await watch("  schedule:\n    windows:\n      - {days: [fri], from: \"08:02\", to: \"09:00\"}\n") {
      clock, calls, _ in
      #expect(await ManualClock.eventually { clock.sleeping.count >= 2 })
      #expect(!calls.calls.contains { $0.what == "mute" }, "not before the window opens")
      let opens = Runtime.t0 + 120
      while clock.now() < opens + 1 { await clock.step(limit: opens + 1) }
      #expect(await ManualClock.eventually { calls.calls.contains { $0.what == "mute" } }, "\(calls.calls)")
      let at = try #require(calls.calls.first { $0.what == "mute" }?.at)
      #expect(at >= opens && at <= opens + 1, "muted within a second of the window opening: \(at - opens)")
    }
  }
}
