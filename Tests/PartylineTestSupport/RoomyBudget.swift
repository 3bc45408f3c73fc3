public import PartylineCore
import Synchronization

/// A rate budget with room for everything (the runtime's tests are about time, not requests).
public struct RoomyBudget: RequestBudget {
  /// A budget that never says no.
  public init() {}
  public func limit() async -> Int { 1_000_000 }
  public func window() async -> Duration { .seconds(60) }
  public func throttled() async -> Int { 0 }
  public func readAllowance(over length: Duration) async -> Int { 1_000_000 }
  public func expectUrgent(_ leases: [String: Double], fromSnapshot: Set<String>) async {}
  public func close() async {}
}
