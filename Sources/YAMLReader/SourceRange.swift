/// A located span of a file: the subject of a diagnostic.
public struct SourceRange: Hashable, Sendable {
  /// The name of the file.
  public var file: String
  /// Where the span starts.
  public var start: SourceMark
  /// Where the span ends: the position just after it (the same as `start` for a single position).
  public var end: SourceMark

  /// The span of `file` from `start` to `end`.
  public init(file: String, start: SourceMark, end: SourceMark) {
    self.file = file
    self.start = start
    self.end = end
  }

  /// An empty span at one position: `start` and `end` both at `line` and `column`.
  public init(file: String, line: Int, column: Int) {
    self.init(
      file: file, start: SourceMark(line: line, column: column),
      end: SourceMark(line: line, column: column))
  }

  /// The start as `file:line:column`, the way compilers print a location.
  public var description: String { "\(file):\(start.line):\(start.column)" }
}
