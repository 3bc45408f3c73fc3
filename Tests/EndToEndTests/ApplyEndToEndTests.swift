import Foundation
import PartylineCore
import PartylineTestSupport
import Testing

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif

/// Where a test keeps its state: the parameter of the end-to-end apply suite.
enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
  case local, postgres
  var testDescription: String { rawValue }
}

/// A temporary project: a policy set and a state (a directory, or a fresh PostgreSQL database).
struct Project {
  let dir: URL
  let backend: Backend
  /// What `--state` gets.
  let state: String
  var policies: String { dir.appendingPathComponent("policies").path }

  /// A project on `backend` (PostgreSQL: a fresh database on the test server; the PostgreSQL cases
  /// are separate tests, enabled only when there is one, so a missing server shows as skipped).
  static func make(_ name: String, _ backend: Backend = .local, muteFor: String = "30m") async throws
    -> Project
  {
    switch backend {
    case .local: try Project(name, backend, state: nil, muteFor: muteFor)
    case .postgres:
      try Project(name, backend, state: try await TestPostgres.freshDatabase(name), muteFor: muteFor)
    }
  }

  init(_ name: String, _ backend: Backend, state: String?, muteFor: String) throws {
    self.backend = backend
    dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "partyline-\(name)-\(backend.rawValue)-\(getpid())")
    self.state = state ?? dir.appendingPathComponent("state").path
    try? FileManager.default.removeItem(at: dir)
    try FileManager.default.createDirectory(
      at: dir.appendingPathComponent("policies"), withIntermediateDirectories: true)
    let mute = """
      apiVersion: partyline/v1
      kind: ConversationPolicy
      metadata: {name: noisy-line}
      spec:
        conversation: \(Demo.Call.noisy)
        mute:
          - purpose: customer
            for: \(muteFor)
      """
    let bridge = """
      apiVersion: partyline/v1
      kind: ConversationPolicy
      metadata: {name: war-room}
      spec:
        conversation: \(Demo.Call.warRoom)
        actAs: ada@example.com
        add:
          - {user: grace@example.com, role: agent}
          - {user: 4b551df7-121b-4db5-953f-ea2ede73ced8, role: agent}
          - {user: sam.supervisor@example.com, role: supervisor}
          - {address: "+4930999888", role: agent}
      """
    try mute.write(to: dir.appendingPathComponent("policies/noisy.yaml"), atomically: true, encoding: .utf8)
    try bridge.write(
      to: dir.appendingPathComponent("policies/bridge.yaml"), atomically: true, encoding: .utf8)
  }

  func remove() { try? FileManager.default.removeItem(at: dir) }

  func run(_ args: [String], _ sim: SimProcess) async throws -> CLI.Result {
    try await CLI.run(args + ["--state", state, policies], environment: sim.environment)
  }

  /// The journal's records, in the order written.
  func journal() async throws -> JournalAudit {
    switch backend {
    case .local: return try JournalAudit.local(state)
    case .postgres: return try await JournalAudit.postgres(state)
    }
  }
}

/// Users (by id) and addresses present in the war room, each with how many times.
func presence(_ participants: [[String: Any]]) -> [String: Int] {
  var out: [String: Int] = [:]
  for p in participants where (p["state"] as? String) != "disconnected" {
    if let u = (p["user"] as? [String: Any])?["id"] as? String { out[u, default: 0] += 1 }
    // The API renders phone numbers as tel: URIs.
    if let a = p["address"] as? String {
      out[a.hasPrefix("tel:") ? String(a.dropFirst(4)) : a, default: 0] += 1
    }
  }
  return out
}

let fast = ["--patch-delay", "50ms", "--connect-delay", "200ms", "--rate-limit", "off"]

