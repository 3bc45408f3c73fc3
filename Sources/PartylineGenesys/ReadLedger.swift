/// When each conversation was last read by a full reconcile, so that a budget too small to read
/// them all reads the ones read longest ago.
public actor ReadLedger {
  /// A ledger with nothing read yet.
  public init() {}

  private var reads = RecentMap<Double>()
  private var order = 0.0

  /// When each conversation still remembered was last read (a bounded number: those read longest ago
  /// are forgotten, and then count as never read, which ranks them first, as they should).
  var lastRead: [String: Double] { reads.all }

  func note(_ ids: [String]) {
    order += 1
    for id in ids { reads[id] = order }
  }
}
