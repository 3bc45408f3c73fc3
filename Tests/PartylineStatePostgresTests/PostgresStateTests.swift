import Foundation
import PartylineCore
import PartylineLocal
@testable import PartylineStatePostgres
import PartylineTestSupport
import PostgresNIO
import Testing
import WireTime

/// The PostgreSQL backend against a real server (a fresh database per test). Serialized: creating
/// databases all at once loads a small machine enough to upset the timing tests beside these.
@Suite(.serialized, .enabled(if: TestPostgres.runnable, Comment(rawValue: TestPostgres.skipNote)))
struct PostgresStateTests {
  static let conv = "4bd53925-0e3f-4032-8ec5-19c148eb8083"
  static let other = "751093a1-a8ad-4ca4-a113-0f80cc4f35b8"

  /// A run's records: a mute with its outcome, a failed mute, an add, a crash (intent only), a revert.
  static func sampleRecords(now: Double = 1_764_000_000.125) -> [JournalRecord] {
    func r(
      _ kind: JournalRecord.Kind, _ id: String, _ action: PlannedChange.Action, _ conv: String,
      participant: String? = nil, ws: String = "default", at: Double, status: JournalRecord.Status? = nil,
      leaseEnds: Double? = nil, role: String? = nil
    ) -> JournalRecord {
      JournalRecord(
        kind: kind, id: id, at: at, workspace: ws, run: "r1", action: action, conversation: conv,
        participant: participant, policy: "noisy-line", directive: "d1", role: role, actingUser: "u1",
        reason: "it's \"loud\" — ünïcödé", leaseEnds: leaseEnds, status: status,
        httpStatus: status == .ok ? 202 : nil,
        latencyMs: status == nil ? nil : 12)
    }
    return [
      r(.intent, "a", .mute, conv, participant: "p1", at: now, leaseEnds: now + 60),
      r(.outcome, "a", .mute, conv, participant: "p1", at: now + 0.1, status: .ok, leaseEnds: now + 60),
      r(.intent, "b", .mute, conv, participant: "p2", at: now + 1, leaseEnds: now + 90),
      r(.outcome, "b", .mute, conv, participant: "p2", at: now + 1.1, status: .failed, leaseEnds: now + 90),
      r(.intent, "c", .add, other, at: now + 2, role: "agent"),
      r(.outcome, "c", .add, other, at: now + 2.5, status: .ok, role: "agent"),
      r(.intent, "d", .add, other, at: now + 3, role: "supervisor"),
      r(.intent, "e", .mute, other, participant: "p9", at: now + 4, leaseEnds: now + 5),
      r(.intent, "f", .revert, other, participant: "p9", at: now + 6),
      r(.outcome, "f", .revert, other, participant: "p9", at: now + 6.2, status: .ok),
      r(.intent, "g", .mute, conv, participant: "p1", ws: "night", at: now + 7, leaseEnds: now + 100),
    ]
  }

  func open(_ url: String, holder: String = "test holder") async throws -> PostgresStore {
    try await PostgresStore.open(try PostgresURL(url), holder: holder)
  }

  @Test func appendThenReadGivesTheSameRecordsInOrder() async throws {
    let url = try await TestPostgres.freshDatabase("roundtrip")
    let store = try await open(url)
    let journal = PostgresJournal(store: store)
    let records = Self.sampleRecords()
    for r in records.prefix(3) { try await journal.append([r]) }
    try await journal.append(Array(records.dropFirst(3)))
    let back = try await journal.records(workspace: "default")
    #expect(back == records.filter { $0.workspace == "default" })
    #expect(try await journal.allRecords() == records)
    // Indexed columns match the record.
    let kinds = try await TestPostgres.strings(
      url,
      "SELECT workspace || '/' || kind || '/' || id || '/' || conversation FROM partyline_journal ORDER BY seq"
    )
    #expect(kinds.first == "default/intent/a/\(Self.conv)")
    let at = try await TestPostgres.strings(
      url,
      "SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS') FROM partyline_journal LIMIT 1")
    #expect(at == [String(Timestamp.iso8601(records[0].at).prefix(23))])
    await store.close()
  }

