import Foundation
import YAMLReader
import WireTime

/// `spec.until` and `spec.schedule` (DESIGN §1, "When a policy applies").
extension DocumentCompiler {
  static let scheduleKeys = KnownKeys(["timeZone", "windows"])
  static let windowKeys = KnownKeys(["days", "from", "to"])

  /// The policy's calendar, or nil when it has neither key (or they are invalid: reported).
  mutating func calendar(_ spec: Fields) -> PolicyCalendar? {
    var calendar = PolicyCalendar()
    var given = false
    if let node = spec["until"] {
      given = true
      if let s = string(node, "spec.until") {
        if let t = Timestamp.parseRFC3339(s) {
          calendar.until = t
          calendar.untilLocation = node.range
        } else {
          error(
            .invalidValue,
            "invalid until '\(s)': expected an RFC 3339 date and time with its offset, such as 2026-12-10T18:00:00Z or 2026-12-10T19:00:00+01:00",
            node.range)
        }
      }
    }
    if let node = spec["schedule"] {
      given = true
      calendar.schedule = schedule(node)
    }
    return given ? calendar : nil
  }

  mutating func schedule(_ node: Node) -> PolicyCalendar.Schedule? {
    guard let f = fields(node, in: "spec.schedule", known: Self.scheduleKeys, required: ["windows"]) else {
      return nil
    }
    var zone = "UTC"
    if let z = f["timeZone"], let s = string(z, "spec.schedule.timeZone") {
      if TimeZone(identifier: s) != nil, s.utf8.count <= 64 {
        zone = s
      } else {
        let known = TimeZone.knownTimeZoneIdentifiers
        error(
          .invalidValue,
          "unknown time zone '\(s)': expected an IANA name such as Europe/Berlin or America/New_York\(Suggestions.hint(s, known))",
          z.range)
      }
    }
    var windows: [PolicyCalendar.Window] = []
    for (i, w) in list(f["windows"], "spec.schedule.windows").enumerated() {
      if let window = window(w, "spec.schedule.windows[\(i)]") { windows.append(window) }
    }
    return PolicyCalendar.Schedule(timeZone: zone, windows: windows, location: node.range)
  }

  mutating func window(_ node: Node, _ what: String) -> PolicyCalendar.Window? {
    guard let f = fields(node, in: what, known: Self.windowKeys, required: ["days", "from", "to"]) else {
      return nil
    }
    var days = Set<Int>()
    var ok = true
    let dayNodes = list(f["days"], "\(what).days")
    for d in dayNodes {
      guard let s = string(d, "\(what).days") else {
        ok = false
        continue
      }
      if let n = PolicyCalendar.dayNames.firstIndex(of: s) {
        days.insert(n + 1)
      } else {
        error(
          .invalidValue,
          "invalid day '\(s)': expected one of \(PolicyCalendar.dayNames.joined(separator: ", "))\(Suggestions.hint(s, PolicyCalendar.dayNames))",
          d.range)
        ok = false
      }
    }
    if f["days"] != nil, dayNodes.isEmpty, ok {
      error(.invalidValue, "\(what).days is empty: a window needs at least one day", f["days"]!.range)
      ok = false
    }
    let from = f["from"].flatMap { time($0, "\(what).from", allowEndOfDay: false) }
    let to = f["to"].flatMap { time($0, "\(what).to", allowEndOfDay: true) }
    guard ok, let from, let to else { return nil }
    if from == to {
      error(
        .invalidValue,
        "\(what) starts and ends at the same time: a window needs a length (a whole day is '00:00' to '24:00')",
        f["to"]!.range)
      return nil
    }
    return PolicyCalendar.Window(days: days, from: from, to: to)
  }

  /// `HH:MM`, 24-hour local time, as minutes after midnight (`24:00` only for an end).
  mutating func time(_ node: Node, _ what: String, allowEndOfDay: Bool) -> Int? {
    guard let s = string(node, what) else { return nil }
    let b = Array(s.utf8)
    func digit(_ i: Int) -> Int? { b[i] >= 48 && b[i] <= 57 ? Int(b[i] - 48) : nil }
    if b.count == 5, b[2] == UInt8(ascii: ":"), let h1 = digit(0), let h2 = digit(1), let m1 = digit(3),
      let m2 = digit(4)
    {
      let h = h1 * 10 + h2
      let m = m1 * 10 + m2
      if h < 24 && m < 60 { return h * 60 + m }
      if allowEndOfDay && h == 24 && m == 0 { return 1440 }
    }
    error(
      .invalidValue,
      "invalid time '\(s)' for '\(what)': expected 24-hour local time as HH:MM, such as \"09:00\" or \"17:30\"\(allowEndOfDay ? " (or \"24:00\")" : "")",
      node.range)
    return nil
  }
}