/// The apply scenarios, each on both state backends.
@Suite(.serialized) struct ApplyEndToEndTests {
  @Test(arguments: [Backend.local]) func applyThenPlanShowsNoChangesAndApplyTwiceChangesNothing(
    _ backend: Backend
  ) async throws {
    let project = try await Project.make("idempotent", backend)
    defer { project.remove() }
    let sim = try SimProcess(fast)
    defer { sim.stop() }
    let first = try await project.run(["apply", "--yes"], sim)
    #expect(first.status == 0, "\(first.stderr)")
    #expect(first.stdout.contains("Apply complete: 4 added, 1 muted, 0 unmuted, 0 reverted."))
    let plan = try await project.run(["plan", "--detailed-exitcode"], sim)
    #expect(plan.status == 0, "\(plan.stdout)\(plan.stderr)")
    #expect(plan.stdout.contains("No changes."))
    let writesBefore = try await sim.log().filter {
      $0.0 == "PATCH" || ($0.0 == "POST" && $0.1.contains("/participants"))
    }.count
    let second = try await project.run(["apply", "--yes"], sim)
    #expect(second.status == 0)
    #expect(second.stdout.contains("No changes."))
    let writesAfter = try await sim.log().filter {
      $0.0 == "PATCH" || ($0.0 == "POST" && $0.1.contains("/participants"))
    }.count
    #expect(writesAfter == writesBefore, "the second apply sent no write")
    let room = presence(try await sim.conversation(Demo.Call.warRoom))
    #expect(room[Demo.User.grace] == 1)
    #expect(room["+4930999888"] == 1)
    // The journal holds an intent and an outcome for every call.
    let records = try await project.journal()
    #expect(records.of(.intent).count == 5)
    #expect(records.of(.outcome).filter { $0.status == .ok }.count == 5)
    #expect(records.unanswered.isEmpty)
    if backend == .local {
      let attributes = try FileManager.default.attributesOfItem(atPath: project.state + "/journal.jsonl")
      #expect((attributes[.posixPermissions] as? Int) == 0o600)
    }
  }

  @Test(arguments: [Backend.local]) func expiredLeaseIsRevertedByALaterApplyOnce(_ backend: Backend)
    async throws
  {
    let project = try await Project.make("revert", backend, muteFor: "2s")
    defer { project.remove() }
    let sim = try SimProcess(fast)
    defer { sim.stop() }
    #expect(try await project.run(["apply", "--yes"], sim).status == 0)
    let muted = try await sim.conversation(Demo.Call.noisy).first {
      $0["id"] as? String == Demo.Participant.noisyCustomer
    }
    #expect(muted?["muted"] as? Bool == true)
    try await Task.sleep(nanoseconds: 2_300_000_000)
    let plan = try await project.run(["plan"], sim)
    #expect(plan.stdout.contains("- revert mute of"), "\(plan.stdout)")
    let revert = try await project.run(["apply", "--yes"], sim)
    #expect(revert.status == 0, "\(revert.stderr)")
    #expect(revert.stdout.contains("1 reverted."))
    let after = try await sim.conversation(Demo.Call.noisy).first {
      $0["id"] as? String == Demo.Participant.noisyCustomer
    }
    #expect(after?["muted"] as? Bool == false)
    let again = try await project.run(["apply", "--yes"], sim)
    #expect(again.stdout.contains("No changes."), "a lease is one-shot: \(again.stdout)")
  }

  /// `watch` started in the background, its output in files; `stop()` sends SIGTERM and waits.
  struct WatchProcess {
    let process = Process()
    let stdout: URL
    let stderr: URL

    init(_ project: Project, _ sim: SimProcess, interval: String) throws {
      stdout = project.dir.appendingPathComponent("watch.out")
      stderr = project.dir.appendingPathComponent("watch.err")
      _ = FileManager.default.createFile(atPath: stdout.path, contents: nil)
      _ = FileManager.default.createFile(atPath: stderr.path, contents: nil)
      process.executableURL = CLI.binary
      process.arguments = ["watch", "--interval", interval, "--state", project.state, project.policies]
      var env = ProcessInfo.processInfo.environment
      for (k, v) in sim.environment { env[k] = v }
      process.environment = env
      process.standardOutput = try FileHandle(forWritingTo: stdout)
      process.standardError = try FileHandle(forWritingTo: stderr)
      try process.run()
    }

