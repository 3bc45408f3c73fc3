import Foundation
import SystemPackage
import PartylineLocal
import PartylineViews

/// Where output goes, and whether it may be coloured: only on a terminal, never with NO_COLOR.
struct Terminal: Sendable {
  let fd: Int32

  static let stdout = Terminal(fd: 1)
  static let stderr = Terminal(fd: 2)
  static let stdin = Terminal(fd: 0)

  var isTerminal: Bool { isatty(fd) == 1 }

  var colours: Bool {
    guard isTerminal else { return false }
    if let v = ProcessInfo.processInfo.environment["NO_COLOR"], !v.isEmpty { return false }
    return ProcessInfo.processInfo.environment["TERM"] != "dumb"
  }

  /// Writes all of `s` (swift-system retries what a signal interrupted); a closed pipe drops it.
  func write(_ s: String) {
    _ = try? FileDescriptor(rawValue: fd).writeAll(Array(s.utf8))
  }
}

extension DiagnosticRenderer {
  /// Diagnostics for stderr: coloured when it is a terminal, with the source lines of files within
  /// the reader's size limit (a huge file is never read to show a line).
  static func stderr() -> DiagnosticRenderer {
    DiagnosticRenderer(style: Style(enabled: Terminal.stderr.colours)) { FileBytes.read($0, limit: 8 << 20) }
  }
}
