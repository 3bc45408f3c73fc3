/// A 1-based position in a source file. Columns count Unicode scalars, as editors do.
public struct SourceMark: Hashable, Sendable, Comparable, CustomStringConvertible {
  public var line: Int
  public var column: Int

  public init(line: Int, column: Int) {
    self.line = line
    self.column = column
  }

  public static func < (lhs: SourceMark, rhs: SourceMark) -> Bool {
    (lhs.line, lhs.column) < (rhs.line, rhs.column)
  }

  public var description: String { "\(line):\(column)" }
}

/// A located span of a file: the subject of a diagnostic.
public struct SourceRange: Hashable, Sendable {
  public var file: String
  public var start: SourceMark
  public var end: SourceMark

  public init(file: String, start: SourceMark, end: SourceMark) {
    self.file = file
    self.start = start
    self.end = end
  }

  public init(file: String, line: Int, column: Int) {
    self.init(
      file: file, start: SourceMark(line: line, column: column),
      end: SourceMark(line: line, column: column))
  }

  public var description: String { "\(file):\(start.line):\(start.column)" }
}
