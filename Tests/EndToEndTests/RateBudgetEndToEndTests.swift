import Foundation
import Testing

/// The on-time promise against an emulator as strict as Genesys: no rate-limit headers, one budget
/// per token, more calls than a full reconcile can read every interval. Scaled down for CI (20
/// requests per 4 s window is 300 a minute; 30 calls, 6 s mutes, a 3 s interval), same ratios as
/// the full run by hand (200 calls, 40 s mutes, 15 s interval, 300/min).
extension ApplyEndToEndTests {
  @Suite struct RateBudgetEndToEndTests {
    static let calls = 30

    /// A world of `calls` conversations (a customer and an agent each) and one policy each muting the
    /// customer for `mute`.
    static func world(_ name: String, mute: String) throws -> (dir: URL, fixture: String, policies: String) {
      let dir = FileManager.default.temporaryDirectory.appendingPathComponent("partyline-\(name)-\(getpid())")
      try? FileManager.default.removeItem(at: dir)
      try FileManager.default.createDirectory(
        at: dir.appendingPathComponent("policies"), withIntermediateDirectories: true)
      var f =
        "clients:\n  - id: partyline-demo\n    secret: partyline-demo-secret\n    permissions: [\"*\"]\nusers:\n"
      for i in 0..<calls { f += "  - {id: \(GeneratedWorld.uuid(1, i)), name: Agent \(i)}\n" }
      f += "conversations:\n"
      for i in 0..<calls {
        f += "  - id: \(GeneratedWorld.uuid(2, i))\n    participants:\n"
        f +=
          "      - {id: \(GeneratedWorld.uuid(3, i)), purpose: customer, state: connected, address: \"+4930\(100000 + i)\"}\n"
        f +=
          "      - {id: \(GeneratedWorld.uuid(4, i)), purpose: agent, state: connected, user: \(GeneratedWorld.uuid(1, i))}\n"
        try """
        apiVersion: partyline/v1
        kind: ConversationPolicy
        metadata: {name: c\(i)}
        spec:
          conversation: \(GeneratedWorld.uuid(2, i))
          mute: [{purpose: customer, for: \(mute)}]
        """.write(to: dir.appendingPathComponent("policies/c\(i).yaml"), atomically: true, encoding: .utf8)
      }
      let fixture = dir.appendingPathComponent("org.yaml").path
      try f.write(toFile: fixture, atomically: true, encoding: .utf8)
      return (dir, fixture, dir.appendingPathComponent("policies").path)
    }

    static func records(_ state: String) throws -> [[String: Any]] {
      let text = (try? String(contentsOfFile: state + "/journal.jsonl", encoding: .utf8)) ?? ""
      return text.split(separator: "\n").compactMap {
        try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
      }
    }

    static func time(_ iso: String?) -> Double? {
      guard let iso else { return nil }
      let f = ISO8601DateFormatter()
      f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
      return f.date(from: iso)?.timeIntervalSince1970
    }

    @Test func watchRevertsOnTimeWithoutHeadersAndStopsPromptly() async throws {
      let w = try Self.world("budget", mute: "6s")
      defer { try? FileManager.default.removeItem(at: w.dir) }
      let sim = try SimProcess(
        ["--rate-limit", "20", "--rate-window", "4s", "--patch-delay", "50ms"], fixture: w.fixture)
      defer { sim.stop() }
      let state = w.dir.appendingPathComponent("state").path
      let watch = Process()
      watch.executableURL = CLI.binary
      watch.arguments = [
        "watch", "--interval", "3s", "--rate-limit", "20", "--rate-window", "4", "--state", state, w.policies,
      ]
      var env = ProcessInfo.processInfo.environment
      for (k, v) in sim.environment { env[k] = v }
      watch.environment = env
      let err = w.dir.appendingPathComponent("watch.err")
      _ = FileManager.default.createFile(atPath: err.path, contents: nil)
      watch.standardOutput = FileHandle.nullDevice
      watch.standardError = try FileHandle(forWritingTo: err)
      try watch.run()
      defer { if watch.isRunning { kill(watch.processIdentifier, SIGKILL) } }
      try await Task.sleep(nanoseconds: 26_000_000_000)

      // SIGTERM: out within 5 s, and nothing new sent after it.
      let signalled = Date()
      watch.terminate()
      while watch.isRunning && Date().timeIntervalSince(signalled) < 10 {
        try await Task.sleep(nanoseconds: 50_000_000)
      }
      let took = Date().timeIntervalSince(signalled)
      let stderr = (try? String(contentsOf: err, encoding: .utf8)) ?? ""
      #expect(!watch.isRunning && took < 5, "watch took \(took) s to stop:\n\(stderr.suffix(800))")
      #expect(stderr.contains("watch stopped"), "\(stderr.suffix(500))")
      let log = try await sim.log()
      let late = log.filter {
        ($0.1.hasPrefix("/api/") || $0.1 == "/oauth/token")
          && (Self.time($0.3) ?? 0) > signalled.timeIntervalSince1970 + 1
      }
      #expect(late.isEmpty, "requests after the signal (beyond those in flight): \(late.prefix(5))")
      #expect(log.filter { $0.2 == "429" }.count <= 2, "the own count keeps under the limit")

      // Every lease that ended while watch ran was reverted at most 2 s late, by the emulator's clock.
      let records = try Self.records(state)
      // The mutes that went out (a mute the budget could not send before its lease ended is not sent).
      let sent = Set(
        records.filter {
          $0["kind"] as? String == "outcome" && $0["action"] as? String == "mute"
            && $0["status"] as? String == "ok"
        }
        .compactMap { $0["id"] as? String })
      var ends: [String: Double] = [:]
      for r in records where r["kind"] as? String == "intent" && r["action"] as? String == "mute" {
        guard let id = r["id"] as? String, sent.contains(id) else { continue }
        if let p = r["participant"] as? String, let e = r["leaseEnds"] as? Double {
          ends[p] = min(ends[p] ?? e, e)
        }
      }
      #expect(ends.count >= 5, "mutes were admitted and sent: \(ends.count)")
      let (_, historyData) = try await sim.request("GET", "/sim/history")
      let events =
        (try JSONSerialization.jsonObject(with: historyData) as? [String: Any])?["events"] as? [[String: Any]]
        ?? []
      var unmutedAt: [String: Double] = [:]
      for e in events where e["event"] as? String == "unmuted" {
        if let p = e["participantId"] as? String, let t = Self.time(e["requestedAt"] as? String) {
          unmutedAt[p] = min(unmutedAt[p] ?? t, t)
        }
      }
      var worst = 0.0
      for (p, end) in ends where end < signalled.timeIntervalSince1970 - 2 {
        let mine = records.filter { $0["participant"] as? String == p }.map {
          "\($0["kind"] ?? "") \($0["action"] ?? "") \($0["status"] ?? "") \($0["t"] ?? "") \($0["error"] ?? "")"
        }
        let t = try #require(
          unmutedAt[p],
          "the lease of \(p), ended at \(end), was not reverted; journal: \(mine); watch: \(stderr.suffix(1500))"
        )
        worst = max(worst, t - end)
      }
      #expect(worst <= 2, "worst revert \(worst) s late")
      print(
        "rate budget e2e: \(ends.count) mutes, worst revert \(String(format: "%.2f", worst)) s late, stopped in \(String(format: "%.2f", took)) s"
      )
    }
  }
}
