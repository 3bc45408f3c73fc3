/// A value that must never be printed: its description is redacted.
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
  /// The secret text itself, to be read only where it is sent.
  public let value: String
  /// Wraps `value` as a secret.
  public init(_ value: String) { self.value = value }
  public var description: String { "<redacted>" }
  public var debugDescription: String { "<redacted>" }
}
