import Foundation
import Logging
import OrderedJSON
import PartylineViews
import Synchronization
import WireTime
import YAMLReader

/// Where `watch` says what it does: human lines on stderr (and apply summaries on stdout), or, with
/// `--log-format json`, one JSON object per line on stderr through swift-log — the time, the level,
/// the message and its fields — for a log collector. The text is the same in both.
enum WatchLog {
  enum Format: String, Sendable, CaseIterable { case text, json }

  private static let format = Mutex(Format.text)
  private static let logger = Logger(label: "partyline.watch") { JSONLines(label: $0) }

  /// Chosen once, before the first line.
  static func use(_ f: Format) { format.withLock { $0 = f } }
  static var json: Bool { format.withLock { $0 == .json } }

  /// A line: in text, stamped with the time when `stamped` (on stdout for `summary`).
  static func say(
    _ message: String, level: Logger.Level = .info, stamped: Bool = true, summary: Bool = false,
    _ fields: [(String, String)] = []
  ) {
    if json {
      var metadata: Logger.Metadata = [:]
      for (k, v) in fields { metadata[k] = .string(v) }
      logger.log(level: level, "\(message)", metadata: metadata)
      return
    }
    let prefix = stamped ? Timestamp.iso8601(Date().timeIntervalSince1970) + " " : ""
    let label =
      switch level {
      case .notice: "note: "
      case .warning: "warning: "
      case .error, .critical: "error: "
      default: ""
      }
    (summary ? Terminal.stdout : Terminal.stderr).write(prefix + label + message + "\n")
  }

  /// A diagnostic: rendered with its source line in text; its fields in JSON.
  static func say(_ d: Diagnostic, stamped: Bool = false) {
    if json {
      let level: Logger.Level = d.severity == .error ? .error : d.severity == .warning ? .warning : .info
      say(
        d.message, level: level, stamped: false,
        [
          ("id", d.id), ("file", d.range.file), ("line", "\(d.range.start.line)"),
          ("column", "\(d.range.start.column)"),
        ])
      return
    }
    var renderer = DiagnosticRenderer.stderr()
    let prefix = stamped ? Timestamp.iso8601(Date().timeIntervalSince1970) + " " : ""
    Terminal.stderr.write(prefix + renderer.text(d))
  }
}

/// swift-log's handler for `--log-format json`: one object per line, written whole.
struct JSONLines: LogHandler {
  let label: String
  var metadata: Logger.Metadata = [:]
  var logLevel: Logger.Level = .info

  subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }

  func log(event: LogEvent) {
    var fields: [(String, JSONValue)] = [
      ("time", .string(Timestamp.iso8601(Date().timeIntervalSince1970))),
      ("level", .string(event.level.rawValue)), ("message", .string(event.message.description)),
      ("logger", .string(label)),
    ]
    let all = metadata.merging(event.metadata ?? [:]) { $1 }
    for key in all.keys.sorted() { fields.append((key, .string("\(all[key]!)"))) }
    Terminal.stderr.write(JSONValue.object(fields).render() + "\n")
  }
}
