import Foundation
import PartylineCore
import PartylineTestSupport
import Testing
import WireTime

/// The on-time promise on a saturated token, on events: calls keep arriving in a selected queue at
/// about twice what the token can carry, so admission holds mutes back and releases them in bursts,
/// and the leases of a burst end together. Every revert must still come on time — not one of them
/// may wait for a window the other requests have filled. Scaled down from `Benchmarks/events` (300
/// requests per 60 s, 500 calls over 150 s, 30 s mutes) to 60 requests per 6 s window, 5 calls a
/// second for 20 s, 3 s mutes.
extension ApplyEndToEndTests {
  @Suite(.serialized) struct SaturationEndToEndTests {
    static let queue = "bbbbbbbb-0000-4000-8000-000000000001"
    static func uuid(_ kind: Int, _ n: Int) -> String { GeneratedWorld.uuid(kind, n) }
    static func time(_ iso: String?) -> Double? { iso.flatMap(Timestamp.parse) }

    struct Outcome {
      var muted = 0
      var late: [(participant: String, by: Double)] = []
      var unreverted: [String] = []
      var mutedAfterWindow: [String] = []
      var requests = 0
      /// Seconds from each call's start to its customer's mute, by the emulator's clock, over the
      /// calls muted.
      var muteLatency: [Double] = []
      /// Mutes the rate budget held back (`waiting` in the watch's reports).
      var heldBack = 0
      /// Participant PATCHes answered 4xx (not 429): sent on a call that had ended.
      var refusedChanges = 0
      var throttled = 0
      var stderr = ""
    }

