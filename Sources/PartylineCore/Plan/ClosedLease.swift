import YAMLReader

/// An open lease the plan found nothing left to do for, and why.
public struct ClosedLease: Sendable, Hashable {
  /// The lease.
  public var lease: Lease
  /// Why it needs no revert (the participant left, the conversation ended …).
  public var reason: String

  /// A closed lease.
  public init(lease: Lease, reason: String) {
    self.lease = lease
    self.reason = reason
  }
}
