import Foundation
public import YAMLReader

/// When a policy applies (DESIGN §1): `spec.until` and `spec.schedule`. One predicate,
/// `activity(at:)`, decides it for validate, plan, apply, watch and test, on the clock each is given.
public struct PolicyCalendar: Sendable, Hashable {
  /// `spec.until`: the instant the policy ends, in seconds since 1970.
  public var until: Double?
  /// Where `until` is written.
  public var untilLocation: SourceRange?
  /// `spec.schedule`: the policy applies only inside one of its windows.
  public var schedule: Schedule?

  /// A calendar.
  public init(until: Double? = nil, untilLocation: SourceRange? = nil, schedule: Schedule? = nil) {
    self.until = until
    self.untilLocation = untilLocation
    self.schedule = schedule
  }

  /// Weekly windows in a time zone.
  public struct Schedule: Sendable, Hashable {
    /// The IANA time zone the windows are written in (`Europe/Berlin`); DST follows its rules.
    public var timeZone: String
    /// The windows; none means the policy never applies.
    public var windows: [Window]
    /// Where `spec.schedule` is written.
    public var location: SourceRange

    /// A schedule.
    public init(timeZone: String, windows: [Window], location: SourceRange) {
      self.timeZone = timeZone
      self.windows = windows
      self.location = location
    }
  }

  /// One weekly window: on each of `days`, from `from` to `to` local time (minutes after midnight); a
  /// `to` not after `from` ends the next day (`22:00` → `02:00`).
  public struct Window: Sendable, Hashable {
    /// The days a window starts on, as `Calendar`'s weekdays (1 is Sunday).
    public var days: Set<Int>
    /// Minutes after local midnight.
    public var from: Int
    /// Minutes after local midnight (1440: midnight at the end of the day).
    public var to: Int

    /// A window.
    public init(days: Set<Int>, from: Int, to: Int) {
      self.days = days
      self.from = from
      self.to = to
    }
  }

  /// The days' names, in `Calendar`'s weekday order (1 is Sunday).
  public static let dayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]

  /// Whether the policy applies at an instant, and until when; or why not.
  public enum Activity: Sendable, Equatable {
    /// It applies; the leases it opens end at `closesAt` at the latest (nil: no end).
    case active(closesAt: Double?)
    /// Past `until`.
    case expired(at: Double)
    /// Outside every window of its schedule; the next window starts at `nextStart` (nil: none does).
    case outside(nextStart: Double?)
  }

  /// Whether the policy applies at `t` (seconds since 1970).
  public func activity(at t: Double) -> Activity {
    if let until, t >= until { return .expired(at: until) }
    guard let schedule else { return .active(closesAt: until) }
    let spans = schedule.spans(around: t)
    // The windows that hold `t`, then any that start before the latest of them ends (one stretch).
    guard var close = spans.filter({ $0.start <= t && t < $0.end }).map(\.end).max() else {
      return .outside(nextStart: nextStart(after: t))
    }
    var extended = true
    while extended {
      extended = false
      for s in spans where s.start <= close && s.end > close {
        close = s.end
        extended = true
      }
    }
    return .active(closesAt: until.map { min($0, close) } ?? close)
  }

  /// The next instant after `t` when the policy starts to apply (a window opens), if one does within
  /// the week: the watcher reconciles then.
  public func nextStart(after t: Double) -> Double? {
    guard let schedule else { return nil }
    let until = self.until ?? .infinity
    return schedule.spans(around: t).map(\.start).filter { $0 > t && $0 < until }.min()
  }
}

extension PolicyCalendar.Schedule {
  /// The windows as instants, for the local days from the day before `t` to a week after it.
  func spans(around t: Double) -> [(start: Double, end: Double)] {
    guard let zone = TimeZone(identifier: timeZone) else { return [] }
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = zone
    let today = calendar.startOfDay(for: Date(timeIntervalSince1970: t))
    var out: [(start: Double, end: Double)] = []
    for offset in -1...7 {
      guard let day = calendar.date(byAdding: .day, value: offset, to: today) else { continue }
      let weekday = calendar.component(.weekday, from: day)
      let ymd = calendar.dateComponents([.year, .month, .day], from: day)
      func instant(_ minutes: Int, nextDay: Bool) -> Double? {
        var c = ymd
        c.day = (c.day ?? 1) + (nextDay ? 1 : 0) + minutes / 1440
        c.hour = (minutes % 1440) / 60
        c.minute = minutes % 60
        return calendar.date(from: c)?.timeIntervalSince1970
      }
      for w in windows where w.days.contains(weekday) {
        guard let start = instant(w.from, nextDay: false),
          let end = instant(w.to, nextDay: w.to <= w.from)
        else { continue }
        if end > start { out.append((start, end)) }
      }
    }
    return out
  }
}

extension ConversationPolicy {
  /// Whether the policy applies at `t` (always, without `until` or `schedule`).
  public func activity(at t: Double) -> PolicyCalendar.Activity {
    calendar?.activity(at: t) ?? .active(closesAt: nil)
  }
}

extension PolicyCalendar {
  /// The calendar in a set's digest.
  var digestText: String {
    var text = "|until:\(until.map { "\($0)" } ?? "-")"
    if let s = schedule {
      text += "|tz:\(s.timeZone)"
      for w in s.windows { text += "|w:\(w.days.sorted()):\(w.from)-\(w.to)" }
    }
    return text
  }
}

extension PolicySet {
  /// The next instant after `t` when a policy's window opens: `watch` reconciles then, so calls
  /// already under way are planned when their policy starts to apply.
  public func nextWindowStart(after t: Double) -> Double? {
    policies.compactMap { $0.calendar?.nextStart(after: t) }.min()
  }
}