    /// Runs `watch` on events against a queue receiving `calls` calls over `ramp` seconds (each lasting
    /// `life` seconds, its customer muted for `mute`), then stops it and compares the emulator's
    /// history with the journal's leases.
    static func run(
      _ name: String, calls: Int = 100, ramp: Double = 20, life: Double = 10, mute: Int = 3,
      fromConnect: Bool = false
    ) async throws -> Outcome {
      let dir = FileManager.default.temporaryDirectory.appendingPathComponent("partyline-\(name)-\(getpid())")
      try? FileManager.default.removeItem(at: dir)
      try FileManager.default.createDirectory(
        at: dir.appendingPathComponent("policies"), withIntermediateDirectories: true)
      var f =
        "clients:\n  - {id: partyline-demo, secret: partyline-demo-secret, permissions: [\"*\"]}\nusers:\n"
      for i in 0..<calls { f += "  - {id: \(uuid(1, i)), name: Agent \(i)}\n" }
      f += "queues:\n  - {id: \(queue), name: Inbound}\nconversations: []\n"
      let fixture = dir.appendingPathComponent("org.yaml").path
      try f.write(toFile: fixture, atomically: true, encoding: .utf8)
      try """
      apiVersion: partyline/v1
      kind: ConversationPolicy
      metadata: {name: greeting}
      spec:
        select: {queue: Inbound}
        mute: [{purpose: customer, for: \(mute)s\(fromConnect ? ", from: connect" : "")}]
      """.write(to: dir.appendingPathComponent("policies/p.yaml"), atomically: true, encoding: .utf8)
      defer {
        if ProcessInfo.processInfo.environment["PARTYLINE_KEEP"] == nil {
          try? FileManager.default.removeItem(at: dir)
        }
      }

      let rate = ["--rate-limit", "60", "--rate-window", "6s"]
      let sim = try SimProcess(rate + ["--patch-delay", "100ms"], fixture: fixture)
      defer { sim.stop() }
      let state = dir.appendingPathComponent("state").path
      let watch = Process()
      watch.executableURL = CLI.binary
      watch.arguments =
        ["watch", "--interval", "1m"] + rate + [
          "--state", state, dir.appendingPathComponent("policies").path,
        ]
      var env = ProcessInfo.processInfo.environment
      for (k, v) in sim.environment { env[k] = v }
      env["NO_COLOR"] = "1"
      watch.environment = env
      let err = dir.appendingPathComponent("watch.err")
      _ = FileManager.default.createFile(atPath: err.path, contents: nil)
      let outFile = dir.appendingPathComponent("watch.out")
      _ = FileManager.default.createFile(atPath: outFile.path, contents: nil)
      watch.standardOutput = try FileHandle(forWritingTo: outFile)
      watch.standardError = try FileHandle(forWritingTo: err)
      try watch.run()
      defer { if watch.isRunning { kill(watch.processIdentifier, SIGKILL) } }
      try await Task.sleep(nanoseconds: 1_500_000_000)

      // The traffic: a call every ramp/calls seconds, each ended `life` seconds after it started.
      var ends: [(at: Double, id: String)] = []
      var endedAt: [String: Double] = [:]  // by customer participant
      var startedAt: [String: Double] = [:]
      let t0 = Date().timeIntervalSince1970
      func endDue(_ now: Double) async throws {
        while let first = ends.first, first.at <= now {
          ends.removeFirst()
          _ = try await sim.request("POST", "/sim/conversations/\(first.id)/end")
        }
      }
      for n in 0..<calls {
        let at = t0 + Double(n) * ramp / Double(calls)
        try await endDue(Date().timeIntervalSince1970)
        let wait = at - Date().timeIntervalSince1970
        if wait > 0 { try await Task.sleep(nanoseconds: UInt64(wait * 1e9)) }
        let body = """
          {"conversations": [{"id": "\(uuid(3, n))", "queue": "\(queue)", "direction": "inbound", "participants": [
            {"id": "\(uuid(4, n))", "purpose": "customer", "state": "connected", "address": "+4930\(100000 + n)"},
            {"id": "\(uuid(5, n))", "purpose": "agent", "state": "connected", "user": "\(uuid(1, n))"}]}]}
          """
        let (status, _) = try await sim.request("POST", "/sim/conversations", body: body)
        #expect(status == 200)
        startedAt[uuid(4, n)] = Date().timeIntervalSince1970
        ends.append((Date().timeIntervalSince1970 + life, uuid(3, n)))
        endedAt[uuid(4, n)] = Date().timeIntervalSince1970 + life
      }
      while let first = ends.first {
        let wait = first.at - Date().timeIntervalSince1970
        if wait > 0 { try await Task.sleep(nanoseconds: UInt64(wait * 1e9)) }
        try await endDue(Date().timeIntervalSince1970)
      }
      try await Task.sleep(nanoseconds: 1_000_000_000)
      watch.terminate()
      let signalled = Date()
      while watch.isRunning && Date().timeIntervalSince(signalled) < 10 {
        try await Task.sleep(nanoseconds: 50_000_000)
      }

      var out = Outcome()
      out.stderr = (try? String(contentsOf: err, encoding: .utf8)) ?? ""
      let log = try await sim.log()
      out.requests = log.filter { $0.1.hasPrefix("/api/") }.count
      out.throttled = log.filter { $0.2 == "429" }.count
      // A mute sent after its call ended is refused (the acting user is no participant any more).
      out.refusedChanges = log.filter { $0.0 == "PATCH" && $0.2.hasPrefix("4") && $0.2 != "429" }.count
      let records = try JournalAudit.local(state)
      let sent = Set(records.of(.outcome, .mute).filter { $0.status == .ok }.map(\.id))
      var leaseEnds: [String: Double] = [:]
      for r in records.of(.intent, .mute) where sent.contains(r.id) {
        if let p = r.participant, let e = r.leaseEnds { leaseEnds[p] = min(leaseEnds[p] ?? e, e) }
      }
      out.muted = leaseEnds.count
      let (_, historyData) = try await sim.request("GET", "/sim/history")
      let events =
        (try JSONSerialization.jsonObject(with: historyData) as? [String: Any])?["events"] as? [[String: Any]]
        ?? []
      var unmutedAt: [String: Double] = [:]
      var mutedAt: [String: Double] = [:]
      for e in events {
        guard let p = e["participantId"] as? String, let t = time(e["requestedAt"] as? String) else {
          continue
        }
        if e["event"] as? String == "unmuted" { unmutedAt[p] = min(unmutedAt[p] ?? t, t) }
        if e["event"] as? String == "muted" { mutedAt[p] = min(mutedAt[p] ?? t, t) }
      }
      for (p, end) in leaseEnds {
        // A lease whose call ended before it did needs no revert.
        if let callEnd = endedAt[p], callEnd <= end + 0.5 { continue }
        guard let t = unmutedAt[p] else {
          out.unreverted.append(p)
          continue
        }
        if t - end > 1 { out.late.append((p, t - end)) }
      }
      // A mute after its call ended, or (from: connect) after its window from the call's start.
      for (p, t) in mutedAt {
        let windowEnd = fromConnect ? (startedAt[p] ?? 0) + Double(mute) : .infinity
        if (endedAt[p] ?? .infinity) <= t || t > windowEnd { out.mutedAfterWindow.append(p) }
      }
      out.muteLatency = mutedAt.compactMap { p, t in startedAt[p].map { t - $0 } }.sorted()
      let reports = (try? String(contentsOf: outFile, encoding: .utf8)) ?? ""
      out.heldBack = reports.split(separator: "\n").filter { $0.contains("waiting (held back") }.count
      let p95 = out.muteLatency.isEmpty ? 0 : out.muteLatency[(out.muteLatency.count * 95 + 99) / 100 - 1]
      print(
        "saturation e2e (\(name)): \(out.muted) of \(calls) calls muted, \(out.requests) requests (\(String(format: "%.2f", Double(out.requests) / Double(max(1, out.muted)))) per muted call), mute p95 \(String(format: "%.2f", p95)) s after the call's start, \(out.heldBack) reports of mutes held back, \(out.throttled) 429s, \(out.refusedChanges) changes refused, \(out.late.count) reverts late (worst \(String(format: "%.2f", out.late.map(\.by).max() ?? 0)) s), \(out.unreverted.count) not reverted"
      )
      return out
    }

