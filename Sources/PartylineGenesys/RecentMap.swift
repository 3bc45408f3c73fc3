/// A dictionary that keeps at most `limit` keys, forgetting those touched longest ago: the per-call maps
/// of a `watch` that runs for weeks (the latest snapshot, the last read, the last event seen) stay
/// bounded by the calls that are live, not grow with every call it has ever seen.
struct RecentMap<Value> {
  let limit: Int
  private var entries: [String: (stamp: Int, value: Value)] = [:]
  private var clock = 0

  init(limit: Int = 20_000) { self.limit = max(1, limit) }

  subscript(key: String) -> Value? {
    get { entries[key]?.value }
    set {
      guard let newValue else {
        entries[key] = nil
        return
      }
      clock += 1
      entries[key] = (clock, newValue)
      if entries.count > limit { evict() }
    }
  }

  var count: Int { entries.count }

  /// Forgets the tenth touched longest ago (so eviction is paid for once per `limit / 10` writes).
  private mutating func evict() {
    let drop = max(1, limit / 10)
    let oldest = entries.sorted { $0.value.stamp < $1.value.stamp }.prefix(drop).map(\.key)
    for k in oldest { entries[k] = nil }
  }

  /// Every key and value (for a reader that ranks them).
  var all: [String: Value] { entries.mapValues(\.value) }
}
