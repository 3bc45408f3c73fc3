import Foundation
import PartylineTestSupport
import Testing

/// `--sandbox` runs that overlap see one world, `--sandbox-reset` starts afresh (organisation and
/// journal), and `state show --sandbox` shows the sandbox's journal.
extension ApplyEndToEndTests {
  @Suite struct SandboxEndToEndTests {
    /// A temporary project directory holding a copy of the example policies.
    static func project(_ name: String) throws -> URL {
      let dir = FileManager.default.temporaryDirectory.appendingPathComponent("partyline-\(name)-\(getpid())")
      try? FileManager.default.removeItem(at: dir)
      try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
      try FileManager.default.copyItem(
        at: CLI.packageRoot.appendingPathComponent("policies"), to: dir.appendingPathComponent("policies"))
      return dir
    }

    @Test func watchBesideApplySeesOneWorld() async throws {
      let dir = try Self.project("sandbox-pair")
      defer { try? FileManager.default.removeItem(at: dir) }
      // watch in a workspace of its own, with a policy that changes nothing.
      let watchPolicies = dir.appendingPathComponent("watch-policies")
      try FileManager.default.createDirectory(at: watchPolicies, withIntermediateDirectories: true)
      try """
      apiVersion: partyline/v1
      kind: ConversationPolicy
      metadata: {name: quiet}
      spec:
        conversation: 4bd53925-0e3f-4032-8ec5-19c148eb8083
        unmute: [{purpose: agent}]
      """.write(to: watchPolicies.appendingPathComponent("quiet.yaml"), atomically: true, encoding: .utf8)
      let watch = Process()
      watch.executableURL = CLI.binary
      watch.arguments = [
        "watch", "--sandbox", "--workspace", "watcher", "--interval", "1h", "watch-policies",
      ]
      watch.currentDirectoryURL = dir
      let err = dir.appendingPathComponent("watch.err")
      _ = FileManager.default.createFile(atPath: err.path, contents: nil)
      watch.standardOutput = FileHandle.nullDevice
      watch.standardError = try FileHandle(forWritingTo: err)
      try watch.run()
      defer { if watch.isRunning { kill(watch.processIdentifier, SIGKILL) } }
      let started = Date()
      while Date().timeIntervalSince(started) < 20,
        !((try? String(contentsOf: err, encoding: .utf8)) ?? "").contains("sandbox:")
      {
        try await Task.sleep(nanoseconds: 50_000_000)
      }

      let apply = try await CLI.run(["apply", "--sandbox", "--yes"], cwd: dir)
      #expect(apply.status == 0, "\(apply.stderr)")
      #expect(apply.stderr.contains("other sandbox runs share"), "\(apply.stderr)")
      #expect(apply.stdout.contains("5 added, 4 muted"), "\(apply.stdout)")

      watch.terminate()
      await watch.exited()
      // The watch exited last: the world is still the one the apply changed, not watch's copy of it.
      let plan = try await CLI.run(["plan", "--sandbox"], cwd: dir)
      #expect(plan.status == 0, "\(plan.stderr)")
      #expect(plan.stdout.contains("No changes."), "\(plan.stdout)")
    }

    @Test func resetStartsAfreshAndStateShowReadsTheSandboxJournal() async throws {
      let dir = try Self.project("sandbox-reset")
      defer { try? FileManager.default.removeItem(at: dir) }
      #expect(try await CLI.run(["apply", "--sandbox", "--yes"], cwd: dir).status == 0)
      let shown = try await CLI.run(["state", "show", "--sandbox"], cwd: dir)
      #expect(shown.status == 0, "\(shown.stderr)")
      #expect(shown.stdout.contains("noisy-line"), "\(shown.stdout)")
      let reset = try await CLI.run(["plan", "--sandbox", "--sandbox-reset"], cwd: dir)
      #expect(reset.status == 0, "\(reset.stderr)")
      #expect(reset.stdout.contains("Plan: 5 to add, 2 to mute"), "\(reset.stdout)")
      let after = try await CLI.run(["state", "show", "--sandbox"], cwd: dir)
      #expect(after.stdout == "No leases.\n", "\(after.stdout)")
    }
  }
}
