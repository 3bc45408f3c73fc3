/// Another clock's time shifted by a fixed offset: with shared state on PostgreSQL, every runner's
/// times (record times, lease ends, when a revert falls due) are the database server's, so that a
/// runner whose own clock is hours off writes and reads leases on the same clock as everyone else
/// (DESIGN §5, clocks). The offset is measured once, when the state is opened.
public struct OffsetClock: RuntimeClock {
  /// The clock that runs (the machine's, or `watch`'s monotonic one).
  public var base: any RuntimeClock
  /// Seconds added to `base`: the server's time minus the machine's.
  public var offset: Double

  /// `base` shifted by `offset` seconds.
  public init(_ base: any RuntimeClock, offset: Double) {
    self.base = base
    self.offset = offset.isFinite ? offset : 0
  }

  /// The base clock's now, shifted.
  public func now() -> Double { base.now() + offset }

  /// Sleeps on the base clock until its time reaches `deadline` shifted back.
  public func sleep(until deadline: Double) async throws { try await base.sleep(until: deadline - offset) }
}
