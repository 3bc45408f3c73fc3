import Foundation
import PartylineCore
import PartylineStatePostgres
import PartylineTestSupport
import Testing
import WireTime

/// Watchers that survive their machine (DESIGN §4), end to end: two `watch` processes on one
/// workspace in a real PostgreSQL, each with an OAuth client of its own so the emulator's log says who
/// sent what; 20 leases end over the next 40 s; the leader is killed. Every lease must be reverted —
/// within 20 s of its end after a crash, within 2 s after a clean stop — none twice, and the standby
/// must send nothing while it stands by.
extension ApplyEndToEndTests {
  @Suite(.serialized, .enabled(if: TestPostgres.runnable, Comment(rawValue: TestPostgres.skipNote)))
  struct FailoverEndToEndTests {
    static func uuid(_ kind: Int, _ n: Int) -> String { GeneratedWorld.uuid(kind, n) }
    static let calls = 20

    /// A world of 20 calls, a policy per call muting its customer for 8 s, 10 s, … 46 s, and two clients.
    static func world(_ name: String) throws -> (dir: URL, fixture: String, policies: String) {
      let dir = FileManager.default.temporaryDirectory.appendingPathComponent("partyline-\(name)-\(getpid())")
      try? FileManager.default.removeItem(at: dir)
      let policies = dir.appendingPathComponent("policies")
      try FileManager.default.createDirectory(at: policies, withIntermediateDirectories: true)
      var f = "clients:\n"
      for c in ["a", "b"] { f += "  - {id: watch-\(c), secret: secret-\(c), permissions: [\"*\"]}\n" }
      f += "users:\n"
      for i in 0..<calls { f += "  - {id: \(uuid(1, i)), name: Agent \(i)}\n" }
      f += "conversations:\n"
      for i in 0..<calls {
        f += "  - id: \(uuid(2, i))\n    participants:\n"
        f +=
          "      - {id: \(uuid(3, i)), purpose: customer, state: connected, address: \"+4930\(100000 + i)\"}\n"
        f += "      - {id: \(uuid(4, i)), purpose: agent, state: connected, user: \(uuid(1, i))}\n"
        try """
        apiVersion: partyline/v1
        kind: ConversationPolicy
        metadata: {name: call-\(i)}
        spec:
          conversation: \(uuid(2, i))
          mute: [{purpose: customer, for: \(8 + 2 * i)s}]
        """.write(to: policies.appendingPathComponent("call-\(i).yaml"), atomically: true, encoding: .utf8)
      }
      let fixture = dir.appendingPathComponent("org.yaml").path
      try f.write(toFile: fixture, atomically: true, encoding: .utf8)
      return (dir, fixture, policies.path)
    }

    struct Write {
      var client: String
      var time: Double
      var path: String
    }

    /// The changes sent to calls (not reads, not the token or the notification channel), by client.
    static func writes(_ sim: SimProcess) async throws -> [Write] {
      let (_, data) = try await sim.request("GET", "/sim/log")
      let o = try JSONSerialization.jsonObject(with: data) as? [String: Any]
      return (o?["entries"] as? [[String: Any]] ?? []).compactMap { e in
        guard let method = e["method"] as? String, method != "GET",
          let path = e["path"] as? String, path.hasPrefix("/api/v2/conversations"),
          let time = (e["time"] as? String).flatMap(Timestamp.parse)
        else { return nil }
        return Write(client: e["clientId"] as? String ?? "?", time: time, path: path)
      }
    }

    /// What befalls the leader once its mutes are out and the standby stands by.
    enum Fault {
      /// A signal: SIGKILL (a crash, a machine gone) or SIGTERM (a clean stop).
      case signal(Int32)
      /// Its connections to the database stop passing anything, and nobody closes them (a partition):
      /// the leader reaches PostgreSQL through a forwarder that is then frozen (SIGSTOP).
      case cutFromDatabase
    }

