import WireTime
import PartylineCore
import PartylineTestSupport
import Synchronization
import Testing

/// A lease kept in memory on the test's clock, with the rules of the PostgreSQL one (a lapsed or own
/// lease is taken under a new epoch; only the holder renews, before it lapses), and a switch that cuts
/// one campaigner off: its calls then fail, or never answer.
final class MemoryLeaderLease: Sendable {
  enum Cut: Sendable { case none, failing, hanging }
  struct Row {
    var holder: String
    var instance: Int
    var epoch: Int64
    var expires: Double
  }
  let clock: ManualClock
  let row = Mutex<Row?>(nil)
  let listeners = Mutex<[@Sendable () -> Void]>([])
  init(clock: ManualClock) { self.clock = clock }

  /// One campaigner's view of the lease.
  final class Seat: LeaderLease {
    let lease: MemoryLeaderLease
    let holder: String
    let instance: Int
    let cut = Mutex(Cut.none)
    init(_ lease: MemoryLeaderLease, _ holder: String, _ instance: Int) {
      (self.lease, self.holder, self.instance) = (lease, holder, instance)
    }
    struct Unreachable: Error {}
    func reach() async throws {
      switch cut.withLock({ $0 }) {
      case .none: return
      case .failing: throw Unreachable()
      case .hanging: try await Task.sleep(nanoseconds: 3_600_000_000_000)
      }
    }
    func acquire(lifetime: Duration) async throws -> LeaderClaim {
      try await reach()
      let now = lease.clock.now()
      return lease.row.withLock { r in
        if let held = r, held.expires > now, held.instance != instance {
          return .held(by: held.holder, epoch: held.epoch)
        }
        let epoch = (r?.epoch ?? 0) + 1
        r = Row(holder: holder, instance: instance, epoch: epoch, expires: now + lifetime.inSeconds)
        return .won(epoch: epoch)
      }
    }
    func renew(_ epoch: Int64, lifetime: Duration) async throws -> Bool {
      try await reach()
      let now = lease.clock.now()
      return lease.row.withLock { r in
        guard let held = r, held.epoch == epoch, held.instance == instance, held.expires > now else {
          return false
        }
        r!.expires = now + lifetime.inSeconds
        return true
      }
    }
    func resign(_ epoch: Int64) async {
      guard (try? await reach()) != nil else { return }
      let now = lease.clock.now()
      let resigned = lease.row.withLock { r -> Bool in
        guard let held = r, held.epoch == epoch, held.instance == instance else { return false }
        r!.expires = now
        return true
      }
      if resigned { for l in lease.listeners.withLock({ $0 }) { l() } }
    }
    func watchChanges(_ changed: @escaping @Sendable () -> Void) async {
      lease.listeners.withLock { $0.append(changed) }
    }
  }
}

/// What a campaigner did: its notices and, per term, the epoch and when its signal stopped.
final class Campaigner: Sendable {
  let notices = Mutex<[LeaderNotice]>([])
  let terms = Mutex<[(epoch: Int64, from: Double, to: Double?)]>([])
  let stop = RunSignal()
  var leading: Bool { terms.withLock { $0.last.map { $0.to == nil } ?? false } }

  func start(_ seat: MemoryLeaderLease.Seat, clock: ManualClock) -> Task<Void, Never> {
    var campaign = Campaign(lease: seat, clock: clock)
    campaign.notify = { [self] n in self.notices.withLock { $0.append(n) } }
    return Task { [self] in
      await campaign.run(signal: self.stop) { epoch, term in
        let i = self.terms.withLock { t -> Int in
          t.append((epoch, clock.now(), nil))
          return t.count - 1
        }
        await term.waitStopped()
        self.terms.withLock { $0[i].to = clock.now() }
      }
    }
  }
}

@Suite struct CampaignTests {
  static let t0 = 1_800_000_000.0

