public import PartylineCore

/// Per-conversation session advisory locks (`pg_try_advisory_lock` on a 64-bit hash of the
/// conversation id), polled until the timeout, held on the store's dedicated lock connection and
/// released when the run is done with the conversation, or by the server when the process dies. The
/// holder is noted in `partyline_lock_holders`, so a waiting run names it.
public struct PostgresLocker: ConversationLocker {
  /// The store whose lock connection holds the locks.
  public let store: PostgresStore
  /// A locker on `store`.
  public init(store: PostgresStore) { self.store = store }

  final class Held: ConversationLock {
    let store: PostgresStore
    let conversation: String
    let key: Int64
    init(store: PostgresStore, conversation: String, key: Int64) {
      self.store = store
      self.conversation = conversation
      self.key = key
    }
    func release() async { await store.release(conversation, key: key) }
  }

  /// Locks `conversation`, polling for up to `wait`, and throws `LockTimeout` (naming the holder) when
  /// it cannot; the lock is held until it is released.
  public func lock(_ conversation: String, within wait: Duration) async throws -> any ConversationLock {
    let key = try await store.lock(conversation, timeout: wait)
    return Held(store: store, conversation: conversation, key: key)
  }
}