    var errors: String { (try? String(contentsOf: stderr, encoding: .utf8)) ?? "" }

    func stop() async -> Int32 {
      process.terminate()
      await process.exited(killAfter: 30)
      return process.terminationStatus
    }
  }

  /// Polls the journal until `check` holds or `timeout` passes.
  /// Polls the journal until `check` holds or `timeout` passes. A line that does not decode fails the
  /// test at once (the audit reads every line); a journal not yet written reads as empty.
  func journalUntil(
    _ project: Project, timeout: Double = 20, _ check: (JournalAudit) -> Bool
  ) async throws -> JournalAudit {
    let deadline = Date().addingTimeInterval(timeout)
    var records = try JournalAudit(lines: [])
    while Date() < deadline {
      records = try await project.journal()
      if check(records) { return records }
      try await Task.sleep(nanoseconds: 200_000_000)
    }
    return records
  }

  /// A check for `journalUntil`: some record of this kind and action is there.
  func has(_ kind: JournalRecord.Kind, _ action: PlannedChange.Action) -> (JournalAudit) -> Bool {
    { $0.contains(kind, action) }
  }

  /// How long after the first mute's lease ended the first revert was sent.
  func revertLateness(_ records: JournalAudit) throws -> Double {
    try #require(records.revertLateness, "a mute's and a revert's intent in the journal")
  }

  /// The full reconcile in flight is slow (every add waits 1.5 s for its answer); the lease of a mute
  /// in another conversation ends meanwhile and is still reverted on time, by the on-time loop.
  @Test(arguments: [Backend.local]) func watchRevertsOnTimeWhileAFullReconcileIsInFlight(_ backend: Backend)
    async throws
  {
    let project = try await Project.make("ontime", backend, muteFor: "2s")
    defer { project.remove() }
    let sim = try SimProcess(fast + ["--fault", "POST /api/v2/conversations/calls/*:latency=1500ms"])
    defer { sim.stop() }
    let watch = try WatchProcess(project, sim, interval: "60s")
    let records = try await journalUntil(project, has(.outcome, .revert))
    let addsDone = records.of(.outcome, .add).count
    #expect(await watch.stop() == 0, "watch exits cleanly on SIGTERM: \(watch.errors)")
    let late = try revertLateness(records)
    #expect(late >= 0 && late <= 1.0, "reverted \(late)s after the lease ended")
    #expect(addsDone < 4, "the full reconcile was still adding when the lease ended (\(addsDone) adds done)")
  }

  /// The full reconcile holds the very conversation whose lease ends (an add into it hangs for 4 s):
  /// the on-time loop joins it and reverts on time rather than waiting for the lock.
  @Test(arguments: [Backend.local]) func watchRevertsOnTimeInTheConversationAFullReconcileHolds(
    _ backend: Backend
  ) async throws {
    let project = try await Project.make("joined", backend, muteFor: "2s")
    defer { project.remove() }
    try FileManager.default.removeItem(at: project.dir.appendingPathComponent("policies/bridge.yaml"))
    try """
    apiVersion: partyline/v1
    kind: ConversationPolicy
    metadata: {name: noisy-backup}
    spec:
      conversation: \(Demo.Call.noisy)
      add:
        - {user: 4b551df7-121b-4db5-953f-ea2ede73ced8, role: agent}
    """.write(
      to: project.dir.appendingPathComponent("policies/backup.yaml"), atomically: true, encoding: .utf8)
    let sim = try SimProcess(fast + ["--fault", "POST /api/v2/conversations/calls/*:latency=4s"])
    defer { sim.stop() }
    let watch = try WatchProcess(project, sim, interval: "60s")
    let records = try await journalUntil(project, has(.outcome, .revert))
    #expect(await watch.stop() == 0, "watch exits cleanly on SIGTERM: \(watch.errors)")
    let late = try revertLateness(records)
    #expect(late >= 0 && late <= 1.0, "reverted \(late)s after the lease ended")
    let addSent = try #require(records.first(.intent, .add)?.at)
    let revertSent = try #require(records.first(.intent, .revert)?.at)
    #expect(revertSent < addSent + 4, "while the add was still in flight")
    #expect(!watch.errors.contains("gave up"), "\(watch.errors)")
  }

