/// A finding about a source file. Messages are lowercase, have no trailing period and quote user
/// values in single quotes; `id` is a stable snake_case identifier catalogued in the README.
public struct Diagnostic: Hashable, Sendable {
  public enum Severity: String, Sendable, Hashable, Codable {
    case error
    case warning
    case note
  }

  public var severity: Severity
  public var id: String
  public var message: String
  public var range: SourceRange
  /// Other places the finding concerns (the first definition of a duplicate, say).
  public var related: [Related]

  public struct Related: Hashable, Sendable {
    public var message: String
    public var range: SourceRange
    public init(message: String, range: SourceRange) {
      self.message = message
      self.range = range
    }
  }

  public init(
    _ severity: Severity = .error, id: String, message: String, range: SourceRange,
    related: [Related] = []
  ) {
    self.severity = severity
    self.id = id
    self.message = message
    self.range = range
    self.related = related
  }
}

/// The findings that kept a file from being read, as an error: loaders return
/// `Result<Value, Diagnostics>`. A collection of its diagnostics.
public struct Diagnostics: Error, Sendable, Equatable, RandomAccessCollection, ExpressibleByArrayLiteral {
  public var items: [Diagnostic]

  public init(_ items: [Diagnostic]) { self.items = items }
  public init(arrayLiteral elements: Diagnostic...) { self.items = elements }

  public var startIndex: Int { items.startIndex }
  public var endIndex: Int { items.endIndex }
  public subscript(position: Int) -> Diagnostic { items[position] }
}
