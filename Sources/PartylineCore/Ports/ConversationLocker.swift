/// Locks a conversation for the time a run acts on it.
public protocol ConversationLocker: Sendable {
  /// Waits for the conversation's lock and returns it; throws when it cannot be had (`LockTimeout`).
  func lock(_ conversation: String) async throws -> any ConversationLock
}

/// A conversation's lock, held until released.
public protocol ConversationLock: Sendable {
  /// Gives the lock up.
  func release() async
}
