import Foundation
import PartylineTestSupport
import Testing

/// DESIGN §5, a saved plan edited: a saved plan is an artefact that travels between CI jobs. With
/// `PARTYLINE_PLAN_KEY`, `plan --out` signs it and `apply --plan` takes nothing else; without a key,
/// the file's own dates and Limits are still checked.
@Suite struct SignedPlanEndToEndTests {
  @Test func withAKeyOnlyThePlanAsSignedIsApplied() async throws {
    let project = try await Project.make("signed-plan", muteFor: "5m")
    defer { project.remove() }
    let sim = try SimProcess(fast)
    defer { sim.stop() }
    var keyed = sim.environment
    keyed["PARTYLINE_PLAN_KEY"] = "plan-key-SPQR-11"
    let planFile = project.dir.appendingPathComponent("plan.json").path
    let unsignedFile = project.dir.appendingPathComponent("unsigned.json").path

    let unsigned = try await CLI.run(
      ["plan", "--out", unsignedFile, "--state", project.state, project.policies],
      environment: sim.environment)
    #expect(unsigned.status == 0, "\(unsigned.stderr)")
    let plan = try await CLI.run(
      ["plan", "--out", planFile, "--state", project.state, project.policies], environment: keyed)
    #expect(plan.status == 0, "\(plan.stderr)")
    #expect(plan.stderr.contains(", signed)"))
    let text = try String(contentsOfFile: planFile, encoding: .utf8)
    #expect(text.contains("\"signature\": \"sha256="))
    #expect(!text.contains("SPQR"), "the key is never written")

    // An unsigned plan, with the key set: refused.
    let noSig = try await CLI.run(
      ["apply", "--plan", unsignedFile, "--state", project.state], environment: keyed)
    #expect(noSig.status == 1)
    #expect(noSig.stderr.contains("is not signed and PARTYLINE_PLAN_KEY is set"), "\(noSig.stderr)")
    // The signed plan with its mute lengthened: refused, nothing sent.
    let edited = project.dir.appendingPathComponent("edited.json").path
    try text.replacingOccurrences(of: "\"seconds\": 300", with: "\"seconds\": 7200").write(
      toFile: edited, atomically: true, encoding: .utf8)
    #expect(try String(contentsOfFile: edited, encoding: .utf8) != text)
    let bent = try await CLI.run(["apply", "--plan", edited, "--state", project.state], environment: keyed)
    #expect(bent.status == 1)
    #expect(bent.stderr.contains("the signature does not match"), "\(bent.stderr)")
    #expect(try await FaultEndToEndTests.customerMuted(sim) == false)
    // Signed by another key: refused.
    var other = keyed
    other["PARTYLINE_PLAN_KEY"] = "another-key"
    let wrongKey = try await CLI.run(
      ["apply", "--plan", planFile, "--state", project.state], environment: other)
    #expect(wrongKey.status == 1)
    // The plan as signed: applied.
    let applied = try await CLI.run(
      ["apply", "--plan", planFile, "--state", project.state], environment: keyed)
    #expect(applied.status == 0, "\(applied.stderr)")
    #expect(try await FaultEndToEndTests.customerMuted(sim) == true)
    for r in [plan, noSig, bent, wrongKey, applied] { #expect(!(r.stdout + r.stderr).contains("SPQR")) }
  }

  /// The review's case: an expired plan edited to `notAfter: 2099`, without a key, is refused on its
  /// own dates (a plan lives a day at most).
  @Test func anExpiredPlanEditedToLiveOnIsRefused() async throws {
    let project = try await Project.make("plan-2099", muteFor: "5m")
    defer { project.remove() }
    let sim = try SimProcess(fast)
    defer { sim.stop() }
    let planFile = project.dir.appendingPathComponent("plan.json").path
    #expect(try await project.run(["plan", "--out", planFile, "--plan-ttl", "1s"], sim).status == 0)
    var text = try String(contentsOfFile: planFile, encoding: .utf8)
    let notAfter = try #require(text.range(of: #""notAfter": "[^"]*""#, options: .regularExpression))
    text.replaceSubrange(notAfter, with: #""notAfter": "2099-01-01T00:00:00.000Z""#)
    try text.write(toFile: planFile, atomically: true, encoding: .utf8)
    try await Task.sleep(nanoseconds: 1_200_000_000)
    let r = try await CLI.run(
      ["apply", "--plan", planFile, "--state", project.state], environment: sim.environment)
    #expect(r.status == 1)
    #expect(r.stderr.contains("more than 24h: refused"), "\(r.stderr)")
    #expect(try await FaultEndToEndTests.customerMuted(sim) == false)
    let ttl = try await project.run(["plan", "--out", planFile, "--plan-ttl", "48h"], sim)
    #expect(ttl.status != 0)
    #expect(ttl.stderr.contains("at most 24h"), "\(ttl.stderr)")
  }
}
