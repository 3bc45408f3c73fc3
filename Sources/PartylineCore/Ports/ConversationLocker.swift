/// Locks a conversation for the time a run acts on it.
public protocol ConversationLocker: Sendable {
  /// Waits up to `wait` for the conversation's lock and returns it; throws when it cannot be had
  /// (`LockTimeout`). The wait is the caller's (`--lock-timeout`), so a lock taken through layers (the
  /// process's, then the backend's) waits that long in all.
  func lock(_ conversation: String, within wait: Duration) async throws -> any ConversationLock
}

/// A conversation's lock, held until released.
public protocol ConversationLock: Sendable {
  /// Gives the lock up.
  func release() async
}
