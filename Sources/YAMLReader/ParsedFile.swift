#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The documents of one file, or the reason it could not be read. Documents before a fatal error are
/// kept, but a file with an error diagnostic must not be acted on.
public struct ParsedFile: Sendable {
  /// The name of the file (the path read, or the name given to `parse`).
  public var file: String
  /// The root node of each document read, in order.
  public var documents: [Node]
  /// What was found wrong; with an error among them, the file must not be acted on.
  public var diagnostics: [Diagnostic]
}
