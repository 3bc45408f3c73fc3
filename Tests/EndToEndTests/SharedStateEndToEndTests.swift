import Foundation
import PartylineTestSupport
import Testing

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif

/// Runners sharing one PostgreSQL: four at once against one emulator, and a server restart mid-apply.
// Nested in the apply suite, which is serialized: these end-to-end runs go one at a time, beside the
// other suites rather than on top of each other.
extension ApplyEndToEndTests {
  @Suite struct SharedStateEndToEndTests {
    /// An organisation of `count` calls (a customer and an agent each) and four API clients, one per
    /// runner, so the emulator's request log tells the runners apart.
    struct Fleet {
      var conversations: [(id: String, customer: String)]
      let dir: URL

      init(count: Int, dir: URL) throws {
        self.dir = dir
        conversations = (0..<count).map { _ in
          (UUID().uuidString.lowercased(), UUID().uuidString.lowercased())
        }
        var yaml = "clients:\n"
        // The demo client reads conversations for the checks.
        yaml += "  - {id: partyline-demo, secret: partyline-demo-secret, permissions: [\"*\"]}\n"
        for k in 1...4 { yaml += "  - {id: runner-\(k), secret: runner-\(k)-secret, permissions: [\"*\"]}\n" }
        yaml += """
          users:
            - {id: \(Demo.User.ada), name: Ada Agent, email: ada@example.com}
            - {id: \(Demo.User.grace), name: Grace Hopper, email: grace@example.com}
          conversations:

          """
        for (i, c) in conversations.enumerated() {
          yaml += """
              - id: \(c.id)
                participants:
                  - {id: \(c.customer), purpose: customer, state: connected, address: "+49301234\(String(format: "%03d", i))"}
                  - {id: \(UUID().uuidString.lowercased()), purpose: agent, state: connected, user: \(Demo.User.ada)}

            """
        }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try yaml.write(to: dir.appendingPathComponent("org.yaml"), atomically: true, encoding: .utf8)
      }

      var fixture: String { dir.appendingPathComponent("org.yaml").path }

      /// Runner k's policies: mute the customer and add Grace, on the conversations `indices`.
      func policies(_ k: Int, _ indices: [Int]) throws -> String {
        let path = dir.appendingPathComponent("policies-\(k)")
        try FileManager.default.createDirectory(at: path, withIntermediateDirectories: true)
        for i in indices {
          let c = conversations[i]
          let policy = """
            apiVersion: partyline/v1
            kind: ConversationPolicy
            metadata: {name: call-\(i)}
            spec:
              conversation: \(c.id)
              actAs: ada@example.com
              mute:
                - purpose: customer
                  for: 30m
              add:
                - {user: grace@example.com, role: agent}
            """
          try policy.write(
            to: path.appendingPathComponent("call-\(i).yaml"), atomically: true, encoding: .utf8)
        }
        return path.path
      }
    }

    struct LogEntry {
      var time: Date
      var clientId: String
      var method: String
      var path: String
      var status: Int
    }

    static func entries(_ sim: SimProcess) async throws -> [LogEntry] {
      let (_, data) = try await sim.request("GET", "/sim/log")
      let o = try JSONSerialization.jsonObject(with: data) as? [String: Any]
      let f = ISO8601DateFormatter()
      f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
      return (o?["entries"] as? [[String: Any]] ?? []).map {
        LogEntry(
          time: f.date(from: $0["time"] as? String ?? "") ?? .distantPast,
          clientId: $0["clientId"] as? String ?? "",
          method: $0["method"] as? String ?? "", path: $0["path"] as? String ?? "",
          status: $0["status"] as? Int ?? 0)
      }
    }

