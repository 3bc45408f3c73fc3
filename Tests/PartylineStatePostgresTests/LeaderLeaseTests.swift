import Foundation
import PartylineCore
import PartylineLocal
@testable import PartylineStatePostgres
import PartylineTestSupport
import Testing

/// The lead of a workspace's watchers in a real PostgreSQL (DESIGN §4): one leader at a time, epochs
/// that only grow, a lease timed by the server's clock, and the fence: a journal row written with an
/// epoch that no longer leads is refused.
@Suite(.serialized, .enabled(if: TestPostgres.runnable, Comment(rawValue: TestPostgres.skipNote)))
struct LeaderLeaseTests {
  static let conv = "4bd53925-0e3f-4032-8ec5-19c148eb8083"

  static func record(_ id: String, _ action: PlannedChange.Action = .revert, ws: String = "default")
    -> JournalRecord
  {
    JournalRecord(
      kind: .intent, id: id, at: 1_764_000_000, workspace: ws, run: "r1", action: action, conversation: conv,
      participant: "p1", policy: "noisy-line", directive: "d1", role: nil, actingUser: "u1", reason: nil,
      leaseEnds: nil, status: nil, httpStatus: nil, latencyMs: nil)
  }

  @Test func oneLeadsTheOthersStandByAndEpochsOnlyGrow() async throws {
    let url = try await TestPostgres.freshDatabase("leader")
    let a = try await PostgresStore.open(try PostgresURL(url), holder: "a")
    let b = try await PostgresStore.open(try PostgresURL(url), holder: "b")
    let leaseA = PostgresLeaderLease(store: a, workspace: "default", holder: "watch a")
    let leaseB = PostgresLeaderLease(store: b, workspace: "default", holder: "watch b")
    let night = PostgresLeaderLease(store: b, workspace: "night", holder: "watch b at night")
    #expect(try await leaseA.acquire(lifetime: .seconds(15)) == .won(epoch: 1))
    #expect(try await leaseB.acquire(lifetime: .seconds(15)) == .held(by: "watch a", epoch: 1))
    #expect(
      try await night.acquire(lifetime: .seconds(15)) == .won(epoch: 1), "each workspace has its own leader")
    #expect(try await leaseA.renew(1, lifetime: .seconds(15)))
    #expect(try await leaseB.renew(1, lifetime: .seconds(15)) == false, "only the holder renews")
    // A clean stop: the standby takes over at once, under a greater epoch.
    await leaseA.resign(1)
    #expect(try await leaseB.acquire(lifetime: .seconds(15)) == .won(epoch: 2))
    #expect(try await leaseA.renew(1, lifetime: .seconds(15)) == false)
    #expect(try await leaseA.acquire(lifetime: .seconds(15)) == .held(by: "watch b", epoch: 2))
    // A lease that lapses (by the server's clock) is taken over without a word from its holder.
    #expect(try await leaseB.renew(2, lifetime: .seconds(0.3)))
    try await Task.sleep(nanoseconds: 500_000_000)
    #expect(try await leaseB.renew(2, lifetime: .seconds(15)) == false, "a lapsed lease is not renewed")
    #expect(try await leaseA.acquire(lifetime: .seconds(15)) == .won(epoch: 3))
    for l in [leaseA, leaseB, night] { await l.close() }
    await a.close()
    await b.close()
  }

  /// Fencing: the old leader's writes are refused once another epoch leads, or once its own lease
  /// lapsed; a standby's (epoch 0) are refused; an apply's (no epoch) are not fenced.
  @Test func aWriteOfAnEpochThatNoLongerLeadsIsRefused() async throws {
    let url = try await TestPostgres.freshDatabase("fence")
    let a = try await PostgresStore.open(try PostgresURL(url), holder: "a")
    let b = try await PostgresStore.open(try PostgresURL(url), holder: "b")
    let apply = try await PostgresStore.open(try PostgresURL(url), holder: "apply")
    let leaseA = PostgresLeaderLease(store: a, workspace: "default", holder: "watch a")
    let leaseB = PostgresLeaderLease(store: b, workspace: "default", holder: "watch b")
    let journalA = PostgresJournal(store: a)
    let journalB = PostgresJournal(store: b)
    await b.fence(0)  // a watcher that has not led yet
    #expect(try await leaseA.acquire(lifetime: .seconds(0.5)) == .won(epoch: 1))
    try await journalA.append([Self.record("a1")])
    var refused = await thrown { try await journalB.append([Self.record("b0")]) }
    #expect(
      refused?.contains("epoch 0 was refused: epoch 1 leads workspace default") == true, "\(refused ?? "")")
    // A lapses (paused, cut off); nobody has taken over yet: its write is refused all the same.
    try await Task.sleep(nanoseconds: 700_000_000)
    refused = await thrown { try await journalA.append([Self.record("a2")]) }
    #expect(refused?.contains("its lease on workspace default lapsed") == true, "\(refused ?? "")")
    #expect(try await leaseB.acquire(lifetime: .seconds(15)) == .won(epoch: 2))
    try await journalB.append([Self.record("b1")])
    do {
      try await journalA.append([Self.record("a3")])
      Issue.record("the old leader's write was accepted")
    } catch let f as Fenced {
      #expect(f.description.contains("epoch 1 was refused: epoch 2 leads workspace default"))
    }
    // An apply is not a leader: it writes without an epoch, under its conversation locks.
    try await PostgresJournal(store: apply).append([Self.record("x1")])
    let ids = try await TestPostgres.strings(url, "SELECT id FROM partyline_journal ORDER BY seq")
    #expect(ids == ["a1", "b1", "x1"])
    let epochs = try await TestPostgres.strings(
      url, "SELECT coalesce(epoch::text, '-') FROM partyline_journal ORDER BY seq")
    #expect(epochs == ["1", "2", "-"])
    // The revert of an ex-leader is not taken for an outage and buffered: it fails, so it is not sent.
    let outage = OutageJournal(journalA, patience: .seconds(5), clock: SystemClock())
    refused = await thrown { try await outage.append([Self.record("a4")]) }
    #expect(refused?.contains("epoch 2 leads") == true, "\(refused ?? "")")
    #expect(outage.buffered.isEmpty)
    for l in [leaseA, leaseB] { await l.close() }
    for s in [a, b, apply] { await s.close() }
  }

  /// A resignation is notified: a standby listening learns of it at once.
  @Test func aResignationIsNotifiedToListeners() async throws {
    let url = try await TestPostgres.freshDatabase("notify")
    let a = try await PostgresStore.open(try PostgresURL(url), holder: "a")
    let b = try await PostgresStore.open(try PostgresURL(url), holder: "b")
    let leaseA = PostgresLeaderLease(store: a, workspace: "default", holder: "watch a")
    let leaseB = PostgresLeaderLease(store: b, workspace: "default", holder: "watch b")
    #expect(try await leaseA.acquire(lifetime: .seconds(15)) == .won(epoch: 1))
    let heard = RunSignal()
    let listening = Task { await leaseB.watchChanges { heard.stop() } }
    try await Task.sleep(nanoseconds: 500_000_000)  // the LISTEN is in place
    let t0 = Date()
    await leaseA.resign(1)
    await heard.sleep(until: Date().timeIntervalSince1970 + 5, on: SystemClock())
    #expect(heard.stopped, "no notification within 5 s")
    #expect(Date().timeIntervalSince(t0) < 2)
    listening.cancel()
    #expect(try await leaseB.acquire(lifetime: .seconds(15)) == .won(epoch: 2))
    for l in [leaseA, leaseB] { await l.close() }
    await a.close()
    await b.close()
  }
}
