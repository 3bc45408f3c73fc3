import WireTime
/// A lock was not free within the wait: who holds it, and how long the run waited.
public struct LockTimeout: Error, CustomStringConvertible {
  /// The conversation whose lock was not free.
  public var conversation: String
  /// Who holds the lock, as the lock names them.
  public var holder: String
  /// How long the run waited.
  public var waited: Duration
  /// A timeout.
  public init(conversation: String, holder: String, waited: Duration) {
    self.conversation = conversation
    self.holder = holder
    self.waited = waited
  }
  /// The message for the user, naming the holder.
  public var description: String {
    "conversation \(conversation) is locked by \(holder); gave up after \(Int(waited.inSeconds))s (--lock-timeout)"
  }
}
