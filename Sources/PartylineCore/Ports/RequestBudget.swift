/// The rate budget as the watcher sees it (the Genesys adapter's is the client's `RateBudget`): how
/// much it may read, the room it keeps for reverts, and the stop.
public protocol RequestBudget: Sendable {
  /// Requests per window.
  func limit() async -> Int
  /// The window.
  func window() async -> Duration
  /// Responses answered 429 so far.
  func throttled() async -> Int
  /// How many conversation reads a full reconcile may make every `length`, leaving room for the
  /// changes and reverts.
  func readAllowance(over length: Duration) async -> Int
  /// The open leases' ends, by `Lease.budgetKey`: ordinary requests leave room for their reverts (each
  /// counted once, with the promises the budget made for them); those in `fromSnapshot` will be
  /// reverted from their call's current snapshot, without a read.
  func expectUrgent(_ leases: [String: Double], fromSnapshot: Set<String>) async
  /// Refuses every request not yet sent (the run is stopping).
  func close() async
}
