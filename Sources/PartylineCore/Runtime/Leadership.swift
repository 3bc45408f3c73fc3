import WireTime
/// One process's part in electing a workspace's watcher: stand by until the lease is free, then lead —
/// run `lead` with a signal of its own — and renew the lease every `renewEvery` seconds, until the
/// process stops (then `lead` ends first and the lease is given up) or the lead is lost (another took
/// over, or no renewal came back within the lease's `lifetime`: `lead`'s signal stops at once, 1 s
/// before the lease could lapse by this process's clock, and it stands by again).
///
/// Everything runs on the injected clock; a lease's time is measured from the moment its request was
/// sent, so the state's clock (which starts the lease later) never grants more than this process
/// assumes.
public struct Campaign: Sendable {
  /// The lease in the shared state.
  public var lease: any LeaderLease
  /// What the campaign reads the time from and sleeps on (monotonic under `watch`).
  public var clock: any RuntimeClock
  /// How long a lease runs from its last renewal.
  public var lifetime: Duration = .seconds(15)
  /// The time between renewals.
  public var renewEvery: Duration = .seconds(5)
  /// The time between a standby's attempts (a notification wakes it earlier).
  public var poll: Duration = .seconds(1)
  /// How long before its lease could lapse a leader that cannot renew stops.
  public var margin: Duration = .seconds(1)
  /// How long a renewal may take before it is tried again.
  public var patience: Duration = .seconds(3)
  /// What the campaign has to say.
  public var notify: @Sendable (LeaderNotice) async -> Void = { _ in }

  /// A campaign for `lease` on `clock`; the timings are properties.
  public init(lease: any LeaderLease, clock: any RuntimeClock) {
    self.lease = lease
    self.clock = clock
  }

  /// Stands by and leads, in turn, until `signal` stops; `lead` runs during each term with the term's
  /// signal (stopped when the lead is lost or `signal` stops) and must return soon after it stops.
  public func run(
    signal: RunSignal, lead: @escaping @Sendable (_ epoch: Int64, _ term: RunSignal) async -> Void
  ) async {
    let nudges = RunSignal()
    signal.onStop { nudges.stop() }
    let listener = Task { [lease] in await lease.watchChanges { nudges.wake() } }
    defer { listener.cancel() }
    var said: LeaderClaim?
    var unreachable = false
    while !signal.stopped {
      let sent = clock.now()
      let claim: LeaderClaim
      let attempt = await answer(
        { [lease, lifetime] in try await lease.acquire(lifetime: lifetime) }, by: sent + (poll * 5).inSeconds,
        on: clock,
        unless: signal)
      if signal.stopped {
        if case .success(.won(let epoch))? = attempt { await lease.resign(epoch) }
        break
      }
      switch attempt {
      case .success(let c)?:
        claim = c
        unreachable = false
      case .failure(let error)?:
        if !unreachable { await notify(.unreachable("\(error)")) }
        unreachable = true
        await nudges.sleep(until: clock.now() + poll.inSeconds, on: clock, wakeable: true)
        continue
      case nil:
        if !unreachable {
          await notify(.unreachable("the state did not answer within \((poll * 5).inSeconds) s"))
        }
        unreachable = true
        continue
      }
      guard case .won(let epoch) = claim else {
        if claim != said { await notify(claim.notice) }
        said = claim
        await nudges.sleep(until: clock.now() + poll.inSeconds, on: clock, wakeable: true)
        continue
      }
      said = nil
      await term(epoch, since: sent, signal: signal, lead: lead)
    }
  }

  /// One term: `lead` and the renewals side by side.
  func term(
    _ epoch: Int64, since sent: Double, signal: RunSignal,
    lead: @escaping @Sendable (Int64, RunSignal) async -> Void
  ) async {
    let term = RunSignal()
    signal.onStop { term.stop() }
    await notify(.leading(epoch: epoch))
    let lost = await withTaskGroup(of: Bool.self) { group in
      group.addTask {
        await lead(epoch, term)
        term.stop()
        return false
      }
      group.addTask { await keep(epoch, since: sent, term: term) }
      var lost = false
      for await l in group { lost = lost || l }
      return lost
    }
    if !lost {
      await lease.resign(epoch)
      await notify(.resigned(epoch: epoch))
    }
  }

  /// Renews the lease of `epoch` until `term` stops; true when the lead was lost (then it stops `term`).
  func keep(_ epoch: Int64, since sent: Double, term: RunSignal) async -> Bool {
    var validUntil = sent + (lifetime - margin).inSeconds
    var next = sent + renewEvery.inSeconds
    var failing = false
    while !term.stopped {
      await term.sleep(until: min(next, validUntil), on: clock)
      if term.stopped { return false }
      let now = clock.now()
      if now >= validUntil {
        term.stop()
        await notify(
          .lost(
            epoch: epoch,
            why: "no renewal of the lease came back within its lifetime (\(lifetime.inSeconds) s)"))
        return true
      }
      // A renewal that does not answer within `patience` is tried again (the lease opens a new
      // connection when its last call still waits: the old one may be half-open), until the lease's time
      // is up.
      let renewal = await answer(
        { [lease, lifetime] in try await lease.renew(epoch, lifetime: lifetime) },
        by: min(validUntil, now + patience.inSeconds), on: clock, unless: term)
      if term.stopped { return false }
      switch renewal {
      case .success(true)?:
        validUntil = now + (lifetime - margin).inSeconds
        next = now + renewEvery.inSeconds
        failing = false
      case .success(false)?:
        term.stop()
        await notify(.lost(epoch: epoch, why: "another watcher took over the lease"))
        return true
      case .failure(let error)?:
        if !failing { await notify(.renewalFailing(epoch: epoch, error: "\(error)")) }
        failing = true
        next = clock.now() + 1
      case nil:
        if !failing {
          await notify(
            .renewalFailing(epoch: epoch, error: "the state did not answer within \(patience.inSeconds) s"))
        }
        failing = true
        next = clock.now()
      }
    }
    return false
  }
}

extension LeaderClaim {
  var notice: LeaderNotice {
    switch self {
    case .won(let epoch): .leading(epoch: epoch)
    case .held(let by, let epoch): .standingBy(leader: by, epoch: epoch)
    }
  }
}
