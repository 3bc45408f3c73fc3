public import Foundation
public import YAMLReader

/// Durations as the CLI and fixtures write them: `500ms`, `2s`, `1.5s`, `30m`, `24h`, or plain seconds.
public enum SimDuration {
  /// The longest duration accepted (about 31 years), so every duration fits the integers it becomes.
  public static let maxSeconds: TimeInterval = 1e9

  /// The seconds `text` says, or nil when it is not a duration, is negative or is longer than `maxSeconds`.
  public static func parse(_ text: String) -> TimeInterval? {
    let t = text.trimmingCharacters(in: .whitespaces)
    let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
    for (suffix, factor) in units where t.hasSuffix(suffix) {
      let number = t.dropLast(suffix.count)
      if suffix == "s", number.hasSuffix("m") { continue }
      guard let v = Double(number), v >= 0, v * factor <= maxSeconds else { return nil }
      return v * factor
    }
    guard let v = Double(t), v >= 0, v <= maxSeconds else { return nil }
    return v
  }

  /// The shortest of the forms `parse` reads that says `seconds` exactly.
  public static func format(_ seconds: TimeInterval) -> String {
    if seconds >= 3600, seconds.truncatingRemainder(dividingBy: 3600) == 0 {
      return "\(Int(seconds / 3600))h"
    }
    if seconds >= 60, seconds.truncatingRemainder(dividingBy: 60) == 0 { return "\(Int(seconds / 60))m" }
    if seconds.rounded() == seconds { return "\(Int(seconds))s" }
    return "\(Int((seconds * 1000).rounded()))ms"
  }
}
