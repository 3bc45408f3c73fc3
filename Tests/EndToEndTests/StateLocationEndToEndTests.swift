import Foundation
import PartylineTestSupport
import Testing

/// DESIGN §5, a state location that is not what it seems: a mistyped PostgreSQL URL is an error (never
/// a directory named after it, password and all, and never echoed), and a local directory on a CI
/// runner is a warning.
@Suite struct StateLocationEndToEndTests {
  @Test(arguments: [
    ["apply", "--yes"], ["plan"], ["state", "show"], ["state", "compact"], ["watch", "--interval", "1m"],
  ])
  func aMistypedPostgresURLIsAnErrorThatNeverShowsThePassword(_ command: [String]) async throws {
    let project = try await Project.make("bad-url-\(command.joined(separator: "-"))", muteFor: "5m")
    defer { project.remove() }
    let sim = try SimProcess(fast)
    defer { sim.stop() }
    for url in ["postgres:/bob:hunter2@db/prod", "postgresql:bob:hunter2@db/prod"] {
      let policies = command.first == "state" ? [] : [project.policies]
      let r = try await CLI.run(
        command + ["--state", url] + policies, cwd: project.dir, environment: sim.environment)
      #expect(r.status == 1, "\(command) \(url): \(r.stdout) \(r.stderr)")
      #expect(r.stderr.contains("invalid PostgreSQL state URL"), "\(r.stderr)")
      #expect(!(r.stdout + r.stderr).contains("hunter2"))
      let made = try FileManager.default.contentsOfDirectory(atPath: project.dir.path)
      #expect(!made.contains { $0.hasPrefix("postgres") }, "a directory was made: \(made)")
    }
  }

  @Test func aLocalStateOnACIRunnerIsAWarning() async throws {
    let project = try await Project.make("ci-local", muteFor: "5m")
    defer { project.remove() }
    let sim = try SimProcess(fast)
    defer { sim.stop() }
    var ci = sim.environment
    ci["CI"] = "true"
    let warned = try await CLI.run(
      ["apply", "--dry-run", "--state", project.state, project.policies], environment: ci)
    #expect(warned.status == 0, "\(warned.stderr)")
    #expect(warned.stderr.contains("warning: the state is a local directory on a CI runner"))
    var local = sim.environment
    local["CI"] = "false"
    let quiet = try await CLI.run(
      ["apply", "--dry-run", "--state", project.state, project.policies], environment: local)
    #expect(quiet.status == 0)
    #expect(!quiet.stderr.contains("CI runner"))
  }
}
