/// ANSI styling that is a no-op when colours are off.
public struct Style: Sendable {
  public let enabled: Bool

  /// Styling on when `enabled`.
  public init(enabled: Bool) { self.enabled = enabled }

  public func wrap(_ s: String, _ code: String) -> String { enabled ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }
  public func bold(_ s: String) -> String { wrap(s, "1") }
  public func red(_ s: String) -> String { wrap(s, "1;31") }
  public func yellow(_ s: String) -> String { wrap(s, "1;33") }
  public func green(_ s: String) -> String { wrap(s, "32") }
  public func cyan(_ s: String) -> String { wrap(s, "36") }
  public func dim(_ s: String) -> String { wrap(s, "2") }
}
