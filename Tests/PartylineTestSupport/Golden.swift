public import Foundation
public import Testing

/// Golden files: output compared with a file under the package, rewritten by `PARTYLINE_RECORD=1`.
public enum Golden {
  /// The package's root directory.
  public static let packageRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

  /// Compares `actual` with `directory/name` (`directory` relative to the package root);
  /// `PARTYLINE_RECORD=1` rewrites the file and fails the test.
  public static func assert(
    _ actual: String, _ name: String, in directory: String, sourceLocation: SourceLocation = #_sourceLocation
  ) throws {
    let url = packageRoot.appendingPathComponent(directory).appendingPathComponent(name)
    if ProcessInfo.processInfo.environment["PARTYLINE_RECORD"] == "1" {
      try actual.write(to: url, atomically: true, encoding: .utf8)
      Issue.record("recorded \(name); run again without PARTYLINE_RECORD", sourceLocation: sourceLocation)
      return
    }
    guard let expected = try? String(contentsOf: url, encoding: .utf8) else {
      Issue.record("missing golden file \(name); run with PARTYLINE_RECORD=1", sourceLocation: sourceLocation)
      return
    }
    if expected != actual {
      Issue.record(
        "output differs from \(name):\n\(lineDiff(expected, actual))", sourceLocation: sourceLocation)
    }
  }

  /// A small line diff: `-` expected, `+` actual.
  public static func lineDiff(_ a: String, _ b: String) -> String {
    let x = a.split(separator: "\n", omittingEmptySubsequences: false)
    let y = b.split(separator: "\n", omittingEmptySubsequences: false)
    var out: [String] = []
    for change in y.difference(from: x) {
      switch change {
      case .remove(let offset, let line, _): out.append("-\(offset + 1): \(line)")
      case .insert(let offset, let line, _): out.append("+\(offset + 1): \(line)")
      }
    }
    return out.joined(separator: "\n")
  }
}
