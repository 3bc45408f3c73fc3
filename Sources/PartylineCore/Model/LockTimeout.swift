/// A lock was not free within the wait: who holds it, and how long the run waited.
public struct LockTimeout: Error, CustomStringConvertible {
  public var conversation: String
  public var holder: String
  public var waited: Double
  public init(conversation: String, holder: String, waited: Double) {
    self.conversation = conversation
    self.holder = holder
    self.waited = waited
  }
  public var description: String {
    "conversation \(conversation) is locked by \(holder); gave up after \(Int(waited))s (--lock-timeout)"
  }
}
