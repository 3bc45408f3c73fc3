/// Where leases come from: the journal (local or PostgreSQL), or nothing.
public protocol LeaseStore: Sendable {
  /// The leases of `workspace`.
  func leases(workspace: String) async throws -> [Lease]
}

/// No journal yet: no leases.
public struct EmptyLeaseStore: LeaseStore {
  /// An empty store.
  public init() {}
  /// No leases.
  public func leases(workspace: String) async throws -> [Lease] { [] }
}
