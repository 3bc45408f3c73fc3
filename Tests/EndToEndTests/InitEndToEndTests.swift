import Foundation
import Testing

/// `partyline init` with the built binary: what it writes passes `validate` and `test`, its output is
/// golden, it never overwrites a file, and it keeps an existing `.gitignore`.
@Suite struct InitEndToEndTests {
  func scratch(_ name: String) throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "partyline-init-\(name)-\(getpid())")
    try? FileManager.default.removeItem(at: dir)
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
  }

  @Test func whatInitWritesPassesValidateAndTest() async throws {
    let dir = try scratch("new")
    defer { try? FileManager.default.removeItem(at: dir) }
    let repo = dir.appendingPathComponent("repo")
    let r = try await CLI.run(["init", repo.path])
    #expect(r.status == 0, "\(r.stderr)")
    try assertGolden(r.stdout.replacingOccurrences(of: repo.path, with: "<dir>"), "init.txt")
    let validate = try await CLI.run(["validate", "policies"], cwd: repo)
    #expect(validate.status == 0 && validate.stderr.isEmpty, "\(validate.stdout)\(validate.stderr)")
    let test = try await CLI.run(["test"], cwd: repo)
    #expect(test.status == 0, "\(test.stdout)\(test.stderr)")
    #expect(test.stdout.hasSuffix("1 passed, 0 failed, 0 errors\n"), "\(test.stdout)")
    let ignore = try String(contentsOf: repo.appendingPathComponent(".gitignore"), encoding: .utf8)
    #expect(ignore.contains(".partyline/\n"))
    // The workflow is YAML that GitHub can read, with the three triggers.
    let workflow = try String(
      contentsOf: repo.appendingPathComponent(".github/workflows/partyline.yml"), encoding: .utf8)
    for trigger in [
      "pull_request:", "push:", "schedule:", "partyline test", "partyline plan", "partyline apply",
    ] {
      #expect(workflow.contains(trigger), "\(trigger)")
    }
  }

  @Test func initNeverOverwritesAndKeepsAnExistingGitignore() async throws {
    let dir = try scratch("existing")
    defer { try? FileManager.default.removeItem(at: dir) }
    try "build/\n".write(to: dir.appendingPathComponent(".gitignore"), atomically: true, encoding: .utf8)
    let first = try await CLI.run(["init", dir.path])
    #expect(first.status == 0, "\(first.stderr)")
    let ignore = try String(contentsOf: dir.appendingPathComponent(".gitignore"), encoding: .utf8)
    #expect(ignore.hasPrefix("build/\n") && ignore.contains(".partyline/"), "\(ignore)")
    try "# mine\n".write(
      to: dir.appendingPathComponent("policies/greeting.yaml"), atomically: true, encoding: .utf8)
    let again = try await CLI.run(["init", dir.path])
    #expect(again.status == 1)
    #expect(again.stderr.contains("already exist: nothing was written"), "\(again.stderr)")
    #expect(
      try String(contentsOf: dir.appendingPathComponent("policies/greeting.yaml"), encoding: .utf8)
        == "# mine\n")
  }
}
