public import WireTime

/// The grammar of values that policy files hold. Anything that could end up in a URL is checked here.
public enum Grammar {
  /// Runs `body` over the string's UTF-8 bytes in place (a copy only for a non-contiguous string).
  @inline(__always)
  static func withBytes<R>(_ s: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
    if let r = s.utf8.withContiguousStorageIfAvailable(body) { return r }
    return Array(s.utf8).withUnsafeBufferPointer(body)
  }

  /// `^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`
  public static func isName(_ s: String) -> Bool {
    withBytes(s) { u in
      guard (1...63).contains(u.count), let first = u.first, let last = u.last else { return false }
      func alnum(_ c: UInt8) -> Bool { (c >= 97 && c <= 122) || (c >= 48 && c <= 57) }
      guard alnum(first), alnum(last) else { return false }
      return u.allSatisfy { alnum($0) || $0 == UInt8(ascii: "-") }
    }
  }

  /// A UUID (8-4-4-4-12 hex, any case), returned in lowercase; nil if malformed.
  public static func uuid(_ s: String) -> String? {
    withBytes(s) { u in
      guard u.count == 36 else { return nil }
      var upper = false
      var i = 0
      for c in u {
        if i == 8 || i == 13 || i == 18 || i == 23 {
          guard c == UInt8(ascii: "-") else { return nil }
        } else {
          switch c {
          case 48...57, 97...102: break
          case 65...70: upper = true
          default: return nil
          }
        }
        i += 1
      }
      // Already lowercase (the common case): the string itself, without building a new one.
      guard upper else { return s }
      return String(decoding: u.map { $0 >= 65 && $0 <= 70 ? $0 + 32 : $0 }, as: UTF8.self)
    }
  }

  /// `local@domain`: printable ASCII without spaces, one `@`, a dotted domain, at most 254 characters.
  /// A queue's name as `spec.select.queue` may give it: 1–255 characters, no control characters, no
  /// `*` (the API treats it as a wildcard: names are matched exactly here).
  public static func isQueueName(_ s: String) -> Bool {
    let scalars = s.unicodeScalars
    guard let first = scalars.first, let last = scalars.last, !first.properties.isWhitespace,
      !last.properties.isWhitespace
    else { return false }
    return scalars.count <= 255
      && !scalars.contains { $0.properties.generalCategory == .control || $0 == "*" || $0 == "\u{7F}" }
  }

  /// Whether `s` is an email: printable ASCII, one `@` after a local part of 1–64 characters, and
  /// a dotted domain; at most 254 characters.
  public static func isEmail(_ s: String) -> Bool {
    withBytes(s) { u in
      // One pass over the bytes: printable ASCII only, so a byte is a character here.
      guard u.count <= 254 else { return false }
      var at = -1
      var i = 0
      var domainDots = 0
      var previous: UInt8 = 0
      for c in u {
        guard c > 32 && c < 127 else { return false }
        switch c {
        case UInt8(ascii: "/"), UInt8(ascii: "\\"), UInt8(ascii: "?"), UInt8(ascii: "#"), UInt8(ascii: "%"),
          UInt8(ascii: "\""), UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "("), UInt8(ascii: ")"),
          UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: ":"), UInt8(ascii: "["), UInt8(ascii: "]"):
          return false
        case UInt8(ascii: "@"):
          guard at < 0 else { return false }  // more than one '@'
          at = i
        case UInt8(ascii: "."):
          if at >= 0 {
            // In the domain: not first, not doubled.
            guard i != at + 1, previous != UInt8(ascii: ".") else { return false }
            domainDots += 1
          }
        default: break
        }
        previous = c
        i += 1
      }
      // A local part of 1–64 bytes; a domain that is not empty, has a dot and does not end in one.
      guard at > 0, at <= 64, at + 1 < i, domainDots > 0, previous != UInt8(ascii: ".") else { return false }
      return true
    }
  }

  /// E.164: `+` and 8–15 digits.
  public static func isE164(_ s: String) -> Bool {
    withBytes(s) { u in
      guard u.first == UInt8(ascii: "+"), (9...16).contains(u.count) else { return false }
      return u.dropFirst().allSatisfy { $0 >= 48 && $0 <= 57 }
    }
  }

  /// The E.164 number an address names, whatever its spelling: `+4930123456`, `tel:+4930123456`,
  /// `tel:+49-30-123456`, `sip:+4930123456@edge.example;user=phone` are all `+4930123456`. Nil when
  /// the address names no E.164 number (a SIP user name, an empty string). The real service renders
  /// phone addresses as URIs, so addresses are compared by this, never by string equality.
  public static func phoneNumber(_ address: String) -> String? {
    var rest = Substring(address)
    for scheme in ["tel:", "sips:", "sip:"] where rest.lowercased().hasPrefix(scheme) {
      rest = rest.dropFirst(scheme.count)
      break
    }
    if let cut = rest.firstIndex(where: { $0 == ";" || $0 == "@" || $0 == "?" }) { rest = rest[..<cut] }
    let kept = rest.filter { !"-. ()".contains($0) }
    return isE164(kept) ? kept : nil
  }

  /// What to say of a value that is not a duration: a bare number gets its likely unit back.
  public static func durationHint(_ text: String, example: String) -> String {
    if let n = Int(text), n > 0 {
      return "a duration needs a unit: did you mean '\(n)s' or '\(n)m'?"
    }
    return "use a duration such as \(example) (units h, m, s: 90s, 30m, 1h30m)"
  }

  /// A purpose as the API spells it: a lowercase word.
  public static func isPurpose(_ s: String) -> Bool {
    withBytes(s) { u in
      guard (1...64).contains(u.count), let first = u.first, first >= 97 && first <= 122 else { return false }
      return u.allSatisfy {
        ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 95 || $0 == 45 || $0 == 46
      }
    }
  }

  /// The purposes the API is known to use (analytics enum); others are accepted, with a suggestion.
  public static let knownPurposes = [
    "acd", "agent", "api", "botflow", "campaign", "customer", "dialer", "external", "fax", "group",
    "inbound", "ivr", "manual", "outbound", "station", "user", "voicemail", "voicesurveyflow", "workflow",
  ]

  /// Why a text is not a duration.
  public typealias DurationError = DurationText.Problem

  /// `90s`, `30m`, `1h30m` (units h, m, s in that order, each at most once) or ISO-8601 `PT1H30M`:
  /// `DurationText`'s policy dialect.
  public static func duration(_ s: String) -> Result<PolicyDuration, DurationError> {
    DurationText.seconds(s, .policy).map { PolicyDuration(seconds: Int($0)) }
  }
}
