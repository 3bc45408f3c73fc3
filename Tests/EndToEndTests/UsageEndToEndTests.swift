import Foundation
import PartylineTestSupport
import Testing

/// What a new user meets on a wrong flag, a wrong URL or an unreachable API: a clear error in one
/// style, the subcommand's usage, exit 1, and no long hang.
@Suite struct UsageEndToEndTests {
  @Test(arguments: [
    (["plan", "--plan-ttl", "nope"], "The value 'nope' is invalid for '--plan-ttl", "Usage: partyline plan"),
    (["apply", "--lock-timeout", "30"], "did you mean '30s' or '30m'?", "Usage: partyline apply"),
    (["watch", "--interval", "5"], "did you mean '5s' or '5m'?", "Usage: partyline watch"),
    (
      ["apply", "--webhook", "ftp://example.com/hook"],
      "--webhook 'ftp://example.com/hook' must be an https URL",
      "Usage: partyline apply"
    ),
    (["apply", "--parallelism", "0"], "--parallelism must be at least 1, not 0", "Usage: partyline apply"),
    (["apply", "--parallelism=-3"], "--parallelism must be at least 1, not -3", "Usage: partyline apply"),
    (
      ["plan", "--api-budget", "0s"], "'--api-budget <api-budget>': a duration must be positive",
      "Usage: partyline plan"
    ),
    (["plan", "--sandbox-reset"], "--sandbox-reset needs --sandbox", "Usage: partyline plan"),
    (
      ["sim", "serve", "--port", "99999"], "--port must be between 0 and 65535", "Usage: partyline sim serve"
    ),
    (
      ["sim", "serve", "--rate-limit", "lots"], "--rate-limit: 'lots' is neither",
      "Usage: partyline sim serve"
    ),
    (["sim", "serve", "--fault", "bogus"], "--fault: cannot read 'bogus'", "Usage: partyline sim serve"),
  ])
  func usageErrorsNameTheSubcommand(arguments: [String], message: String, usage: String) async throws {
    let r = try await CLI.run(arguments, environment: ["GENESYSCLOUD_OAUTHCLIENT_ID": ""])
    #expect(r.status == 1)
    #expect(r.stderr.hasPrefix("error: "), "\(r.stderr)")
    #expect(r.stderr.contains(message), "\(r.stderr)")
    #expect(r.stderr.contains(usage), "\(r.stderr)")
    #expect(!r.stderr.contains("Error:"))
  }

  @Test func theApiBudgetBoundsTheTokenRequestAndSaysWhatItWaitsFor() async throws {
    let refused = ["GENESYSCLOUD_API_URL": "http://127.0.0.1:9", "GENESYSCLOUD_ACCESS_TOKEN": ""]
    var env = refused
    env["GENESYSCLOUD_OAUTHCLIENT_ID"] = "someone"
    env["GENESYSCLOUD_OAUTHCLIENT_SECRET"] = "hunter2-never-printed"
    let started = Date()
    let r = try await CLI.run(["plan", "--api-budget", "3s"], environment: env)
    let took = Date().timeIntervalSince(started)
    #expect(r.status == 1)
    // The token's 3 s and the org's limits (at most 3 s) plus a process start on a loaded machine
    // (8.7 s seen under the full suite): well under the 2 m an unbounded request would take.
    #expect(took < 12, "took \(took) s with --api-budget 3")
    #expect(r.stderr.contains("target: http://127.0.0.1:9 as client someone"), "\(r.stderr)")
    #expect(
      r.stderr.contains("retrying the token request to 127.0.0.1:9 (connection refused by 127.0.0.1:9)"))
    #expect(r.stderr.contains("connection refused by 127.0.0.1:9"))
    #expect(!r.stderr.contains("errno") && !r.stderr.contains("hunter2"), "\(r.stderr)")
    // With a ready-made token the reads are bounded the same way.
    var token = refused
    token["GENESYSCLOUD_ACCESS_TOKEN"] = "ready-made-token-never-printed"
    let t0 = Date()
    let withToken = try await CLI.run(["plan", "--api-budget", "2s"], environment: token)
    #expect(withToken.status == 1)
    #expect(Date().timeIntervalSince(t0) < 7)
    #expect(withToken.stderr.contains("as a ready-made access token"))
    #expect(!withToken.stderr.contains("ready-made-token-never-printed"))
  }

  @Test func otherSchemesAreNamedAsSuch() async throws {
    let r = try await CLI.run(
      ["plan"], environment: ["GENESYSCLOUD_API_URL": "ftp://127.0.0.1", "GENESYSCLOUD_ACCESS_TOKEN": "x"])
    #expect(r.status == 1)
    #expect(r.stderr.contains("error: unsupported scheme 'ftp' in the API URL"), "\(r.stderr)")
  }

  @Test func aPlanSavedToADirectoryOrNowhereSaysWhy() async throws {
    let sim = try SimProcess()
    defer { sim.stop() }
    let toDir = try await CLI.run(["plan", "--out", "/tmp"], environment: sim.environment)
    #expect(toDir.status == 1)
    #expect(toDir.stderr.contains("cannot write '/tmp': it is a directory"), "\(toDir.stderr)")
    let missing = try await CLI.run(
      ["plan", "--out", "/nonexistent-dir/plan.json"], environment: sim.environment)
    #expect(missing.status == 1)
    #expect(missing.stderr.contains("the directory '/nonexistent-dir' does not exist"), "\(missing.stderr)")
    #expect(!toDir.stderr.contains("NSPOSIXErrorDomain") && !missing.stderr.contains("NSPOSIXErrorDomain"))
  }

  @Test func unsignedWebhooksAreWarnedOfOnce() async throws {
    let sim = try SimProcess()
    defer { sim.stop() }
    var env = sim.environment
    env["PARTYLINE_WEBHOOK_SECRET"] = ""
    let r = try await CLI.run(
      [
        "apply", "--dry-run", "--webhook", "http://127.0.0.1:9/hook", "--state",
        "/tmp/partyline-unsigned-\(getpid())",
      ],
      environment: env)
    #expect(r.status == 0, "\(r.stderr)")
    let warning = "warning: PARTYLINE_WEBHOOK_SECRET is not set: webhook deliveries go out unsigned"
    #expect(r.stderr.components(separatedBy: warning).count == 2, "\(r.stderr)")
  }
}
