/// ANSI styling that is a no-op when colours are off.
public struct Style: Sendable {
  /// Whether colours are on; when off, every function returns its text unchanged.
  public let enabled: Bool

  /// Styling on when `enabled`.
  public init(enabled: Bool) { self.enabled = enabled }

  /// `s` in the ANSI SGR `code` (such as `1;31`), reset after it; `s` itself when colours are off.
  public func wrap(_ s: String, _ code: String) -> String { enabled ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }
  /// `s` in bold.
  public func bold(_ s: String) -> String { wrap(s, "1") }
  /// `s` in bold red (errors, removals).
  public func red(_ s: String) -> String { wrap(s, "1;31") }
  /// `s` in bold yellow (warnings, changes).
  public func yellow(_ s: String) -> String { wrap(s, "1;33") }
  /// `s` in green (additions, carets).
  public func green(_ s: String) -> String { wrap(s, "32") }
  /// `s` dimmed (ids, sources, gutters).
  public func dim(_ s: String) -> String { wrap(s, "2") }
}
