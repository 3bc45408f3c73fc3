public import PartylineCore
public import YAMLReader

/// Inline YAML with markers (1️⃣, 2️⃣ …) where diagnostics are expected; the markers are removed and
/// their 1-based line and column (in Unicode scalars) recorded.
public struct MarkedSource {
  /// The markers, in order.
  public static let markers = ["1️⃣", "2️⃣", "3️⃣", "4️⃣", "5️⃣", "6️⃣", "7️⃣", "8️⃣", "9️⃣", "🔟"]

  /// The text without its markers.
  public var text: String
  /// Where each marker was: its 1-based line and column.
  public var marks: [String: SourceMark] = [:]

  /// Reads `marked`, removing and recording its markers.
  public init(_ marked: String) {
    var out = ""
    var line = 1
    var column = 1
    var rest = Substring(marked)
    outer: while let c = rest.first {
      for m in Self.markers where rest.hasPrefix(m) {
        marks[m] = SourceMark(line: line, column: column)
        rest = rest.dropFirst(m.count)
        continue outer
      }
      out.append(c)
      if c == "\n" {
        line += 1
        column = 1
      } else {
        column += c.unicodeScalars.count
      }
      rest = rest.dropFirst()
    }
    text = out
  }
}

/// One expected diagnostic: where (a marker) and what.
public struct Expected: CustomStringConvertible {
  /// The marker where the diagnostic points.
  public var marker: String
  /// The diagnostic's id.
  public var id: String
  /// Its message.
  public var message: String
  /// The file it is in.
  public var file: String = "test.yaml"

  /// An expected diagnostic.
  public init(_ marker: String, _ id: String, _ message: String, file: String = "test.yaml") {
    self.marker = marker
    self.id = id
    self.message = message
    self.file = file
  }

  /// `marker [id] message`.
  public var description: String { "\(marker) [\(id)] \(message)" }
}

/// Parses and compiles policy texts given as (file name, text).
public func compile(_ files: [(name: String, text: String)]) -> CompileResult {
  let reader = YAMLReader()
  return PolicyCompiler().compile(files.map { reader.parse(Array($0.text.utf8), file: $0.name) })
}