    struct Outcome {
      var late: [String: Double] = [:]
      var unmutes: [String: Int] = [:]
      var killedAt = 0.0
      var writes: [Write] = []
      var standbyErr = ""
      var leaderErr = ""
      /// Journal rows of the old leader's epoch written after the new leader took over.
      var fencedThrough = -1
      /// Each watcher's `/readyz` while both ran: status, role, epoch.
      var roles: [String] = []
      /// The `leader:` lines of `state show` while both ran.
      var shownLeader: [String] = []
    }

    /// Runs the two watchers, kills the leader with `signal` once its 20 mutes are journalled and the
    /// standby stands by, and waits until every customer is unmuted (or `timeout` passes).
    static func run(_ name: String, _ fault: Fault, timeout: Double = 75) async throws -> Outcome {
      let w = try world(name)
      defer { try? FileManager.default.removeItem(at: w.dir) }
      let url = try await TestPostgres.freshDatabase(name.replacingOccurrences(of: "-", with: "_"))
      let sim = try SimProcess(fast, fixture: w.fixture)
      defer { sim.stop() }
      func env(_ c: String) -> [String: String] {
        var e = sim.environment
        e["GENESYSCLOUD_OAUTHCLIENT_ID"] = "watch-\(c)"
        e["GENESYSCLOUD_OAUTHCLIENT_SECRET"] = "secret-\(c)"
        return e
      }
      let args = ["watch", "--interval", "60s", "--listen", "127.0.0.1:0", "--state", url, w.policies]
      // Cut from the database: the leader's connections pass a forwarder on 127.0.0.2.
      var forwarder: Process?
      var argsA = args
      if case .cutFromDatabase = fault {
        let u = try #require(URLComponents(string: url))
        forwarder = try NetworkCut.forwarder(
          wrapper: [], listen: "127.0.0.2", port: u.port!, target: "127.0.0.1")
        var far = u
        far.host = "127.0.0.2"
        far.query = "sslmode=disable"
        argsA = ["watch", "--interval", "60s", "--listen", "127.0.0.1:0", "--state", far.string!, w.policies]
      }
      defer {
        if let forwarder {
          kill(forwarder.processIdentifier, SIGCONT)
          kill(forwarder.processIdentifier, SIGKILL)
        }
      }
      let a = try SelectEndToEndTests.Watch(argsA, environment: env("a"), dir: w.dir, name: "a")
      defer { a.terminate() }
      let store = try await PostgresStore.open(try PostgresURL(url), holder: "test")
      defer { Task { await store.close() } }
      let journal = PostgresJournal(store: store)
      var mutes: [JournalRecord] = []
      let muted = try await SelectEndToEndTests.wait(30) {
        let records = try await journal.allRecords()
        mutes = records.filter { $0.kind == .intent && $0.action == .mute }
        return records.filter { $0.kind == .outcome && $0.action == .mute && $0.status == .ok }.count == calls
      }
      try #require(muted, "20 mutes by the first watcher: \(a.stderr.suffix(2000))")
      #expect(a.stderr.contains("leading workspace 'default' (epoch 1)"), "\(a.stderr.suffix(1500))")
      let b = try SelectEndToEndTests.Watch(args, environment: env("b"), dir: w.dir, name: "b")
      defer { b.terminate() }
      let standing = await SelectEndToEndTests.wait(20) { b.stderr.contains("standing by") }
      try #require(standing, "the second watcher stands by: \(b.stderr.suffix(1500))")
      var out = Outcome()
      // /readyz says who leads and who stands by, and both are ready.
      for watch in [a, b] {
        let port = try #require(OperatingEndToEndTests.port(watch.stderr), "\(watch.stderr)")
        var (status, body) = (0, "")
        _ = try await SelectEndToEndTests.wait(10) {
          (status, body) = try await OperatingEndToEndTests.get(port, "/readyz")
          return status == 200
        }
        let r = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
        out.roles.append("\(status) \(r?["role"] ?? "?") \(r?["epoch"] ?? "?")")
      }
      // `state show` says who leads.
      let shown = try await CLI.run(["state", "show", "--state", url], environment: env("a"))
      out.shownLeader = shown.stdout.split(separator: "\n").filter { $0.hasPrefix("leader:") }.map(
        String.init)
      out.killedAt = Date().timeIntervalSince1970
      switch fault {
      case .signal(let signal):
        kill(a.process.processIdentifier, signal)
        await a.process.exited(killAfter: 10)
      case .cutFromDatabase:
        kill(forwarder!.processIdentifier, SIGSTOP)
      }
      let ends = Dictionary(
        mutes.compactMap { r in r.participant.flatMap { p in r.leaseEnds.map { (p, $0) } } },
        uniquingKeysWith: max)
      _ = try await SelectEndToEndTests.wait(timeout) {
        let h = try await SelectEndToEndTests.history(sim)
        return (0..<calls).allSatisfy { i in
          h.contains { $0["participantId"] as? String == uuid(3, i) && $0["event"] as? String == "unmuted" }
        }
      }
      try await Task.sleep(nanoseconds: 1_000_000_000)  // a second revert, were there one, shows too
      for e in try await SelectEndToEndTests.history(sim) where e["event"] as? String == "unmuted" {
        guard let p = e["participantId"] as? String, let t = (e["time"] as? String).flatMap(Timestamp.parse),
          let end = ends[p]
        else { continue }
        out.unmutes[p, default: 0] += 1
        if out.late[p] == nil { out.late[p] = t - end }
      }
      if case .cutFromDatabase = fault {
        // The partition heals: what the old leader still had to write (its renewal, the records of the
        // reverts it made while cut off) reaches the database, and is refused.
        kill(forwarder!.processIdentifier, SIGCONT)
        try await Task.sleep(nanoseconds: 4_000_000_000)
        let n = try await TestPostgres.strings(
          url,
          "SELECT count(*)::text FROM partyline_journal WHERE epoch = 1 AND written_at >= (SELECT since FROM partyline_leaders WHERE workspace = 'default')"
        )
        out.fencedThrough = Int(n.first ?? "") ?? -1
      }
      out.writes = try await writes(sim)
      out.standbyErr = b.stderr
      out.leaderErr = a.stderr
      _ = await b.stop()
      return out
    }

