import YAMLReader

/// A positive length of time, in whole seconds.
public struct PolicyDuration: Hashable, Sendable, Comparable, CustomStringConvertible {
  /// The length, in seconds.
  public var seconds: Int

  /// A duration of `seconds` seconds.
  public init(seconds: Int) { self.seconds = seconds }

  /// Orders durations by length.
  public static func < (a: PolicyDuration, b: PolicyDuration) -> Bool { a.seconds < b.seconds }

  /// Canonical spelling: `1h30m`, `90s` → `1m30s`, `2h`.
  public var description: String {
    var out = ""
    let h = seconds / 3600
    let m = (seconds % 3600) / 60
    let s = seconds % 60
    if h > 0 { out += "\(h)h" }
    if m > 0 { out += "\(m)m" }
    if s > 0 || out.isEmpty { out += "\(s)s" }
    return out
  }

  /// The longest a mute may ever last, whatever the Limits say: 2 hours.
  public static let hardMaxMute = PolicyDuration(seconds: 2 * 3600)
  /// The longest a recording pause may ever last, whatever the Limits say: 30 minutes.
  public static let hardMaxPause = PolicyDuration(seconds: 30 * 60)
  /// The longest a recording pause may last when the Limits do not say: 10 minutes.
  public static let defaultMaxPause = PolicyDuration(seconds: 10 * 60)
}
