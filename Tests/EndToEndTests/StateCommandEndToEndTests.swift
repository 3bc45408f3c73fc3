import Foundation
import PartylineLocal
import PartylineStatePostgres
import PartylineTestSupport
import Testing

/// `partyline state show` and `state unlock` on both backends.
// Nested in the apply suite, which is serialized: these end-to-end runs go one at a time, beside the
// other suites rather than on top of each other.
extension ApplyEndToEndTests {
  @Suite struct StateCommandEndToEndTests {
    /// `state compact` drops the history of calls that ended more than --keep ago and says how much;
    /// open leases and recent history stay; a bad --keep or a missing journal is an error.
    @Test func compactDropsOldServedHistory() async throws {
      let dir = FileManager.default.temporaryDirectory.appendingPathComponent("partyline-compact-\(getpid())")
      try? FileManager.default.removeItem(at: dir)
      defer { try? FileManager.default.removeItem(at: dir) }
      let missing = try await CLI.run(["state", "compact", "--state", dir.path])
      #expect(missing.status == 1)
      #expect(missing.stderr.contains("no journal at"), "\(missing.stderr)")
      let journal = try LocalJournal(directory: dir.path)
      let now = Date().timeIntervalSince1970
      try await journal.append(JournalHistory.mute(Demo.Call.noisy, at: now - 40 * 86_400, served: true))
      try await journal.append(JournalHistory.mute(Demo.Call.warRoom, at: now - 40 * 86_400, served: false))
      try await journal.append(JournalHistory.mute(Demo.Call.coaching, at: now - 86_400, served: true))
      let bad = try await CLI.run(["state", "compact", "--state", dir.path, "--keep", "30"])
      #expect(bad.status != 0)
      #expect(bad.stderr.contains("--keep"), "\(bad.stderr)")
      let run = try await CLI.run(["state", "compact", "--state", dir.path])
      #expect(run.status == 0, "\(run.stderr)")
      #expect(run.stdout == "Compacted: 4 records of 1 ended conversation dropped, 6 kept.\n")
      let left = Set(try journal.allRecords().map(\.conversation))
      #expect(left == [Demo.Call.warRoom, Demo.Call.coaching])
      let shorter = try await CLI.run(["state", "compact", "--state", dir.path, "--keep", "12h"])
      #expect(shorter.stdout == "Compacted: 4 records of 1 ended conversation dropped, 2 kept.\n")
    }