  @Test func oneLeadsAndAStandbyTakesOverAtOnceAfterACleanStop() async throws {
    let clock = ManualClock(now: Self.t0)
    let lease = MemoryLeaderLease(clock: clock)
    let (a, b) = (Campaigner(), Campaigner())
    let ta = a.start(MemoryLeaderLease.Seat(lease, "watch a", 1), clock: clock)
    #expect(await ManualClock.eventually { a.leading })
    let tb = b.start(MemoryLeaderLease.Seat(lease, "watch b", 2), clock: clock)
    #expect(
      await ManualClock.eventually { b.notices.withLock { $0 } == [.standingBy(leader: "watch a", epoch: 1)] }
    )
    // A minute of renewals: a keeps the lead, b stands by.
    for _ in 0..<60 { clock.advance(by: 1); _ = await clock.step(limit: clock.now()) }
    #expect(a.leading && !b.leading)
    #expect(b.notices.withLock { $0.count } == 1, "standing by is said once")
    a.stop.stop()
    await ta.value
    // The resignation is heard: b leads without waiting for a poll or a lapse.
    #expect(await ManualClock.eventually { b.leading })
    #expect(b.terms.withLock { $0.first?.epoch } == 2)
    #expect(a.notices.withLock { $0 } == [.leading(epoch: 1), .resigned(epoch: 1)])
    #expect(b.terms.withLock { $0.first?.from } == a.terms.withLock { $0.first?.to }, "no time passed")
    b.stop.stop()
    await tb.value
  }

  /// Cut off from the state (calls fail): the leader keeps the lead, for reverts, until 1 s before its
  /// lease could lapse — 14 s after the last renewal was sent — then stops; the standby takes over at
  /// the lapse (15 s), so their terms never overlap.
  @Test(arguments: [MemoryLeaderLease.Cut.failing, .hanging])
  func aLeaderThatCannotRenewStopsBeforeItsLeaseLapses(_ cut: MemoryLeaderLease.Cut) async throws {
    let clock = ManualClock(now: Self.t0)
    let lease = MemoryLeaderLease(clock: clock)
    let (a, b) = (Campaigner(), Campaigner())
    let seatA = MemoryLeaderLease.Seat(lease, "watch a", 1)
    let ta = a.start(seatA, clock: clock)
    #expect(await ManualClock.eventually { a.leading })
    let tb = b.start(MemoryLeaderLease.Seat(lease, "watch b", 2), clock: clock)
    #expect(await ManualClock.eventually { !b.notices.withLock { $0 }.isEmpty })
    clock.advance(to: Self.t0 + 5)  // the first renewal, at t0 + 5
    #expect(await ManualClock.eventually { lease.row.withLock { $0?.expires } == Self.t0 + 20 })
    seatA.cut.withLock { $0 = cut }
    for _ in 0..<40 {
      clock.advance(by: 0.5)
      // Settle longer than the default: under the full suite's load a campaign woken at t0 + 19 took
      // more than 20 ms to record its stop, and the clock had moved on to t0 + 19.5 by then.
      _ = await clock.step(limit: clock.now(), quiet: 0.1)
    }
    let termA = try #require(a.terms.withLock { $0.first })
    let termB = try #require(b.terms.withLock { $0.first })
    #expect(termA.to == Self.t0 + 19, "stopped 1 s before the lease (renewed at t0 + 5) could lapse")
    #expect(termB.from >= Self.t0 + 20 && termB.from <= Self.t0 + 21, "took over at the lapse, by the poll")
    #expect(termB.epoch == 2)
    let notices = a.notices.withLock { $0 }
    #expect(notices.first == .leading(epoch: 1))
    #expect(notices.contains { if case .lost(1, _) = $0 { true } else { false } })
    #expect(
      notices.contains { if case .renewalFailing = $0 { true } else { false } }, "said before it is lost")
    a.stop.stop()
    b.stop.stop()
    await ta.value
    await tb.value
  }

  /// A leader whose renewal finds another epoch leading (it was paused past its lease) stops at once.
  @Test func aLeaderThatFindsAnotherLeadingStopsAtOnce() async throws {
    let clock = ManualClock(now: Self.t0)
    let lease = MemoryLeaderLease(clock: clock)
    let a = Campaigner()
    let ta = a.start(MemoryLeaderLease.Seat(lease, "watch a", 1), clock: clock)
    #expect(await ManualClock.eventually { a.leading })
    lease.row.withLock { $0 = .init(holder: "watch b", instance: 2, epoch: 7, expires: Self.t0 + 60) }
    clock.advance(to: Self.t0 + 5)
    #expect(await ManualClock.eventually { !a.leading })
    #expect(a.terms.withLock { $0.first?.to } == Self.t0 + 5)
    #expect(
      await ManualClock.eventually {
        a.notices.withLock { $0.last } == .standingBy(leader: "watch b", epoch: 7)
      })
    a.stop.stop()
    await ta.value
  }
}
