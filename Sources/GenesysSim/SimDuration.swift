public import Foundation
import YAMLReader
import WireTime

/// Durations as the CLI and fixtures write them: `500ms`, `2s`, `1.5s`, `30m`, `24h`, or plain seconds.
public enum SimDuration {
  /// The longest duration accepted (about 31 years), so every duration fits the integers it becomes.
  public static let maxSeconds: TimeInterval = DurationText.maxSeconds

  /// The seconds `text` says (`DurationText`'s emulator dialect: `500ms`, `1.5s`, `30m`, `24h`, `7`,
  /// zero), or nil when it is not a duration or is longer than `maxSeconds`.
  public static func parse(_ text: String) -> TimeInterval? {
    try? DurationText.seconds(text.trimmingCharacters(in: .whitespaces), .emulator).get()
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
