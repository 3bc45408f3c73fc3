import Foundation
import PartylineTestSupport
import Testing

/// A saved plan is an artefact that travels between CI jobs: `apply --plan` checks it before acting.
@Suite(.serialized) struct SavedPlanEndToEndTests {
  /// The writes the emulator has seen: participant PATCHes and adds.
  func writes(_ sim: SimProcess) async throws -> Int {
    try await sim.log().filter { $0.0 == "PATCH" || ($0.0 == "POST" && $0.1.contains("/participants")) }.count
  }

  func edit(_ path: String, _ change: (inout [String: Any]) -> Void) throws {
    var o = try #require(
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
    change(&o)
    try JSONSerialization.data(withJSONObject: o).write(to: URL(fileURLWithPath: path))
  }

  func changes(_ o: [String: Any]) -> [[String: Any]] { o["changes"] as? [[String: Any]] ?? [] }

  @Test func aPlanWithErrorsIsNotSaved() async throws {
    let project = try Project("errors", .local, state: nil, muteFor: "30m")
    defer { project.remove() }
    let sim = try SimProcess(fast)
    defer { sim.stop() }
    // A policy on a conversation that does not exist: the plan has an error.
    try ApplyEndToEndTests.TruthfulOutputEndToEndTests.gone.write(
      toFile: project.policies + "/gone.yaml", atomically: true, encoding: .utf8)
    let planFile = project.dir.appendingPathComponent("plan.json").path
    let r = try await project.run(["plan", "--out", planFile], sim)
    #expect(r.status == 1)
    #expect(r.stderr.contains("the plan has errors: no plan was saved"), "\(r.stderr)")
    #expect(!FileManager.default.fileExists(atPath: planFile))
  }

  @Test func anEditedOrForeignPlanIsRefusedAndNothingIsApplied() async throws {
    let project = try Project("edited", .local, state: nil, muteFor: "30m")
    defer { project.remove() }
    let sim = try SimProcess(fast)
    defer { sim.stop() }
    let planFile = project.dir.appendingPathComponent("plan.json").path
    let good = project.dir.appendingPathComponent("good.json").path
    #expect(try await project.run(["plan", "--out", good], sim).status == 0)
    let apply = ["apply", "--plan", planFile, "--state", project.state]

    func refused(_ expected: String, _ edit: (inout [String: Any]) -> Void) async throws {
      try? FileManager.default.removeItem(atPath: planFile)
      try FileManager.default.copyItem(atPath: good, toPath: planFile)
      try self.edit(planFile, edit)
      let before = try await writes(sim)
      let r = try await CLI.run(apply, environment: sim.environment)
      #expect(r.status == 1, "\(expected): \(r.stdout)")
      #expect(r.stderr.contains(expected), "\(r.stderr)")
      #expect(try await writes(sim) == before, "nothing applied for '\(expected)'")
    }

    // A mute edited to last a year, past the 2h hard cap.
    try await refused("a mute of 31536000s is outside 1s…2h") { o in
      var c = changes(o)
      for i in c.indices where c[i]["action"] as? String == "mute" { c[i]["seconds"] = 31_536_000 }
      o["changes"] = c
    }
    // Limits raised in the file beyond the hard caps.
    try await refused("limits.maxMute 86400s is outside 1s…2h") { o in
      var l = o["limits"] as? [String: Any] ?? [:]
      l["maxMute"] = 86_400
      o["limits"] = l
    }
    try await refused("unknown field 'sneaky'") { o in
      var c = changes(o)
      c[0]["sneaky"] = true
      o["changes"] = c
    }
    try await refused("unknown field 'extra'") { o in o["extra"] = 1 }
    // An impossible change: an add with a participant and no role.
    try await refused("a change of action 'add' has no 'participant'") { o in
      var c = changes(o)
      for i in c.indices where c[i]["action"] as? String == "add" {
        c[i]["participant"] = Demo.Participant.noisyCustomer
      }
      o["changes"] = c
    }
    try await refused("role 'overlord' is not in the plan's limits") { o in
      var c = changes(o)
      for i in c.indices where c[i]["action"] as? String == "add" { c[i]["role"] = "overlord" }
      o["changes"] = c
    }
    try await refused("was made against https://api.mypurecloud.ie") { o in
      o["target"] = "https://api.mypurecloud.ie"
    }
    try await refused("has formatVersion 1") { o in o["formatVersion"] = 1 }

    // A truncated file.
    let text = try String(contentsOfFile: good, encoding: .utf8)
    try String(text.prefix(text.count / 2)).write(toFile: planFile, atomically: true, encoding: .utf8)
    let truncated = try await CLI.run(apply, environment: sim.environment)
    #expect(truncated.status == 1)
    #expect(
      truncated.stderr.contains("is not valid JSON: the file is truncated or damaged"), "\(truncated.stderr)")

    // The untouched plan applies, with its policy locations and the per-call progress lines.
    let applied = try await CLI.run(
      ["apply", "--plan", good, "--state", project.state], environment: sim.environment)
    #expect(applied.status == 0, "\(applied.stderr)")
    #expect(!applied.stdout.contains("(no longer in the policy set)"), "\(applied.stdout)")
    #expect(applied.stdout.contains("noisy-line \(project.policies)/noisy.yaml:"), "\(applied.stdout)")
    #expect(applied.stderr.contains("  mute 4bd53925 "), "\(applied.stderr)")
    #expect(applied.stdout.contains("Apply complete: 4 added, 1 muted"))
  }

  @Test func aPlanMadeInTheSandboxIsNotAppliedElsewhere() async throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("partyline-sbx-plan-\(getpid())")
    try? FileManager.default.removeItem(at: dir)
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    try FileManager.default.copyItem(
      at: CLI.packageRoot.appendingPathComponent("policies"), to: dir.appendingPathComponent("policies"))
    let planFile = dir.appendingPathComponent("plan.json").path
    let made = try await CLI.run(["plan", "--sandbox", "--out", planFile], cwd: dir)
    #expect(made.status == 0, "\(made.stderr)")
    let sim = try SimProcess(fast)
    defer { sim.stop() }
    let r = try await CLI.run(
      ["apply", "--plan", planFile, "--state", dir.appendingPathComponent("state").path], cwd: dir,
      environment: sim.environment)
    #expect(r.status == 1)
    #expect(r.stderr.contains("the saved plan was made against sandbox, not \(sim.baseURL)"), "\(r.stderr)")
  }
}
