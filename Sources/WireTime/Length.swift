/// The project's one convention for time (see docs/architecture.md, "Time"):
///
/// - an **instant** is wall-clock seconds since 1970, a `Double`: leases end at instants that runs on
///   other machines read from the shared journal, and `RuntimeClock.now()` reads one;
/// - a **length** (a timeout, an interval, a lease's lifetime, a grace) is a `Duration`, from the flag
///   or the default that sets it to the wait that uses it.
///
/// An instant plus a length is `instant + length.inSeconds`; nothing else converts.
extension Duration {
  /// This length in seconds, to add to or compare with an instant.
  public var inSeconds: Double {
    let (seconds, attoseconds) = components
    return Double(seconds) + Double(attoseconds) / 1e18
  }

  /// The length from instant `start` to instant `end` (zero when `end` is earlier; a non-finite span
  /// is none either).
  public static func between(_ start: Double, _ end: Double) -> Duration {
    let s = end - start
    return s.isFinite && s > 0 ? .seconds(min(s, 1e12)) : .zero
  }
}
