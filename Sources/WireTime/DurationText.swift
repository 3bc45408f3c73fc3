/// The one duration grammar of the project: policies, flags and the emulator read durations here.
///
/// Every dialect reads `<number><unit>` terms with the units `h`, `m`, `s` in that order, each at most
/// once (`90s`, `30m`, `1h30m`), and ISO-8601 `PT…` with `H`, `M`, `S`. Policies take exactly that,
/// in whole units. Short waits (flags, the emulator) may add `ms` and decimal numbers (`500ms`,
/// `1.5s`); the emulator also takes plain seconds (`7`) and zero.
public enum DurationText {
  /// What a dialect adds to the policy grammar.
  public struct Dialect: OptionSet, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// Decimal numbers (`1.5s`) and milliseconds (`500ms`).
    public static let fractions = Dialect(rawValue: 1)
    /// Zero is a duration.
    public static let zero = Dialect(rawValue: 2)
    /// A number alone is seconds.
    public static let plainSeconds = Dialect(rawValue: 4)

    /// Policy files: whole units, positive.
    public static let policy: Dialect = []
    /// Duration flags of plan, apply and watch.
    public static let flag: Dialect = [.fractions]
    /// The emulator's flags and fixtures.
    public static let emulator: Dialect = [.fractions, .zero, .plainSeconds]
  }

  /// Why a text is not a duration.
  public enum Problem: Error, Equatable, Sendable {
    /// Not numbers with units h, m, s in that order (nor ISO-8601 `PT…`).
    case malformed
    /// Zero in total (where zero is not a duration).
    case notPositive
    /// A number of more than nine digits, or more than `maxSeconds` in total.
    case tooLarge
  }

  /// The longest duration any dialect reads (about 31 years).
  public static let maxSeconds = 1e9

  /// The seconds `text` says in `dialect`.
  public static func seconds(_ text: String, _ dialect: Dialect = .policy) -> Result<Double, Problem> {
    var u = Array(text.utf8)
    var units: [[UInt8]] = [[UInt8(ascii: "h")], [UInt8(ascii: "m")], [UInt8(ascii: "s")]]
    var factors = [3600.0, 60, 1]
    if u.count > 2 && u[0] == UInt8(ascii: "P") && u[1] == UInt8(ascii: "T") {
      u.removeFirst(2)
      units = [[UInt8(ascii: "H")], [UInt8(ascii: "M")], [UInt8(ascii: "S")]]
    } else if dialect.contains(.fractions) {
      units.append([UInt8(ascii: "m"), UInt8(ascii: "s")])
      factors.append(0.001)
    }
    guard !u.isEmpty else { return .failure(.malformed) }
    var total = 0.0
    var next = 0
    var i = 0
    while i < u.count {
      // A number: digits, and with fractions one point among them.
      var whole = 0
      var digits = 0
      var fraction = 0.0
      var scale = 1.0
      var point = false
      while i < u.count {
        let c = u[i]
        if c >= 48 && c <= 57 {
          if point {
            scale /= 10
            fraction += Double(c - 48) * scale
          } else {
            if digits >= 9 { return .failure(.tooLarge) }
            whole = whole * 10 + Int(c - 48)
          }
          digits += 1
        } else if c == UInt8(ascii: "."), dialect.contains(.fractions), !point {
          point = true
        } else {
          break
        }
        i += 1
      }
      guard digits > 0 else { return .failure(.malformed) }
      let value = Double(whole) + fraction
      if i == u.count, next == 0, dialect.contains(.plainSeconds) {
        total = value  // a number alone: seconds
        break
      }
      // The longest unit that matches here, among those not used yet.
      guard
        let unit = units.indices.filter({ $0 >= next }).filter({ k in
          u.count - i >= units[k].count && Array(u[i..<(i + units[k].count)]) == units[k]
            && !(units[k] == [UInt8(ascii: "m")] && i + 1 < u.count && u[i + 1] == UInt8(ascii: "s")
              && units.count > 3)
        }).first
      else { return .failure(.malformed) }
      total += value * factors[unit]
      next = unit + 1
      i += units[unit].count
    }
    if total > maxSeconds { return .failure(.tooLarge) }
    if total == 0 && !dialect.contains(.zero) { return .failure(.notPositive) }
    return .success(total)
  }
}