  /// A change the API accepted (202) is confirmed by re-reading its conversation: the first read waits
  /// for the API to make it, and the polling stops once the participant has left rather than reading
  /// until --confirm-timeout. Every read spends the rate budget that on-time reverts need.
  @Test func confirmationReadsSparinglyAndStopsOnceTheParticipantLeft() async throws {
    let project = try await Project.make("confirm", .local, muteFor: "30m")
    defer { project.remove() }
    try FileManager.default.removeItem(at: project.dir.appendingPathComponent("policies/bridge.yaml"))
    let reads = "GET /api/v2/conversations/calls/{conversationId}"
    do {
      let sim = try SimProcess(["--patch-delay", "300ms", "--connect-delay", "200ms", "--rate-limit", "off"])
      defer { sim.stop() }
      let r = try await CLI.run(
        ["apply", "--yes", "--state", project.state, project.policies], environment: sim.environment)
      #expect(r.status == 0, "\(r.stderr)")
      // One read to plan, then at most two to see a mute the API makes 300 ms after accepting it.
      #expect(try await sim.counts()[reads] ?? 0 <= 3)
    }
    try FileManager.default.removeItem(atPath: project.state)
    let sim = try SimProcess(["--patch-delay", "3s", "--connect-delay", "200ms", "--rate-limit", "off"])
    defer { sim.stop() }
    let started = Date()
    async let apply = CLI.run(
      ["apply", "--yes", "--state", project.state, project.policies], environment: sim.environment)
    _ = try await journalUntil(project, has(.outcome, .mute))
    let (status, _) = try await sim.request(
      "POST", "/sim/conversations/\(Demo.Call.noisy)/participants/\(Demo.Participant.noisyCustomer)/leave")
    #expect(status == 200)
    let r = try await apply
    #expect(r.status == 1, "a mute not seen is reported: \(r.stdout)")
    #expect(r.stderr.contains("the participant left or the call ended"), "\(r.stderr)")
    #expect(Date().timeIntervalSince(started) < 14, "it did not poll until --confirm-timeout (15 s)")
    #expect(try await sim.counts()[reads] ?? 0 <= 6)
  }

  /// A call that has ended never starts again: watch reads it once more (to close its lease), then
  /// no more, though its policy file is still there.
  @Test func watchStopsReadingACallThatEnded() async throws {
    let project = try await Project.make("ended", .local, muteFor: "30m")
    defer { project.remove() }
    try FileManager.default.removeItem(at: project.dir.appendingPathComponent("policies/bridge.yaml"))
    let sim = try SimProcess(fast)
    defer { sim.stop() }
    let watch = try WatchProcess(project, sim, interval: "1s")
    _ = try await journalUntil(project, has(.outcome, .mute))
    #expect(try await sim.request("POST", "/sim/conversations/\(Demo.Call.noisy)/end").0 == 200)
    let closed = try await journalUntil(project) { !$0.of(.close).isEmpty }
    #expect(!closed.of(.close).isEmpty, "the lease was closed: \(watch.errors)")
    let reads = "GET /api/v2/conversations/calls/{conversationId}"
    let before = try await sim.counts()[reads] ?? 0
    try await Task.sleep(nanoseconds: 3_500_000_000)  // three more full reconciles
    let after = try await sim.counts()[reads] ?? 0
    #expect(await watch.stop() == 0, "\(watch.errors)")
    #expect(after == before, "read \(after - before) more times after the call ended")
  }

