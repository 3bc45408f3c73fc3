public import PartylineCore

/// When each conversation was last read by a full reconcile, so that a budget too small to read
/// them all reads the ones read longest ago.
public actor ReadLedger {
  /// A ledger with nothing read yet.
  public init() {}

  private(set) var lastRead: [String: Double] = [:]
  private var order = 0.0

  func note(_ ids: [String]) {
    order += 1
    for id in ids { lastRead[id] = order }
  }
}