    static func check(_ o: Outcome, within bound: Double) {
      #expect(o.late.count == calls, "reverted: \(o.late.count) of \(calls)\n\(o.standbyErr.suffix(2500))")
      for (p, late) in o.late.sorted(by: { $0.key < $1.key }) {
        // Early by at most the revert slack (a tenth of the lease, at most 60 s): `for` is an upper bound.
        #expect(late <= bound && late >= -5, "\(p) unmuted \(late) s after its lease ended")
      }
      #expect(o.unmutes.values.allSatisfy { $0 == 1 }, "reverted twice: \(o.unmutes.filter { $0.value > 1 })")
      // One sender at any instant: the standby sent nothing before the leader died, the leader nothing after.
      let fromA = o.writes.filter { $0.client == "watch-a" }
      let fromB = o.writes.filter { $0.client == "watch-b" }
      #expect(fromA.count >= calls, "the first watcher's mutes")
      #expect(!fromB.isEmpty, "the second watcher's reverts")
      if let lastA = fromA.map(\.time).max(), let firstB = fromB.map(\.time).min() {
        #expect(lastA < firstB, "the two watchers' writes overlap")
        #expect(firstB > o.killedAt, "the standby wrote before the leader stopped")
      }
      #expect(o.standbyErr.contains("leading workspace 'default' (epoch 2)"), "\(o.standbyErr.suffix(1500))")
      #expect(o.roles == ["200 leader 1", "200 standby 1"])
      #expect(o.shownLeader.count == 1, "\(o.shownLeader)")
      #expect(
        o.shownLeader.first?.hasPrefix("leader: workspace default: partyline pid ") == true
          && o.shownLeader.first?.hasSuffix("(epoch 1, lease running)") == true, "\(o.shownLeader)")
    }

    @Test func aStandbyTakesOverWithin20sOfTheLeadersDeath() async throws {
      let o = try await Self.run("failover-kill", .signal(SIGKILL))
      Self.check(o, within: 20)
      let worst = o.late.values.max() ?? 0
      print("failover after SIGKILL: worst revert \(String(format: "%.2f", worst)) s after its lease ended")
    }