  @Test func watchReadsThePolicyFilesAgainAndKeepsTheLastValidSet() async throws {
    let project = try await Project.make("reload", .local, muteFor: "30m")
    defer { project.remove() }
    let noisy = project.dir.appendingPathComponent("policies/noisy.yaml")
    let text = try String(contentsOf: noisy, encoding: .utf8)
    try FileManager.default.removeItem(at: noisy)
    let sim = try SimProcess(fast)
    defer { sim.stop() }
    let watch = try WatchProcess(project, sim, interval: "1s")
    let outcomes = { (action: PlannedChange.Action) in has(.outcome, action) }
    _ = try await journalUntil(project, outcomes(.add))
    // A broken file: reported, and the last valid set stays in force (nothing pruned, nothing stops).
    try "apiVersion: partyline/v1\nkind: ConversationPolicy\nmetadata: {name: Bad Name}\n".write(
      to: noisy, atomically: true, encoding: .utf8)
    let deadline = Date().addingTimeInterval(10)
    while !watch.errors.contains("policies are invalid") && Date() < deadline {
      try await Task.sleep(for: .milliseconds(100))
    }
    #expect(watch.errors.contains("policies are invalid: still acting on the last valid set (1 policies)"))
    // The fixed file takes effect without a restart.
    try text.write(to: noisy, atomically: true, encoding: .utf8)
    let records = try await journalUntil(project, outcomes(.mute))
    #expect(await watch.stop() == 0)
    #expect(outcomes(.mute)(records), "the new policy's mute was applied: \(watch.errors)")
    #expect(watch.errors.contains("policies changed: now 2"))
    #expect(watch.errors.components(separatedBy: "policies are invalid").count == 2, "reported once")
    #expect(!records.records.contains { $0.action == .prune })
  }

  @Test(arguments: [Backend.local]) func watchRevertsWithinOneSecondOfExpiry(_ backend: Backend) async throws
  {
    let project = try await Project.make("watch", backend, muteFor: "3s")
    defer { project.remove() }
    let sim = try SimProcess(fast)
    defer { sim.stop() }
    let watch = try WatchProcess(project, sim, interval: "60s")
    let records = try await journalUntil(project, has(.outcome, .revert))
    #expect(await watch.stop() == 0, "watch exits cleanly on SIGTERM: \(watch.errors)")
    let late = try revertLateness(records)
    #expect(late >= 0, "never before the lease ends")
    #expect(late <= 1.0, "reverted \(late)s after the lease ended")
    #expect(records.first(.outcome, .revert)?.status == .ok)
  }

  @Test(arguments: [Backend.local]) func killedMidApplyConvergesWithoutDuplicateAdds(_ backend: Backend)
    async throws
  {
    let project = try await Project.make("crash", backend)
    defer { project.remove() }
    let sim = try SimProcess(fast + ["--fault", "POST /api/v2/conversations/calls/*:latency=700ms"])
    defer { sim.stop() }
    let apply = Process()
    apply.executableURL = CLI.binary
    apply.arguments = ["apply", "--yes", "--state", project.state, project.policies]
    var env = ProcessInfo.processInfo.environment
    for (k, v) in sim.environment { env[k] = v }
    apply.environment = env
    apply.standardOutput = FileHandle.nullDevice
    apply.standardError = FileHandle.nullDevice
    try apply.run()
    try await Task.sleep(nanoseconds: 1_200_000_000)
    kill(apply.processIdentifier, SIGKILL)
    await apply.exited()
    let torn = try await project.journal()
    #expect(!torn.unanswered.isEmpty, "the kill left an intent without its outcome")
    try await Task.sleep(nanoseconds: 800_000_000)  // let the add in flight land
    _ = try await sim.request("DELETE", "/sim/faults")
    var last = try await project.run(["apply", "--yes"], sim)
    if last.status != 0 { last = try await project.run(["apply", "--yes"], sim) }
    #expect(last.status == 0, "\(last.stdout)\(last.stderr)")
    let room = presence(try await sim.conversation(Demo.Call.warRoom))
    for who in [
      Demo.User.grace, Demo.User.hedy,
      Demo.User.sam, "+4930999888",
    ] {
      #expect(room[who] == 1, "\(who) present once: \(room)")
    }
    let final = try await project.run(["plan", "--detailed-exitcode"], sim)
    #expect(final.status == 0, "\(final.stdout)")
  }

