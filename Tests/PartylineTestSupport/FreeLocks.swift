public import PartylineCore

/// A locker that grants every lock at once: the process-wide serialising is `InProcessLocker`'s, and
/// the backends' locks are tested against the file system and PostgreSQL.
public struct FreeLocks: ConversationLocker {
  /// Every lock granted.
  public init() {}

  struct Held: ConversationLock {
    func release() async {}
  }

  public func lock(_ conversation: String, within wait: Duration) async throws -> any ConversationLock {
    Held()
  }
}
