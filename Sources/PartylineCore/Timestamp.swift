/// ISO-8601 UTC timestamps without Foundation: `2026-11-26T14:30:00.000Z`.
public enum Timestamp {
  public static func iso8601(_ t: Double, milliseconds: Bool = true) -> String {
    let total = Int64((t * 1000).rounded(.down))
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
}