  @Test(arguments: [Backend.local]) func concurrentAppliesNeverActTwice(_ backend: Backend) async throws {
    let project = try await Project.make("concurrent", backend)
    defer { project.remove() }
    let sim = try SimProcess(fast + ["--fault", "POST /api/v2/conversations/calls/*:latency=500ms"])
    defer { sim.stop() }
    async let a = project.run(["apply", "--yes", "--lock-timeout", "30s"], sim)
    try await Task.sleep(nanoseconds: 100_000_000)
    async let b = project.run(["apply", "--yes", "--lock-timeout", "500ms"], sim)
    let (ra, rb) = try await (a, b)
    #expect(ra.status == 0, "\(ra.stderr)")
    if rb.status != 0 {
      #expect(rb.stderr.contains("is locked by partyline pid"), "\(rb.stderr)")
      #expect(rb.stderr.contains("--lock-timeout"))
    }
    let adds = try await sim.log().filter { $0.0 == "POST" && $0.1.contains("/participants") }
    #expect(adds.count == 4, "each add sent once: \(adds.count)")
    let mutes = try await sim.log().filter { $0.0 == "PATCH" }
    #expect(mutes.count == 1)
  }

  @Test(arguments: [Backend.local]) func convergesUnderFaultsWithNothingLostOrDuplicated(_ backend: Backend)
    async throws
  {
    let project = try await Project.make("faults", backend)
    defer { project.remove() }
    let sim = try SimProcess(
      [
        "--patch-delay", "50ms", "--connect-delay", "200ms", "--rate-limit", "20", "--rate-window", "1s",
        "--fault", "/api/v2/conversations/*:500=0.1,503=0.05,504=0.05,reset=0.1", "--seed", "7",
      ])
    defer { sim.stop() }
    var runs = 0
    var last = CLI.Result(status: 1, stdout: "", stderr: "")
    while runs < 6 && last.status != 0 {
      last = try await project.run(["apply", "--yes", "--confirm-timeout", "3s"], sim)
      runs += 1
    }
    #expect(last.status == 0, "converged within \(runs) runs: \(last.stderr)")
    _ = try await sim.request("DELETE", "/sim/faults")
    let room = presence(try await sim.conversation(Demo.Call.warRoom))
    for who in [
      Demo.User.grace, Demo.User.hedy,
      Demo.User.sam, "+4930999888",
    ] {
      #expect(room[who] == 1, "\(who) present once: \(room)")
    }
    let customer = try await sim.conversation(Demo.Call.noisy).first {
      $0["id"] as? String == Demo.Participant.noisyCustomer
    }
    #expect(customer?["muted"] as? Bool == true)
  }