    /// A load the token carries at two requests per muted call but not at four (3 calls a second,
    /// 10 requests a second), a 2 s greeting mute `from: connect`: almost every call muted within 2 s
    /// of its start, none after its window, at most 2.2 requests per muted call, every revert on time.
    @Test func atTheFloorAMutedCallCostsItsMuteAndItsRevert() async throws {
      let r = try await Self.run("floor", calls: 72, ramp: 24, life: 9, mute: 2, fromConnect: true)
      #expect(r.muted >= 68, "calls muted: \(r.muted) of 72\n\(r.stderr.suffix(800))")
      let requestsPerMute = Double(r.requests) / Double(max(1, r.muted))
      #expect(requestsPerMute <= 2.2, "\(r.requests) requests for \(r.muted) muted calls")
      let within = r.muteLatency.filter { $0 <= 2 }.count
      #expect(Double(within) >= 0.95 * 72, "muted within 2 s: \(within) of 72 (\(r.muteLatency.suffix(5)))")
      #expect(r.late.isEmpty, "reverts more than 1 s late: \(r.late.sorted { $0.by > $1.by }.prefix(5))")
      #expect(r.unreverted.isEmpty, "not reverted before the call ended: \(r.unreverted.prefix(5))")
      #expect(r.mutedAfterWindow.isEmpty, "muted after the window: \(r.mutedAfterWindow.prefix(5))")
      #expect(r.throttled <= 2, "\(r.throttled) 429s")
    }

    /// Twice what the token can carry (10 calls a second), a 3 s greeting mute `from: connect`: mutes
    /// are held back, and still every revert is on time and no mute goes out after its window.
    @Test func atSaturationEveryRevertIsOnTimeAndNoMuteIsLate() async throws {
      let r = try await Self.run("saturation", calls: 200, ramp: 20, life: 10, mute: 3, fromConnect: true)
      #expect(r.muted >= 10, "mutes were admitted and sent: \(r.muted)\n\(r.stderr.suffix(800))")
      #expect(r.heldBack > 0, "the budget held mutes back and said so")
      #expect(
        r.late.isEmpty,
        "\(r.late.count) reverts more than 1 s late: \(r.late.sorted { $0.by > $1.by }.prefix(5))")
      #expect(r.unreverted.isEmpty, "not reverted before the call ended: \(r.unreverted.prefix(5))")
      #expect(r.mutedAfterWindow.isEmpty, "muted after the call ended: \(r.mutedAfterWindow.prefix(5))")
      #expect(r.refusedChanges == 0, "\(r.refusedChanges) changes sent on calls that had ended")
      #expect(r.throttled <= 2, "the own count keeps under the limit: \(r.throttled) 429s")
    }
  }
}