    @Test func aStandbyTakesOverWithin2sOfTheLeadersCleanStop() async throws {
      let o = try await Self.run("failover-term", .signal(SIGTERM))
      Self.check(o, within: 2)
      #expect(
        o.leaderErr.contains("resigned the lead of workspace 'default' (epoch 1)"),
        "\(o.leaderErr.suffix(1500))")
      let worst = o.late.values.max() ?? 0
      print("failover after SIGTERM: worst revert \(String(format: "%.2f", worst)) s after its lease ended")
    }

    /// The leader's connections to the database pass nothing any more, and nothing closes them: it
    /// cannot renew, so it stops — 1 s before its lease could lapse — and the standby takes over once
    /// the lease has lapsed by the database's clock. Until it stops it reverts (journalled once it can);
    /// then it sends nothing. When the partition heals, the journal rows it still had to write carry an
    /// epoch that no longer leads: refused.
    @Test func aLeaderCutOffFromTheDatabaseStopsBeforeItsLeaseLapses() async throws {
      let o = try await Self.run("failover-cut", .cutFromDatabase)
      Self.check(o, within: 20)
      #expect(
        o.leaderErr.contains("lost the lead of workspace 'default' (epoch 1)"), "\(o.leaderErr.suffix(1500))")
      func stamp(_ text: String, _ line: String) -> Double? {
        text.split(separator: "\n").first { $0.contains(line) }.flatMap {
          Timestamp.parse(String($0.prefix(24)))
        }
      }
      let lost = stamp(o.leaderErr, "lost the lead of workspace 'default' (epoch 1)")
      let taken = stamp(o.standbyErr, "leading workspace 'default' (epoch 2)")
      if let lost, let taken { #expect(lost < taken, "the old leader stopped after the new one started") }
      #expect(o.fencedThrough == 0, "rows of the old epoch written after the takeover: \(o.fencedThrough)")
      let worst = o.late.values.max() ?? 0
      print("failover after a cut: worst revert \(String(format: "%.2f", worst)) s after its lease ended")
    }
  }
}

/// With a local state directory one watcher runs per workspace: a second says why it cannot start, and
/// exits 1 without sending anything; another workspace in the same directory may have its own.
@Suite struct LocalWatcherTests {
  @Test func aSecondWatcherOnALocalStateDirectoryRefusesToStartAndSaysWhy() async throws {
    let project = try await Project.make("one-watcher", .local, muteFor: "5m")
    defer { project.remove() }
    let sim = try SimProcess(fast)
    defer { sim.stop() }
    let args = ["watch", "--interval", "60s", "--state", project.state, project.policies]
    let first = try SelectEndToEndTests.Watch(
      args, environment: sim.environment, dir: project.dir, name: "first")
    defer { first.terminate() }
    #expect(await SelectEndToEndTests.wait(15) { first.stderr.contains("watching") }, "\(first.stderr)")
    let second = try await project.run(["watch", "--interval", "60s"], sim)
    #expect(second.status == 1)
    #expect(
      second.stderr.contains(
        "another watch keeps workspace 'default' in \(project.state) (partyline pid \(first.process.processIdentifier) on"
      ),
      "\(second.stderr)")
    #expect(second.stderr.contains("keep the state in PostgreSQL"))
    let night = try SelectEndToEndTests.Watch(
      ["watch", "--workspace", "night", "--interval", "60s", "--state", project.state, project.policies],
      environment: sim.environment, dir: project.dir, name: "night")
    defer { night.terminate() }
    try await Task.sleep(nanoseconds: 1_500_000_000)
    #expect(night.process.isRunning, "\(night.stderr)")
    #expect(await first.stop() < 10)
    // Its lock goes with it: the next watcher starts.
    let third = try SelectEndToEndTests.Watch(
      args, environment: sim.environment, dir: project.dir, name: "third")
    defer { third.terminate() }
    #expect(await SelectEndToEndTests.wait(15) { third.stderr.contains("watching") }, "\(third.stderr)")
    try await Task.sleep(nanoseconds: 500_000_000)
    #expect(third.process.isRunning, "\(third.stderr)")
  }
}
