/// ISO-8601 UTC timestamps without Foundation: `2026-11-26T14:30:00.000Z`. The one formatter and
/// parser of the project: the journal, the saved plans, the output, the emulator and the client.
public enum Timestamp {
  /// `t` (seconds since 1970, milliseconds rounded down) as `2026-11-26T14:30:00.000Z`, or without
  /// the milliseconds.
  public static func iso8601(_ t: Double, milliseconds: Bool = true) -> String {
    iso8601(epochMilliseconds: Int64((t * 1000).rounded(.down)), milliseconds: milliseconds)
  }

  /// An instant in whole milliseconds since 1970 as `2026-11-26T14:30:00.000Z`.
  public static func iso8601(epochMilliseconds total: Int64, milliseconds: Bool = true) -> String {
    let ms = Int(((total % 1000) + 1000) % 1000)
    var secs = (total - Int64(ms)) / 1000
    let days = Int64((Double(secs) / 86400).rounded(.down))
    secs -= days * 86400
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
    var y = yoe + era * 400
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let d = doy - (153 * mp + 2) / 5 + 1
    let m = mp < 10 ? mp + 3 : mp - 9
    if m <= 2 { y += 1 }
    func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
    let time = "\(two(secs / 3600)):\(two((secs % 3600) / 60)):\(two(secs % 60))"
    let frac = milliseconds ? "." + String(String(ms + 1000).dropFirst()) : ""
    return "\(y)-\(two(m))-\(two(d))T\(time)\(frac)Z"
  }

  /// Hours and minutes, for summaries: `14:30Z`.
  public static func clock(_ t: Double) -> String {
    let s = iso8601(t, milliseconds: false)
    let timePart = s.split(separator: "T")[1]
    return String(timePart.prefix(5)) + "Z"
  }

  /// Parses what ``iso8601(_:milliseconds:)`` writes (`2026-11-26T14:30:00Z`, optionally with a
  /// fraction of up to nine digits); anything else is nil.
  public static func parse(_ s: String) -> Double? {
    let b = Array(s.utf8)
    guard b.count >= 20, b.last == UInt8(ascii: "Z") else { return nil }
    func digits(_ from: Int, _ n: Int) -> Int? {
      guard from + n <= b.count else { return nil }
      var v = 0
      for i in from..<(from + n) {
        guard b[i] >= 48 && b[i] <= 57 else { return nil }
        v = v * 10 + Int(b[i] - 48)
      }
      return v
    }
    guard let y = digits(0, 4), b[4] == UInt8(ascii: "-"), let m = digits(5, 2), b[7] == UInt8(ascii: "-"),
      let d = digits(8, 2), b[10] == UInt8(ascii: "T"), let hh = digits(11, 2), b[13] == UInt8(ascii: ":"),
      let mm = digits(14, 2), b[16] == UInt8(ascii: ":"), let ss = digits(17, 2),
      (1...12).contains(m), (1...31).contains(d), hh < 24, mm < 60, ss < 61
    else { return nil }
    var fraction = 0.0
    if b.count > 20 {
      guard b[19] == UInt8(ascii: "."), b.count - 21 >= 1, b.count - 21 <= 9,
        let f = digits(20, b.count - 21)
      else { return nil }
      var scale = 1.0
      for _ in 0..<(b.count - 21) { scale *= 10 }
      fraction = Double(f) / scale
    } else if b.count != 20 {
      return nil
    }
    // Days since 1970-01-01 from a civil date (Howard Hinnant's algorithm).
    let yy = Int64(m <= 2 ? y - 1 : y)
    let era = (yy >= 0 ? yy : yy - 399) / 400
    let yoe = yy - era * 400
    let mp = Int64(m > 2 ? m - 3 : m + 9)
    let doy = (153 * mp + 2) / 5 + Int64(d) - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    let days = era * 146_097 + doe - 719_468
    return Double(days * 86400 + Int64(hh * 3600 + mm * 60 + ss)) + fraction
  }

  /// Parses an RFC 3339 date-time with its offset (`2026-12-10T18:00:00Z`,
  /// `2026-12-10T19:00:00+01:00`, a fraction allowed): the instant it names; anything else (no
  /// offset, a date alone) is nil.
  public static func parseRFC3339(_ s: String) -> Double? {
    if s.hasSuffix("Z") { return parse(s) }
    let b = Array(s.utf8)
    guard b.count >= 25 else { return nil }
    let sign = b[b.count - 6]
    guard sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-"), b[b.count - 3] == UInt8(ascii: ":") else {
      return nil
    }
    func two(_ i: Int) -> Int? {
      guard b[i] >= 48 && b[i] <= 57 && b[i + 1] >= 48 && b[i + 1] <= 57 else { return nil }
      return Int(b[i] - 48) * 10 + Int(b[i + 1] - 48)
    }
    guard let hh = two(b.count - 5), let mm = two(b.count - 2), hh < 24, mm < 60,
      let local = parse(String(decoding: b[0..<(b.count - 6)], as: UTF8.self) + "Z")
    else { return nil }
    let offset = Double(hh * 3600 + mm * 60)
    return sign == UInt8(ascii: "+") ? local - offset : local + offset
  }
}