    @Test(arguments: [Backend.local]) func showListsTheLeasesInTextAndJSON(_ backend: Backend) async throws {
      let project = try await Project.make("show", backend)
      defer { project.remove() }
      let sim = try SimProcess(fast)
      defer { sim.stop() }
      if backend == .local {
        // A state path that does not exist is a mistake (a typo, the wrong directory), not "no leases".
        let missing = try await CLI.run(["state", "show", "--state", project.state])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("no state at '\(project.state)': the directory does not exist"))
        try FileManager.default.createDirectory(atPath: project.state, withIntermediateDirectories: true)
      }
      let empty = try await CLI.run(["state", "show", "--state", project.state])
      #expect(empty.status == 0, "\(empty.stderr)")
      #expect(empty.stdout == "No leases.\n")
      #expect(try await project.run(["apply", "--yes"], sim).status == 0)
      let text = try await CLI.run(["state", "show", "--state", project.state])
      #expect(text.status == 0, "\(text.stderr)")
      let lines = text.stdout.split(separator: "\n")
      #expect(lines.first?.hasPrefix("WORKSPACE  POLICY      CONVERSATION") == true, "\(text.stdout)")
      #expect(lines.count == 2)
      #expect(
        lines.last?.contains("default    noisy-line  \(Demo.Call.noisy)  \(Demo.Participant.noisyCustomer)")
          == true)
      #expect(lines.last?.hasSuffix("  open") == true)
      let json = try await CLI.run([
        "state", "show", "--state", project.state, "--format", "json", "--workspace", "default",
      ])
      let o = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
      let leases = try #require(o["leases"] as? [[String: Any]])
      #expect(leases.count == 1)
      #expect(leases.first?["participant"] as? String == Demo.Participant.noisyCustomer)
      #expect(leases.first?["status"] as? String == "open")
      #expect((o["locks"] as? [Any])?.isEmpty == true)
      let other = try await CLI.run(["state", "show", "--state", project.state, "--workspace", "night"])
      #expect(other.stdout == "No leases.\n")
    }

    @Test func localUnlockClearsAStaleNoteButCannotBreakALiveLock() async throws {
      let project = try await Project.make("unlock", .local)
      defer { project.remove() }
      let locks = project.state + "/locks"
      try FileManager.default.createDirectory(atPath: locks, withIntermediateDirectories: true)
      let file = "\(locks)/\(Demo.Call.noisy).lock"
      try "partyline pid 999999 on gone, workspace default\n".write(
        toFile: file, atomically: true, encoding: .utf8)
      let stale = try await CLI.run(["state", "unlock", Demo.Call.noisy, "--state", project.state])
      #expect(stale.status == 0, "\(stale.stderr)")
      #expect(
        stale.stdout.contains("was not locked; removed a stale holder note (partyline pid 999999 on gone"))
      #expect(try String(contentsOfFile: file, encoding: .utf8).isEmpty)
      // A live holder: flock(1) holds the file while it sleeps.
      try "partyline pid 4242 on here\n".write(toFile: file, atomically: false, encoding: .utf8)
      let holder = Process()
      holder.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
      holder.arguments = [file, "sleep", "5"]
      try holder.run()
      defer { holder.terminate() }
      try await Task.sleep(nanoseconds: 300_000_000)
      let live = try await CLI.run(["state", "unlock", Demo.Call.noisy, "--state", project.state])
      #expect(live.status == 1)
      #expect(
        live.stderr.contains("is locked by partyline pid 4242 on here, a live process"), "\(live.stderr)")
      #expect(live.stderr.contains("cannot be broken from outside"))
    }

    @Test(.enabled(if: TestPostgres.runnable, Comment(rawValue: TestPostgres.skipNote)))
    func showListsTheLeasesInTextAndJSONOnPostgreSQL() async throws {
      try await showListsTheLeasesInTextAndJSON(.postgres)
    }

    @Test(.enabled(if: TestPostgres.runnable, Comment(rawValue: TestPostgres.skipNote)))
    func postgresUnlockEndsTheHoldingSession() async throws {
      let project = try await Project.make("pgunlock", .postgres)
      defer { project.remove() }
      let store = try await PostgresStore.open(
        try PostgresURL(project.state), holder: "partyline pid 4242 on stuck")
      _ = try await PostgresLocker(store: store).lock(Demo.Call.noisy, within: .seconds(1))
      let shown = try await CLI.run(["state", "show", "--state", project.state])
      #expect(
        shown.stdout.contains("locked: \(Demo.Call.noisy) by partyline pid 4242 on stuck"), "\(shown.stdout)")
      let r = try await CLI.run(["state", "unlock", Demo.Call.noisy, "--state", project.state])
      #expect(r.status == 0, "\(r.stderr)")
      #expect(r.stdout.contains("unlocked: ended PostgreSQL session"), "\(r.stdout)")
      #expect(r.stdout.contains("held by partyline pid 4242 on stuck"))
      let again = try await CLI.run(["state", "unlock", Demo.Call.noisy, "--state", project.state])
      #expect(again.stdout == "conversation \(Demo.Call.noisy) was not locked.\n", "\(again.stdout)")
      await store.close()
    }

    @Test(.enabled(if: TestPostgres.runnable, Comment(rawValue: TestPostgres.skipNote)))
    func planAndDryRunWriteNothingToPostgres() async throws {
      let project = try await Project.make("dryrun", .postgres)
      defer { project.remove() }
      let sim = try SimProcess(fast)
      defer { sim.stop() }
      #expect(try await project.run(["plan"], sim).status == 0)
      let dry = try await project.run(["apply", "--dry-run"], sim)
      #expect(dry.status == 0, "\(dry.stderr)")
      #expect(dry.stdout.contains("nothing was changed"))
      let tables = try await TestPostgres.strings(
        project.state, "SELECT tablename::text FROM pg_tables WHERE tablename LIKE 'partyline%'")
      #expect(tables.isEmpty, "a dry run created \(tables)")
    }

    @Test func aPasswordInTheStateURLIsNeverPrinted() async throws {
      let url = "postgres://partyline:hunter2-secret@127.0.0.1:1/partyline?sslmode=disable"
      for args in [["state", "show", "--state", url], ["state", "unlock", Demo.Call.noisy, "--state", url]] {
        let r = try await CLI.run(args)
        #expect(r.status == 1)
        #expect(r.stderr.contains("postgres://partyline:***@127.0.0.1:1/partyline"), "\(r.stderr)")
        #expect(!(r.stdout + r.stderr).contains("hunter2"))
      }
      let viaEnv = try await CLI.run(
        ["apply", "--yes", "policies"],
        environment: [
          "PARTYLINE_STATE": url, "GENESYSCLOUD_ACCESS_TOKEN": "x",
          "GENESYSCLOUD_API_URL": "http://127.0.0.1:1",
        ])
      #expect(viaEnv.status == 1)
      #expect(!(viaEnv.stdout + viaEnv.stderr).contains("hunter2"), "\(viaEnv.stderr)")
      let typo = try await CLI.run(["state", "show", "--state", "postgress://u:hunter2@h/db"])
      #expect(typo.status == 1)
      #expect(typo.stderr.contains("invalid PostgreSQL state URL"), "\(typo.stderr)")
      #expect(!typo.stderr.contains("hunter2"))
    }
  }
}
