/// The findings that kept a file from being read, as an error: loaders return
/// `Result<Value, Diagnostics>`. A collection of its diagnostics.
public struct Diagnostics: Error, Sendable, Equatable, RandomAccessCollection, ExpressibleByArrayLiteral {
  /// The diagnostics, in the order they were found.
  public var items: [Diagnostic]

  /// The given diagnostics, as one error.
  public init(_ items: [Diagnostic]) { self.items = items }
  public init(arrayLiteral elements: Diagnostic...) { self.items = elements }

  public var startIndex: Int { items.startIndex }
  public var endIndex: Int { items.endIndex }
  public subscript(position: Int) -> Diagnostic { items[position] }
}
