/// A state backend error; its text never holds the connection string's password.
public struct StateError: Error, CustomStringConvertible {
  public var description: String
  /// An error with the text `description`, which must hold no password.
  public init(_ description: String) { self.description = description }
}
