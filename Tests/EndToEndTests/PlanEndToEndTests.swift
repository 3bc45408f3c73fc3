import Foundation
import PartylineTestSupport
import Testing

/// `partyline plan` of the built binary against the emulator over a socket.
@Suite(.serialized) struct PlanEndToEndTests {
  @Test(arguments: ["text", "json", "github", "markdown"])
  func examplePlanInEveryFormat(format: String) async throws {
    let sim = try SimProcess()
    defer { sim.stop() }
    let r = try await CLI.run(["plan", "--format", format], environment: sim.environment)
    #expect(r.status == 0, "\(r.stderr)")
    let ext = ["text": "txt", "json": "json", "github": "github", "markdown": "md"][format]!
    try assertGolden(normalise(r.stdout), "plan-examples.\(ext)")
  }

  @Test func detailedExitCodeAndSavedPlan() async throws {
    let sim = try SimProcess()
    defer { sim.stop() }
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("partyline-plan-\(getpid())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("plan.json").path
    let r = try await CLI.run(
      ["plan", "--detailed-exitcode", "--out", out, "--plan-ttl", "5m"], environment: sim.environment)
    #expect(r.status == 2, "\(r.stderr)")
    let attributes = try FileManager.default.attributesOfItem(atPath: out)
    #expect((attributes[.posixPermissions] as? Int) == 0o600)
    let saved =
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out))) as? [String: Any]
    #expect(saved?["formatVersion"] as? Int == 3)
    #expect((saved?["snapshots"] as? [String: String])?.count == 5)
    #expect((saved?["changes"] as? [Any])?.count == 8)
    #expect((saved?["policySetDigest"] as? String)?.count == 64)
    let created = saved?["createdAt"] as? String ?? ""
    let notAfter = saved?["notAfter"] as? String ?? ""
    #expect(created < notAfter)
    try assertGolden(normalise(String(contentsOfFile: out, encoding: .utf8)), "plan-saved.json")
  }

  @Test func noCredentialsIsAClearError() async throws {
    let r = try await CLI.run(
      ["plan"],
      environment: [
        "GENESYSCLOUD_OAUTHCLIENT_ID": "", "GENESYSCLOUD_OAUTHCLIENT_SECRET": "",
        "GENESYSCLOUD_ACCESS_TOKEN": "",
        "GENESYSCLOUD_API_URL": "",
      ])
    #expect(r.status == 1)
    #expect(
      r.stderr.contains("no credentials: set GENESYSCLOUD_OAUTHCLIENT_ID and GENESYSCLOUD_OAUTHCLIENT_SECRET")
    )
  }

  @Test func plainHttpOffLoopbackIsRefused() async throws {
    let r = try await CLI.run(
      ["plan"],
      environment: [
        "GENESYSCLOUD_API_URL": "http://api.example.com", "GENESYSCLOUD_OAUTHCLIENT_ID": "x",
        "GENESYSCLOUD_OAUTHCLIENT_SECRET": "y",
      ])
    #expect(r.status == 1)
    #expect(r.stderr.contains("refusing plain http to 'api.example.com'"))
  }

  @Test func badCredentialsSayWhatFailedWithoutTheSecret() async throws {
    let sim = try SimProcess()
    defer { sim.stop() }
    var env = sim.environment
    env["GENESYSCLOUD_OAUTHCLIENT_SECRET"] = "wrong-secret-value"
    let r = try await CLI.run(["plan"], environment: env)
    #expect(r.status == 1)
    #expect(r.stderr.contains("401 invalid_client"), "\(r.stderr)")
    #expect(!r.stderr.contains("wrong-secret-value") && !r.stdout.contains("wrong-secret-value"))
  }

  @Test func sandboxNeedsNoAccount() async throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("partyline-sandbox-\(getpid())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    try FileManager.default.copyItem(
      at: CLI.packageRoot.appendingPathComponent("policies"), to: dir.appendingPathComponent("policies"))
    let r = try await CLI.run(
      ["plan", "--sandbox"], cwd: dir, environment: ["GENESYSCLOUD_OAUTHCLIENT_ID": ""])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.contains("sandbox: running against the bundled emulator"))
    #expect(r.stdout.contains("Plan: 5 to add, 2 to mute, 1 to unmute, 0 to revert"), "\(r.stdout)")
    #expect(
      FileManager.default.fileExists(
        atPath: dir.appendingPathComponent(".partyline/sandbox/organisation.yaml").path))
  }

  /// The sandbox host outlives the run that started it: it gets an environment of its own, never the
  /// caller's (DESIGN §5: secrets stay where they were given).
  @Test func theSandboxHostInheritsNoEnvironment() async throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "partyline-sandbox-env-\(getpid())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    try FileManager.default.copyItem(
      at: CLI.packageRoot.appendingPathComponent("policies"), to: dir.appendingPathComponent("policies"))
    let r = try await CLI.run(
      ["plan", "--sandbox"], cwd: dir,
      environment: ["MY_DEPLOY_TOKEN": "token-QUUX-77", "GENESYSCLOUD_OAUTHCLIENT_ID": ""])
    #expect(r.status == 0, "\(r.stderr)")
    let info = try String(
      contentsOf: dir.appendingPathComponent(".partyline/sandbox/host.json"), encoding: .utf8)
    let pid = try #require(
      (try JSONSerialization.jsonObject(with: Data(info.utf8)) as? [String: Any])?["pid"] as? Int)
    defer { kill(pid_t(pid), SIGKILL) }
    let environ = try #require(FileManager.default.contents(atPath: "/proc/\(pid)/environ"))
    #expect(!String(decoding: environ, as: UTF8.self).contains("QUUX"))
    #expect(!String(decoding: environ, as: UTF8.self).contains("MY_DEPLOY_TOKEN"))
  }
}
