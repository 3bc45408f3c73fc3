public import GenesysCloud
public import PartylineCore

/// The client's rate budget as the watcher sees it.
public struct GenesysBudget: RequestBudget {
  /// The client's budget.
  public let budget: RateBudget

  /// The watcher's view of `budget`.
  public init(_ budget: RateBudget) { self.budget = budget }

  public func limit() async -> Int { await budget.limit }
  public func window() async -> Double { await budget.window }
  public func throttled() async -> Int { await budget.throttled }
  public func readAllowance(over seconds: Double) async -> Int { await budget.readAllowance(over: seconds) }
  public func expectUrgent(dueAt: [Double], requestsEach: Int) async {
    await budget.expectUrgent(dueAt: dueAt, requestsEach: requestsEach)
  }
  public func close() async { await budget.close() }
  public func urgent<T: Sendable>(_ body: @Sendable () async throws -> T) async rethrows -> T {
    try await RatePriority.$urgent.withValue(true, operation: body)
  }
}
