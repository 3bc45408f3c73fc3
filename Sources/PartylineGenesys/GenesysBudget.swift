public import GenesysCloud
public import PartylineCore
import WireTime

/// The client's rate budget as the watcher sees it.
public struct GenesysBudget: RequestBudget {
  /// The client's budget.
  public let budget: RateBudget

  /// The watcher's view of `budget`.
  public init(_ budget: RateBudget) { self.budget = budget }

  /// The budget's requests per window (see ``RequestBudget``).
  public func limit() async -> Int { await budget.limit }
  /// The budget's window (see ``RequestBudget``).
  public func window() async -> Duration { .seconds(await budget.window) }
  /// The responses answered 429 so far (see ``RequestBudget``).
  public func throttled() async -> Int { await budget.throttled }
  /// The conversation reads a full reconcile may make every `length` (see ``RequestBudget``).
  public func readAllowance(over length: Duration) async -> Int {
    await budget.readAllowance(over: length.inSeconds)
  }
  /// Keeps room in the budget for reverts due at these instants (see ``RequestBudget``).
  public func expectUrgent(_ leases: [String: Double], fromSnapshot: Set<String>) async {
    await budget.expectUrgent(leases, fromSnapshot: fromSnapshot)
  }
  /// Refuses every request not yet sent (see ``RequestBudget``).
  public func close() async { await budget.close() }
  /// Runs `body` with every request it sends classed as a revert (see ``RequestBudget``).
}
