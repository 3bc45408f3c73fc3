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

/// DESIGN §5: the state directory is the user's alone, and nothing in it is opened through a link.
@Suite struct StateDirectoryEndToEndTests {
  static func mode(_ path: String) -> Int? {
    try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
  }

  @Test func aDirectoryOthersCanWriteIsRefusedNamingTheChmod() async throws {
    let project = try await Project.make("state-0777", muteFor: "5m")
    defer { project.remove() }
    let sim = try SimProcess(fast)
    defer { sim.stop() }
    try FileManager.default.createDirectory(atPath: project.state, withIntermediateDirectories: true)
    chmod(project.state, 0o777)
    let r = try await CLI.run(
      ["apply", "--yes", "--state", project.state, project.policies], environment: sim.environment)
    #expect(r.status == 1)
    #expect(r.stderr.contains("is writable by others (mode 777)"), "\(r.stderr)")
    #expect(r.stderr.contains("chmod go-w"))
    #expect(try await FaultEndToEndTests.customerMuted(sim) == false, "nothing was done")
  }

  @Test func aJournalOrLockFileThatIsALinkIsRefusedAndItsTargetUntouched() async throws {
    let project = try await Project.make("state-links", muteFor: "5m")
    defer { project.remove() }
    let sim = try SimProcess(fast)
    defer { sim.stop() }
    let victim = project.dir.appendingPathComponent("victim.txt").path
    try "precious\n".write(toFile: victim, atomically: true, encoding: .utf8)
    try FileManager.default.createDirectory(
      atPath: project.state + "/locks", withIntermediateDirectories: true)
    chmod(project.state, 0o700)
    chmod(project.state + "/locks", 0o700)

    // The journal a link elsewhere: refused, nothing sent.
    try FileManager.default.createSymbolicLink(
      atPath: project.state + "/journal.jsonl", withDestinationPath: victim)
    let r = try await CLI.run(
      ["apply", "--yes", "--state", project.state, project.policies], environment: sim.environment)
    #expect(r.status == 1)
    #expect(r.stderr.contains("symbolic link"), "\(r.stderr)")
    #expect(try String(contentsOfFile: victim, encoding: .utf8) == "precious\n")
    #expect(try await FaultEndToEndTests.customerMuted(sim) == false)

    // A lock file a link elsewhere: the call is not acted on, and the target is not truncated.
    try FileManager.default.removeItem(atPath: project.state + "/journal.jsonl")
    try FileManager.default.createSymbolicLink(
      atPath: project.state + "/locks/\(Demo.Call.noisy).lock", withDestinationPath: victim)
    let l = try await CLI.run(
      ["apply", "--yes", "--state", project.state, project.policies], environment: sim.environment)
    #expect(l.status == 1, "\(l.stderr)")
    #expect(try String(contentsOfFile: victim, encoding: .utf8) == "precious\n")
    #expect(try await FaultEndToEndTests.customerMuted(sim) == false)
  }

  @Test func aJournalReadableByOthersIsMadePrivate() async throws {
    let project = try await Project.make("state-0644", muteFor: "5m")
    defer { project.remove() }
    let sim = try SimProcess(fast)
    defer { sim.stop() }
    try FileManager.default.createDirectory(atPath: project.state, withIntermediateDirectories: true)
    chmod(project.state, 0o755)
    FileManager.default.createFile(atPath: project.state + "/journal.jsonl", contents: nil)
    chmod(project.state + "/journal.jsonl", 0o644)
    let r = try await CLI.run(
      ["apply", "--yes", "--state", project.state, project.policies], environment: sim.environment)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(Self.mode(project.state + "/journal.jsonl") == 0o600)
  }
}
