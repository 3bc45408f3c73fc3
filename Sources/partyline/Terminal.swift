import Foundation

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

  func write(_ s: String) {
    var data = Array(s.utf8)
    var off = 0
    while off < data.count {
      let n = data.withUnsafeMutableBytes { Foundation.write(fd, $0.baseAddress! + off, $0.count - off) }
      if n < 0 {
        if errno == EINTR { continue }
        return
      }
      off += n
    }
    data.removeAll()
  }
}

/// ANSI styling that is a no-op when colours are off.
struct Style: Sendable {
  let enabled: Bool

  func wrap(_ s: String, _ code: String) -> String { enabled ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }
  func bold(_ s: String) -> String { wrap(s, "1") }
  func red(_ s: String) -> String { wrap(s, "1;31") }
  func yellow(_ s: String) -> String { wrap(s, "1;33") }
  func green(_ s: String) -> String { wrap(s, "32") }
  func cyan(_ s: String) -> String { wrap(s, "36") }
  func dim(_ s: String) -> String { wrap(s, "2") }
}