    @Test(.enabled(if: TestPostgres.runnable, Comment(rawValue: TestPostgres.skipNote)))
    func fourRunnersWithOverlappingPoliciesActOnceAndNeverTogether() async throws {
      let state = try await TestPostgres.freshDatabase("fleet")
      let dir = FileManager.default.temporaryDirectory.appendingPathComponent("partyline-fleet-\(getpid())")
      try? FileManager.default.removeItem(at: dir)
      defer { try? FileManager.default.removeItem(at: dir) }
      let count = 32
      let fleet = try Fleet(count: count, dir: dir)
      let limit = 40
      let sim = try SimProcess(
        [
          "--patch-delay", "50ms", "--connect-delay", "200ms", "--rate-limit", "\(limit)", "--rate-window",
          "1s",
        ],
        fixture: fleet.fixture)
      defer { sim.stop() }
      // Runner k covers 12 calls from 8k: each shares 4 with the next, around the ring.
      let sets = (0..<4).map { k in (0..<12).map { (8 * k + $0) % count } }
      let paths = try (0..<4).map { try fleet.policies($0 + 1, sets[$0]) }
      let started = Date()
      let results = try await withThrowingTaskGroup(of: (Int, CLI.Result).self) { group in
        for k in 0..<4 {
          var env = sim.environment
          env["GENESYSCLOUD_OAUTHCLIENT_ID"] = "runner-\(k + 1)"
          env["GENESYSCLOUD_OAUTHCLIENT_SECRET"] = "runner-\(k + 1)-secret"
          let args = [
            "apply", "--yes", "--state", state, "--workspace", "team-\(k + 1)", "--lock-timeout", "120s",
            paths[k],
          ]
          group.addTask { (k, try await CLI.run(args, environment: env)) }
        }
        var out: [Int: CLI.Result] = [:]
        for try await (k, r) in group { out[k] = r }
        return out
      }
      let elapsed = Date().timeIntervalSince(started)
      for k in 0..<4 {
        #expect(
          results[k]?.status == 0, "runner \(k + 1): \(results[k]?.stdout ?? "")\(results[k]?.stderr ?? "")")
      }
      let log = try await Self.entries(sim)
      // Every intended change made exactly once: one mute and one add per call, whoever made it.
      for (i, c) in fleet.conversations.enumerated() {
        let base = "/api/v2/conversations/calls/\(c.id)/participants"
        // A write the rate limit refused (429) was not made: the client retries it.
        let writes = log.filter {
          ($0.method == "PATCH" && $0.path.hasPrefix(base + "/\(c.customer)"))
            || ($0.method == "POST" && $0.path.hasPrefix(base))
        }
        #expect(
          writes.allSatisfy { (200..<300).contains($0.status) || $0.status == 429 }, "call \(i): \(writes)")
        let made = writes.filter { (200..<300).contains($0.status) }
        #expect(made.filter { $0.method == "PATCH" }.count == 1, "call \(i) muted once")
        #expect(made.filter { $0.method == "POST" }.count == 1, "call \(i) added to once")
        let people = presence(try await sim.conversation(c.id))
        #expect(people[Demo.User.grace] == 1, "call \(i): Grace present once: \(people)")
      }
      // No call acted on by two runners at once: in the log, each call's writes come in one unbroken
      // run per client (plans read without locks; everything written is written under one).
      for (i, c) in fleet.conversations.enumerated() {
        let prefix = "/api/v2/conversations/calls/\(c.id)"
        let mine = log.filter {
          $0.path.hasPrefix(prefix) && $0.clientId.hasPrefix("runner-") && $0.method != "GET"
        }.sorted {
          $0.time < $1.time
        }
        var seen: [String] = []
        for e in mine where seen.last != e.clientId {
          #expect(!seen.contains(e.clientId), "call \(i): \(e.clientId) came back after \(seen.last ?? "")")
          seen.append(e.clientId)
        }
      }
      // And in the journal: each run's span on a call (first intent to last outcome) overlaps no other's.
      let rows = try await TestPostgres.strings(
        state,
        "SELECT conversation || ' ' || run || ' ' || extract(epoch FROM min(at))::text || ' ' || extract(epoch FROM max(at))::text "
          + "FROM partyline_journal GROUP BY conversation, run")
      var spans: [String: [(String, Double, Double)]] = [:]
      for row in rows {
        let p = row.split(separator: " ").map(String.init)
        spans[p[0], default: []].append((p[1], Double(p[2]) ?? 0, Double(p[3]) ?? 0))
      }
      for (conv, list) in spans {
        let sorted = list.sorted { $0.1 < $1.1 }
        for (a, b) in zip(sorted, sorted.dropFirst()) {
          #expect(a.2 <= b.1, "\(conv): run \(a.0) and run \(b.0) overlap")
        }
      }
      let intents = try await TestPostgres.strings(
        state, "SELECT count(*)::text FROM partyline_journal WHERE kind = 'intent'")
      #expect(intents == ["\(2 * count)"], "one intent per change")
      // The figure: total time against the per-token rate limit's bound for the busiest runner.
      var perClient: [String: Int] = [:]
      for e in log where e.clientId.hasPrefix("runner-") { perClient[e.clientId, default: 0] += 1 }
      let busiest = perClient.values.max() ?? 0
      let bound = Double(busiest) / Double(limit)
      // Each runner's span in the emulator's log, and how often the rate limit answered 429.
      let runnerSpans = (1...4).map { k -> String in
        let mine = log.filter { $0.clientId == "runner-\(k)" }
        let from = (mine.map(\.time).min() ?? started).timeIntervalSince(started)
        let to = (mine.map(\.time).max() ?? started).timeIntervalSince(started)
        return "runner-\(k) \(String(format: "%.1f", from))–\(String(format: "%.1f", to))s \(mine.count) req"
      }
      let limited = log.filter { $0.status == 429 }.count
      print(
        "four runners: \(count) calls, \(log.count) requests (busiest client \(busiest), bound \(String(format: "%.1f", bound))s at \(limit)/s per token), \(limited) answered 429, total \(String(format: "%.1f", elapsed))s; \(runnerSpans.joined(separator: ", "))"
      )
    }

    @Test(.enabled(if: TestPostgres.runnable, Comment(rawValue: TestPostgres.skipNote)))
    func postgresRestartMidApplyFailsCleanlyAndAReRunConverges() async throws {
      // A private server: restarting the shared one would break the tests running beside this one.
      let server = try PrivatePostgres()
      defer { server.remove() }
      let project = try await Project.make("restart", .local)
      defer { project.remove() }
      let state = server.url
      let sim = try SimProcess(fast + ["--fault", "POST /api/v2/conversations/calls/*:latency=700ms"])
      defer { sim.stop() }
      let apply = Process()
      apply.executableURL = CLI.binary
      apply.arguments = ["apply", "--yes", "--state", state, project.policies]
      var env = ProcessInfo.processInfo.environment
      for (k, v) in sim.environment { env[k] = v }
      apply.environment = env
      // stderr to a file, not a pipe: the restarted server must not hold a pipe the test reads to its end.
      let errPath = project.dir.appendingPathComponent("apply.err").path
      _ = FileManager.default.createFile(atPath: errPath, contents: nil)
      apply.standardOutput = FileHandle.nullDevice
      apply.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
      try apply.run()
      try await Task.sleep(nanoseconds: 1_200_000_000)
      try server.ctl("stop")
      try await Task.sleep(nanoseconds: 1_000_000_000)
      try server.ctl("start")
      await apply.exited(killAfter: 120)
      let stderr = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
      #expect(apply.terminationReason == .exit, "no crash: \(stderr)")
      let lastLines = stderr.split(separator: "\n").suffix(3).joined(separator: " | ")
      print("PostgreSQL restart mid-apply: the run exited \(apply.terminationStatus): \(lastLines)")
      if apply.terminationStatus != 0 {
        #expect(stderr.contains("PostgreSQL"), "the failure names PostgreSQL: \(stderr)")
      }
      #expect(!stderr.contains("Fatal error"), "\(stderr)")
      // Nothing half recorded: every row is a whole record whose columns match it, and every outcome
      // has its intent.
      let bad = try await TestPostgres.strings(
        state,
        """
        SELECT seq::text FROM partyline_journal
        WHERE record->>'kind' IS DISTINCT FROM kind OR record->>'id' IS DISTINCT FROM id
           OR record->>'conversation' IS DISTINCT FROM conversation OR record->>'workspace' IS DISTINCT FROM workspace
           OR (kind = 'outcome' AND NOT EXISTS
                 (SELECT 1 FROM partyline_journal i WHERE i.kind = 'intent' AND i.id = partyline_journal.id))
        """)
      #expect(bad.isEmpty, "rows not whole or outcomes without intents: \(bad)")
      _ = try await sim.request("DELETE", "/sim/faults")
      var last = try await CLI.run(
        ["apply", "--yes", "--state", state, project.policies], environment: sim.environment)
      if last.status != 0 {
        last = try await CLI.run(
          ["apply", "--yes", "--state", state, project.policies], environment: sim.environment)
      }
      #expect(last.status == 0, "\(last.stdout)\(last.stderr)")
      let room = presence(try await sim.conversation(Demo.Call.warRoom))
      for who in [
        Demo.User.grace, Demo.User.hedy,
        Demo.User.sam, "+4930999888",
      ] {
        #expect(room[who] == 1, "\(who) present once: \(room)")
      }
      let final = try await CLI.run(
        ["plan", "--detailed-exitcode", "--state", state, project.policies], environment: sim.environment)
      #expect(final.status == 0, "\(final.stdout)\(final.stderr)")
    }
  }

  /// A PostgreSQL server of the test's own (scripts/pg), which it may stop and start.
  struct PrivatePostgres {
    let dir: String
    let port: String
    var url: String { "postgres://postgres@127.0.0.1:\(port)/postgres" }

    /// A server on the first free port from `firstPort` (tests that may run at the same time start
    /// from ports of their own: two picking one free port at once would collide).
    /// Where it listens (with `near`, also on a test network's address).
    let listen: String

    /// `trust`: a network (CIDR) whose clients it trusts besides loopback, listening on `near` too.
    /// Ports start below Linux's ephemeral range (32768–60999): a server there could find its port
    /// taken by some test's outgoing connection, which no free-port check sees in advance.
    init(firstPort: Int = 26432, near: String? = nil, trust: String? = nil) throws {
      listen = ["127.0.0.1", near].compactMap { $0 }.joined(separator: ",")
      dir =
        FileManager.default.temporaryDirectory.appendingPathComponent(
          "partyline-pg-\(getpid())-\(UUID().uuidString.prefix(8))"
        ).path
      try? FileManager.default.removeItem(atPath: dir)
      var port = try Self.script(["free-port", String(firstPort)]).trimmingCharacters(
        in: .whitespacesAndNewlines)
      _ = try Self.script(["init", dir])
      if let trust {
        let hba = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/data/pg_hba.conf"))
        try hba.seekToEnd()
        try hba.write(contentsOf: Data("host all all \(trust) trust\n".utf8))
        try hba.close()
      }
      // Started on the first port that takes it: a port found free may be taken a moment later.
      for attempt in 0..<3 {
        do {
          _ = try Self.script(["start", dir, port, listen])
          break
        } catch  where attempt < 2 {
          port = try Self.script(["free-port", String((Int(port) ?? firstPort) + 1)])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        }
      }
      self.port = port
    }

    func ctl(_ verb: String) throws {
      _ = try Self.script(verb == "start" ? [verb, dir, port, listen] : [verb, dir])
    }

    func remove() {
      try? ctl("stop")
      try? FileManager.default.removeItem(atPath: dir)
    }

    struct Failed: Error, CustomStringConvertible { var description: String }

    /// Runs scripts/pg with posix_spawn and waitpid, its output in a file: the server it starts
    /// outlives it, and Foundation's Process was seen to miss such a child's exit.
    @discardableResult
    static func script(_ args: [String]) throws -> String {
      let path = CLI.packageRoot.appendingPathComponent("scripts/pg").path
      let out = FileManager.default.temporaryDirectory.appendingPathComponent(
        "partyline-pg-\(getpid())-\(UUID()).out"
      ).path
      defer { try? FileManager.default.removeItem(atPath: out) }
      var actions = posix_spawn_file_actions_t()
      posix_spawn_file_actions_init(&actions)
      defer { posix_spawn_file_actions_destroy(&actions) }
      posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
      posix_spawn_file_actions_addopen(&actions, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
      posix_spawn_file_actions_adddup2(&actions, 1, 2)
      let argv = ([path] + args).map { strdup($0) } + [nil]
      defer { for a in argv { free(a) } }
      var pid: pid_t = 0
      let rc = posix_spawn(&pid, path, &actions, nil, argv, environ)
      guard rc == 0 else {
        throw Failed(description: "cannot run scripts/pg: \(String(cString: strerror(rc)))")
      }
      var status: Int32 = 0
      while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
      let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
      guard status == 0 else {
        throw Failed(description: "scripts/pg \(args.joined(separator: " ")): \(text)")
      }
      return text
    }
  }
}
