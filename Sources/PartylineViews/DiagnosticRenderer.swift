import Foundation
public import OrderedJSON
public import YAMLReader

/// Renders diagnostics as text (with source line and caret), JSON or GitHub workflow annotations.
public struct DiagnosticRenderer {
  /// The most diagnostics the commands print; the rest are only counted.
  public static let maxShown = 100
  /// The colours of the text form.
  public var style: Style
  private var sources: [String: [Substring]] = [:]
  /// A file's bytes, for its source lines; nil when it cannot be read (or is too large to show).
  private let contents: (String) -> [UInt8]?

  /// `contents` reads a file for the source line under a diagnostic (nil: no line is shown).
  public init(style: Style, contents: @escaping (String) -> [UInt8]? = { _ in nil }) {
    self.style = style
    self.contents = contents
  }

  mutating func line(_ file: String, _ n: Int) -> String? {
    if sources[file] == nil {
      // Source lines are shown only for files within the reader's size limit: never read a huge file.
      guard let data = contents(file) else {
        sources[file] = []
        return nil
      }
      let text = String(decoding: data, as: UTF8.self)
      sources[file] = text.split(separator: "\n", omittingEmptySubsequences: false)
    }
    guard let lines = sources[file], n >= 1, n <= lines.count else { return nil }
    var s = String(lines[n - 1])
    if s.hasSuffix("\r") { s.removeLast() }
    return s
  }

  /// `file:line:col: error: message [id]`, the source line and a caret under the subject.
  public mutating func text(_ d: Diagnostic) -> String {
    let r = d.range
    let label: String
    switch d.severity {
    case .error: label = style.red("error:")
    case .warning: label = style.yellow("warning:")
    case .note: label = style.bold("note:")
    }
    var out =
      "\(style.bold("\(r.file):\(r.start.line):\(r.start.column):")) \(label) \(d.message) \(style.dim("[\(d.id)]"))\n"
    if d.quotesSource, let src = line(r.file, r.start.line), src.unicodeScalars.count < 500 {
      let scalars = Array(src.unicodeScalars)
      let gutter = String(r.start.line)
      let pad = String(repeating: " ", count: gutter.count)
      var shown = String.UnicodeScalarView()
      for u in scalars { shown.append(u == "\t" ? " " : (u.value < 0x20 ? "\u{FFFD}" : u)) }
      out += "\(style.dim("\(gutter) |")) \(String(shown))\n"
      let col = max(1, min(r.start.column, scalars.count + 1))
      var width = 1
      if r.end.line == r.start.line && r.end.column > r.start.column {
        width = min(r.end.column, scalars.count + 1) - col
      }
      let caret = "^" + String(repeating: "~", count: max(0, width - 1))
      out += "\(style.dim("\(pad) |")) \(String(repeating: " ", count: col - 1))\(style.green(caret))\n"
    }
    for rel in d.related {
      out +=
        "\(style.bold("\(rel.range.file):\(rel.range.start.line):\(rel.range.start.column):")) \(style.bold("note:")) \(rel.message)\n"
    }
    return out
  }

  /// The JSON form: `severity`, `id`, `message`, `range` (file, start and end line and column) and, when
  /// there are any, the `related` notes with their ranges.
  public static func json(_ d: Diagnostic) -> JSONValue {
    func mark(_ m: SourceMark) -> JSONValue { ["line": .int(m.line), "column": .int(m.column)] }
    func range(_ r: SourceRange) -> JSONValue {
      ["file": .string(r.file), "start": mark(r.start), "end": mark(r.end)]
    }
    var pairs: [(String, JSONValue)] = [
      ("severity", .string(d.severity.rawValue)),
      ("id", .string(d.id)),
      ("message", .string(d.message)),
      ("range", range(d.range)),
    ]
    if !d.related.isEmpty {
      pairs.append(
        ("related", .array(d.related.map { ["message": .string($0.message), "range": range($0.range)] })))
    }
    return .object(pairs)
  }

  /// A GitHub workflow command: `::error file=…,line=…,col=…,endLine=…,endColumn=…,title=…::message`.
  public static func github(_ d: Diagnostic) -> String {
    let kind = d.severity == .note ? "notice" : d.severity.rawValue
    let r = d.range
    let props = [
      "file=\(property(r.file))", "line=\(r.start.line)", "col=\(r.start.column)", "endLine=\(r.end.line)",
      "endColumn=\(r.end.column)", "title=\(property("partyline \(d.id)"))",
    ]
    return "::\(kind) \(props.joined(separator: ","))::\(data(d.message))"
  }

  /// `s` escaped as the message of a GitHub workflow command (`%`, carriage return and newline).
  public static func data(_ s: String) -> String {
    s.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "\r", with: "%0D")
      .replacingOccurrences(of: "\n", with: "%0A")
  }

  /// `s` escaped as a property value of a GitHub workflow command: as ``data(_:)``, and `:` and `,` too.
  public static func property(_ s: String) -> String {
    data(s).replacingOccurrences(of: ":", with: "%3A").replacingOccurrences(of: ",", with: "%2C")
  }
}
