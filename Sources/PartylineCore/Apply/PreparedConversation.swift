/// A conversation made ready to act on: the changes still due once it is locked, and its lock.
public struct PreparedConversation: Sendable {
  /// The changes still due, planned again under the lock when another run acted since the plan.
  public var changes: [PlannedChange]
  /// The lock to release once the changes are done; nil when none was taken.
  public var lock: (any ConversationLock)?

  /// A conversation ready to act on.
  public init(changes: [PlannedChange], lock: (any ConversationLock)?) {
    self.changes = changes
    self.lock = lock
  }
}

/// What a conversation goes through before the applier acts on it: its lock, and the check, under the
/// lock, that the changes are still due (another run may have acted since the plan was made). A throw
/// leaves the conversation alone and is reported in `ApplyReport.lockFailures`.
public protocol ConversationGuard: Sendable {
  /// Locks `conversation` and returns the changes still due with the lock to release once done.
  func prepare(_ conversation: String, _ planned: [PlannedChange]) async throws -> PreparedConversation
}