  @Test(arguments: [Backend.local]) func savedPlanPastNotAfterOrChangedIsRefused(_ backend: Backend)
    async throws
  {
    let project = try await Project.make("saved", backend)
    defer { project.remove() }
    let sim = try SimProcess(fast)
    defer { sim.stop() }
    let planFile = project.dir.appendingPathComponent("plan.json").path
    #expect(try await project.run(["plan", "--out", planFile, "--plan-ttl", "1s"], sim).status == 0)
    try await Task.sleep(nanoseconds: 1_200_000_000)
    let expired = try await CLI.run(
      ["apply", "--plan", planFile, "--state", project.state], environment: sim.environment)
    #expect(expired.status == 1)
    #expect(expired.stderr.contains("expired at"), "\(expired.stderr)")
    #expect(try await project.run(["plan", "--out", planFile], sim).status == 0)
    // Someone changes one conversation after the plan was made.
    let changer = try await Project.make("changer", backend)
    defer { changer.remove() }
    try FileManager.default.removeItem(atPath: changer.policies + "/bridge.yaml")
    #expect(try await changer.run(["apply", "--yes"], sim).status == 0)
    let refused = try await CLI.run(
      ["apply", "--plan", planFile, "--state", project.state], environment: sim.environment)
    #expect(refused.status == 1)
    #expect(
      refused.stderr.contains("conversation \(Demo.Call.noisy) changed since it was made"),
      "\(refused.stderr)")
    #expect(!refused.stderr.contains(Demo.Call.warRoom))
    // A fresh saved plan applies exactly.
    #expect(try await project.run(["plan", "--out", planFile], sim).status == 0)
    let applied = try await CLI.run(
      ["apply", "--plan", planFile, "--state", project.state], environment: sim.environment)
    #expect(applied.status == 0, "\(applied.stderr)")
    #expect(applied.stdout.contains("Apply complete: 4 added, 0 muted"))
  }
}

/// The PostgreSQL cases: separate tests, so that without a server they are reported as skipped.
extension ApplyEndToEndTests {
  @Test(.enabled(if: TestPostgres.runnable, Comment(rawValue: TestPostgres.skipNote)))
  func applyThenPlanShowsNoChangesAndApplyTwiceChangesNothingOnPostgreSQL() async throws {
    try await applyThenPlanShowsNoChangesAndApplyTwiceChangesNothing(.postgres)
  }

  @Test(.enabled(if: TestPostgres.runnable, Comment(rawValue: TestPostgres.skipNote)))
  func expiredLeaseIsRevertedByALaterApplyOnceOnPostgreSQL() async throws {
    try await expiredLeaseIsRevertedByALaterApplyOnce(.postgres)
  }

  @Test(.enabled(if: TestPostgres.runnable, Comment(rawValue: TestPostgres.skipNote)))
  func watchRevertsOnTimeWhileAFullReconcileIsInFlightOnPostgreSQL() async throws {
    try await watchRevertsOnTimeWhileAFullReconcileIsInFlight(.postgres)
  }

  @Test(.enabled(if: TestPostgres.runnable, Comment(rawValue: TestPostgres.skipNote)))
  func watchRevertsOnTimeInTheConversationAFullReconcileHoldsOnPostgreSQL() async throws {
    try await watchRevertsOnTimeInTheConversationAFullReconcileHolds(.postgres)
  }

  @Test(.enabled(if: TestPostgres.runnable, Comment(rawValue: TestPostgres.skipNote)))
  func watchRevertsWithinOneSecondOfExpiryOnPostgreSQL() async throws {
    try await watchRevertsWithinOneSecondOfExpiry(.postgres)
  }

  @Test(.enabled(if: TestPostgres.runnable, Comment(rawValue: TestPostgres.skipNote)))
  func killedMidApplyConvergesWithoutDuplicateAddsOnPostgreSQL() async throws {
    try await killedMidApplyConvergesWithoutDuplicateAdds(.postgres)
  }

  @Test(.enabled(if: TestPostgres.runnable, Comment(rawValue: TestPostgres.skipNote)))
  func concurrentAppliesNeverActTwiceOnPostgreSQL() async throws {
    try await concurrentAppliesNeverActTwice(.postgres)
  }

  @Test(.enabled(if: TestPostgres.runnable, Comment(rawValue: TestPostgres.skipNote)))
  func convergesUnderFaultsWithNothingLostOrDuplicatedOnPostgreSQL() async throws {
    try await convergesUnderFaultsWithNothingLostOrDuplicated(.postgres)
  }

  @Test(.enabled(if: TestPostgres.runnable, Comment(rawValue: TestPostgres.skipNote)))
  func savedPlanPastNotAfterOrChangedIsRefusedOnPostgreSQL() async throws {
    try await savedPlanPastNotAfterOrChangedIsRefused(.postgres)
  }
}