  @Test func leasesDerivedAsTheLocalBackendDerivesThem() async throws {
    let url = try await TestPostgres.freshDatabase("leases")
    let store = try await open(url)
    let pg = PostgresJournal(store: store)
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("partyline-pg-leases-\(getpid())")
      .path
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let local = try LocalJournal(directory: dir)
    for r in Self.sampleRecords() {
      try await pg.append([r])
      try await local.append([r])
    }
    for ws in ["default", "night", "nobody"] {
      let a = JournalState(try await pg.records(workspace: ws), workspace: ws)
      let b = JournalState(try await local.records(workspace: ws), workspace: ws)
      #expect(a.leases == b.leases)
      #expect(a.addedRoles == b.addedRoles)
    }
    let state = JournalState(try await pg.records(workspace: "default"), workspace: "default")
    #expect(state.leases.map(\.participant) == ["p9", "p1"])
    #expect(state.leases.map(\.status) == [.served, .open])
    #expect(state.addedRoles[Self.other] == ["agent": 1, "supervisor": 1])
    await store.close()
  }

  @Test func migrationIsIdempotentAndSafeWhenRunnersStartAtOnce() async throws {
    let url = try await TestPostgres.freshDatabase("migrate")
    try await withThrowingTaskGroup(of: Void.self) { group in
      for i in 0..<6 {
        group.addTask {
          let s = try await PostgresStore.open(try PostgresURL(url), holder: "runner \(i)")
          await s.close()
        }
      }
      for try await _ in group {}
    }
    let again = try await open(url)
    #expect(await again.schemaVersion == PostgresSchema.latest)
    await again.close()
    let versions = try await TestPostgres.strings(
      url, "SELECT version::text || ' ' || description FROM partyline_schema_version ORDER BY version")
    #expect(
      versions == [
        "1 journal and lock holders", "2 conversations that may hold an open lease",
        "3 watcher leader leases and fenced journal writes", "4 recording pauses open leases",
      ])
  }

  /// A journal written before the table of open-lease candidates existed: the migration fills it
  /// from the journal, so a run after the upgrade finds every open lease without reading everything.
  @Test func theMigrationFindsTheOpenLeasesOfAnOlderJournal() async throws {
    let url = try await TestPostgres.freshDatabase("backfill")
    let first = try await open(url)
    try await PostgresJournal(store: first).append(Self.sampleRecords())
    await first.close()
    // Back to schema 1, with its rows (as an older Partyline left them).
    for sql in [
      "DELETE FROM partyline_schema_version WHERE version = 4",
      "DROP TRIGGER partyline_journal_fence ON partyline_journal", "DROP FUNCTION partyline_fence()",
      "DROP TABLE partyline_leaders", "ALTER TABLE partyline_journal DROP COLUMN epoch",
      "DELETE FROM partyline_schema_version WHERE version = 3",
      "DROP TRIGGER partyline_journal_mutes ON partyline_journal", "DROP FUNCTION partyline_note_mute()",
      "DROP TABLE partyline_open_leases", "DELETE FROM partyline_schema_version WHERE version = 2",
    ] {
      _ = try await TestPostgres.strings(url, sql)
    }
    let store = try await open(url)
    let journal = PostgresJournal(store: store)
    let every = try await journal.allRecords()
    for workspace in ["default", "night"] {
      var want = JournalSlice(cutting: every, workspace: workspace, conversations: [], open: true)
      for c in want.conversations { want.counts[c] = every.filter { $0.conversation == c }.count }
      #expect(!want.conversations.isEmpty)
      #expect(try await journal.slice(workspace: workspace, conversations: [], open: true) == want)
    }
    await store.close()
  }

  @Test func aNewerSchemaIsRefused() async throws {
    let url = try await TestPostgres.freshDatabase("newer")
    let s = try await open(url)
    await s.close()
    _ = try await TestPostgres.strings(
      url, "INSERT INTO partyline_schema_version (version, description) VALUES (99, 'future') RETURNING 'x'")
    let error = await thrown { _ = try await self.open(url) }
    #expect(error?.contains("schema version 99, newer than this partyline") == true, "\(error ?? "no error")")
  }

  @Test func readOnlyOpenOfAnEmptyDatabaseCreatesNothing() async throws {
    let url = try await TestPostgres.freshDatabase("readonly")
    let s = try await PostgresStore.open(try PostgresURL(url), holder: "plan", migrate: false)
    #expect(try await PostgresJournal(store: s).records(workspace: "default").isEmpty)
    await s.close()
    let tables = try await TestPostgres.strings(
      url, "SELECT tablename::text FROM pg_tables WHERE tablename LIKE 'partyline%'")
    #expect(tables.isEmpty)
  }

  @Test func contendingLockersWaitAndNameTheHolder() async throws {
    let url = try await TestPostgres.freshDatabase("contend")
    let a = try await open(url, holder: "partyline pid 1 on ci-a, workspace day")
    let b = try await open(url, holder: "partyline pid 2 on ci-b, workspace night")
    let lockA = PostgresLocker(store: a)
    let lockB = PostgresLocker(store: b)
    let held = try await lockA.lock(Self.conv, within: .seconds(5))
    // Another conversation is free: per conversation, not per run.
    let otherLock = try await lockB.lock(Self.other, within: .milliseconds(400))
    let started = Date()
    let error = await thrown { _ = try await lockB.lock(Self.conv, within: .milliseconds(400)) }
    // The seconds are what the wait took, which a loaded machine stretches.
    #expect(
      error?.hasPrefix(
        "conversation \(Self.conv) is locked by partyline pid 1 on ci-a, workspace day; gave up after ")
        == true, "\(error ?? "no error")")
    #expect(error?.hasSuffix("s (--lock-timeout)") == true)
    #expect(Date().timeIntervalSince(started) >= 0.4)
    #expect(try await a.currentLocks().map(\.conversation) == [Self.conv, Self.other].sorted())
    // Released: the waiter gets it.
    Task {
      try await Task.sleep(nanoseconds: 300_000_000)
      await held.release()
    }
    let got = try await lockB.lock(Self.conv, within: .seconds(5))
    await got.release()
    await otherLock.release()
    #expect(try await a.currentLocks().isEmpty)
    await a.close()
    await b.close()
  }

  @Test func twoTasksOfOneProcessDoNotShareALock() async throws {
    let url = try await TestPostgres.freshDatabase("sameprocess")
    let a = try await open(url, holder: "partyline pid 1 here")
    let locker = PostgresLocker(store: a)
    let first = Task { try await locker.lock(Self.conv, within: .milliseconds(300)) }
    let second = Task { try await locker.lock(Self.conv, within: .milliseconds(300)) }
    let results = [await thrown { _ = try await first.value }, await thrown { _ = try await second.value }]
    #expect(results.filter { $0 == nil }.count == 1, "one task holds it: \(results)")
    #expect(
      results.compactMap { $0 }.first?.contains("is locked by partyline pid 1 here") == true,
      "\(results.map { $0 ?? "held" })")
    await a.close()
  }

  @Test func aLockIsReleasedWhenItsSessionDies() async throws {
    let url = try await TestPostgres.freshDatabase("dies")
    let a = try await open(url, holder: "partyline pid 1 on gone")
    _ = try await PostgresLocker(store: a).lock(Self.conv, within: .seconds(1))
    // The holder's connection dies (as when its process is killed): the server ends the session.
    _ = try await TestPostgres.strings(
      url,
      "SELECT pg_terminate_backend(pid)::text FROM pg_stat_activity "
        + "WHERE application_name LIKE 'partyline locks%' AND datname = current_database()")
    let b = try await open(url, holder: "partyline pid 2")
    let lock = try await PostgresLocker(store: b).lock(Self.conv, within: .seconds(3))
    // The dead holder's note was replaced; an intent from the run that lost its lock is refused.
    #expect(try await b.currentLocks().map(\.holder) == ["partyline pid 2"])
    let intent = Self.sampleRecords()[0]
    let error = await thrown { try await PostgresJournal(store: a).append([intent]) }
    #expect(
      error?.contains("lost the PostgreSQL session holding the lock on conversation \(Self.conv)") == true,
      "\(error ?? "no error")")
    // Its outcome is still recorded (through the journal connection).
    try await PostgresJournal(store: a).append([Self.sampleRecords()[1]])
    #expect(try await PostgresJournal(store: b).records(workspace: "default").map(\.kind) == [.outcome])
    await lock.release()
    await a.close()
    await b.close()
  }

  /// Every session asks the server for TCP keepalives (10 s idle, 5 s apart, 3 probes): a runner that
  /// vanishes without closing its connection loses its session and its advisory locks within about
  /// 25 s, not the kernel's default of about 2 h. (Cutting a connection half-open needs a network of
  /// its own; this checks the sessions carry the settings.)
  @Test func sessionsAskForTCPKeepalives() async throws {
    let url = try await TestPostgres.freshDatabase("keepalive")
    let store = try await open(url)
    let settings = try await store.withRetry { c in
      var out: [String] = []
      let rows = try await c.query(
        "SELECT current_setting('tcp_keepalives_idle') || ' ' || current_setting('tcp_keepalives_interval') || ' ' || current_setting('tcp_keepalives_count')",
        logger: store.logger)
      for try await (text, ) in rows.decode((String,).self) { out.append(text) }
      return out
    }
    #expect(settings == ["10 5 3"])
    await store.close()
  }

  /// DESIGN §5, clocks: with PostgreSQL every runner times its records and leases on the server's
  /// clock. Two runners whose own clocks are 3 h ahead and 2 h behind measure their offsets, then agree
  /// on now within a second; a lease one writes is no clock-skew finding for the other.
  @Test func runnersHoursApartAgreeOnTheServersClock() async throws {
    struct Skewed: RuntimeClock {
      var skew: Double
      func now() -> Double { Date().timeIntervalSince1970 + skew }
      func sleep(until deadline: Double) async throws {}
    }
    let url = try await TestPostgres.freshDatabase("clock")
    let store = try await open(url)
    let ahead = Skewed(skew: 3 * 3600)
    let behind = Skewed(skew: -2 * 3600)
    let offsetA = try await store.clockOffset(local: { ahead.now() })
    let offsetB = try await store.clockOffset(local: { behind.now() })
    #expect(abs(offsetA + 3 * 3600) < 1)
    #expect(abs(offsetB - 2 * 3600) < 1)
    #expect(abs(try await store.clockOffset()) < 1)  // this machine's clock is the server's
    let a = OffsetClock(ahead, offset: offsetA)
    let b = OffsetClock(behind, offset: offsetB)
    #expect(abs(a.now() - b.now()) < 1)
    #expect(abs(a.now() - Date().timeIntervalSince1970) < 1)

    // Runner A opens a 5-minute lease; runner B reads it on its own clock: open, not in the future.
    let journal = PostgresJournal(store: store)
    let at = a.now()
    let mute = JournalRecord(
      kind: .intent, id: "m", at: at, workspace: "default", run: "a", action: .mute, conversation: Self.conv,
      participant: "p1", policy: "noisy-line", directive: "d1", actingUser: "u1", leaseEnds: at + 300)
    var outcome = mute
    outcome.kind = .outcome
    outcome.at = a.now()
    outcome.status = .ok
    try await journal.append([mute, outcome])
    let state = JournalState(try await journal.records(workspace: "default"), workspace: "default")
    #expect(state.retimes(now: b.now(), workspace: "default", run: "b").isEmpty)
    #expect(state.leases.filter { $0.status == .open }.map(\.participant) == ["p1"])
    #expect(state.leases.first.map { abs($0.endsAt - (b.now() + 300)) < 2 } == true)
    await store.close()
  }

  /// Compaction deletes whole conversations whose every row is older than the cutoff and that hold no
  /// open lease, as the local journal does; reads stay incremental and see the rows that remain.
  @Test func compactionDropsOldServedHistoryAndKeepsTheRest() async throws {
    let url = try await TestPostgres.freshDatabase("compact")
    let store = try await open(url)
    let journal = PostgresJournal(store: store)
    let now = Date().timeIntervalSince1970
    let old = now - 40 * 86_400
    try await journal.append(JournalHistory.mute(Self.conv, at: old, served: true))
    try await journal.append(JournalHistory.mute(Self.other, at: old, served: false))
    try await journal.append(JournalHistory.mute("recent", at: now - 3600, served: true))
    #expect(try await journal.records(workspace: "default").count == 10)
    let report = try await journal.compact(cutoff: now - 30 * 86_400)
    #expect(report.dropped == 4)
    #expect(report.conversations == 1)
    try await journal.append(JournalHistory.mute("after", at: now, served: false))
    let fresh = try await open(url)
    for reader in [journal, PostgresJournal(store: fresh)] {
      let counts = Dictionary(grouping: try await reader.records(workspace: "default"), by: \.conversation)
        .mapValues(\.count)
      #expect(counts == [Self.other: 2, "recent": 4, "after": 2])
    }
    await fresh.close()
    await store.close()
  }

  /// A run reads a slice, never the whole journal: the conversations asked for and those that may
  /// hold an open lease (`partyline_open_leases`, kept by a trigger); what it reads is exactly what
  /// cutting every record holds, and a candidate found without an open lease leaves the table.
  @Test func slicesAreTheWholeJournalsSlicesAndCandidatesArePruned() async throws {
    let url = try await TestPostgres.freshDatabase("slices")
    let store = try await open(url)
    let journal = PostgresJournal(store: store)
    let all = JournalHistory.random(600, seed: 11).compactMap { JournalRecord.parse(Substring($0)) }
    var rng = SeededRandom(12)
    var written = 0
    while written < all.count {
      let n = min(all.count - written, Int(rng.next() % 150) + 1)
      try await journal.append(Array(all[written..<written + n]))
      written += n
      let every = try await journal.allRecords()
      for workspace in ["default", "other"] {
        let asked = Set((0..<3).map { _ in "conv-\(rng.next() % 70)" })
        for open in [true, false] {
          var want = JournalSlice(cutting: every, workspace: workspace, conversations: asked, open: open)
          for c in want.conversations { want.counts[c] = every.filter { $0.conversation == c }.count }
          let got = try await journal.slice(workspace: workspace, conversations: asked, open: open)
          #expect(got == want, "workspace \(workspace), open \(open), after \(written) records")
        }
      }
    }
    // After a read of open leases, the candidates left are the conversations with one.
    let candidates = try await store.withRetry { c in
      var out: [String] = []
      for try await (cid, ) in try await c.query(
        "SELECT conversation FROM partyline_open_leases WHERE workspace = 'default' ORDER BY 1",
        logger: store.logger
      ).decode((String,).self) {
        out.append(cid)
      }
      return out
    }
    let open = JournalState(try await journal.records(workspace: "default"), workspace: "default").leases
      .filter { $0.status == .open }.map(\.conversation)
    #expect(candidates == Set(open).sorted())
    await store.close()
  }

  @Test func unlockEndsTheHoldingSessionAndClearsTheNote() async throws {
    let url = try await TestPostgres.freshDatabase("unlock")
    let a = try await open(url, holder: "partyline pid 1 stuck")
    _ = try await PostgresLocker(store: a).lock(Self.conv, within: .seconds(1))
    let admin = try await PostgresStore.open(try PostgresURL(url), holder: "state unlock", migrate: false)
    let report = try await admin.unlock(Self.conv)
    #expect(report.terminated.map(\.holder) == ["partyline pid 1 stuck"])
    let b = try await open(url, holder: "partyline pid 2")
    let lock = try await PostgresLocker(store: b).lock(Self.conv, within: .seconds(3))
    await lock.release()
    let again = try await admin.unlock(Self.conv)
    #expect(again.terminated.isEmpty)
    await admin.close()
    await a.close()
    await b.close()
  }

  @Test func errorsNeverShowThePassword() async throws {
    let server = try TestPostgres.require()
    var c = URLComponents(string: server)!
    c.password = "hunter2-secret"
    c.port = 1  // nothing listens there
    let text = await thrown {
      _ = try await PostgresStore.open(try PostgresURL(c.string!), holder: "x", retryBudget: 0)
    }
    #expect(text?.contains("cannot reach PostgreSQL at postgres://") == true, "\(text ?? "no error")")
    #expect(text?.contains(":***@") == true)
    #expect(text?.contains("hunter2") == false)
  }
}

/// The error `body` throws, as text; nil when it throws none.
func thrown(_ body: () async throws -> Void) async -> String? {
  do {
    try await body()
    return nil
  } catch {
    return "\(error)"
  }
}
