/// Resolution of plain scalars under the YAML 1.2 core schema: only `true`/`false` are booleans,
/// `yes`/`on` are strings, `~`, `null` and the empty scalar are null.
enum CoreSchema {
  static func resolve(_ s: UnsafeBufferPointer<UInt8>) -> Node.CoreType {
    let n = s.count
    if n == 0 { return .null }
    let c0 = s[0]
    // Fast path: most scalars start with a letter that cannot begin a special value.
    switch c0 {
    case UInt8(ascii: "~"): return n == 1 ? .null : .string
    case UInt8(ascii: "n"), UInt8(ascii: "N"):
      return matches(s, ["null", "Null", "NULL"]) ? .null : .string
    case UInt8(ascii: "t"), UInt8(ascii: "T"), UInt8(ascii: "f"), UInt8(ascii: "F"):
      return matches(s, ["true", "True", "TRUE", "false", "False", "FALSE"]) ? .bool : .string
    case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."):
      return number(s)
    default: return .string
    }
  }

  private static func matches(_ s: UnsafeBufferPointer<UInt8>, _ words: [StaticString]) -> Bool {
    for w in words where w.utf8CodeUnitCount == s.count {
      if memcmpBytes(s.baseAddress!, w.utf8Start, s.count) { return true }
    }
    return false
  }

  private static func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
  private static func isHex(_ c: UInt8) -> Bool {
    isDigit(c) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70)
  }

  private static func number(_ s: UnsafeBufferPointer<UInt8>) -> Node.CoreType {
    let n = s.count
    if n > 2 && s[0] == UInt8(ascii: "0") && s[1] == UInt8(ascii: "o") {
      return s[2...].allSatisfy { $0 >= 48 && $0 <= 55 } ? .int : .string
    }
    if n > 2 && s[0] == UInt8(ascii: "0") && s[1] == UInt8(ascii: "x") {
      return s[2...].allSatisfy(isHex) ? .int : .string
    }
    var i = 0
    if s[0] == UInt8(ascii: "-") || s[0] == UInt8(ascii: "+") { i = 1 }
    let rest = String(decoding: UnsafeBufferPointer(rebasing: s[i...]), as: UTF8.self)
    if [".inf", ".Inf", ".INF"].contains(rest) { return .float }
    if i == 0 && [".nan", ".NaN", ".NAN"].contains(rest) { return .float }
    // [-+]? ( \.[0-9]+ | [0-9]+ ( \.[0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
    var digits = 0
    while i < n && isDigit(s[i]) {
      i += 1
      digits += 1
    }
    if i == n { return digits > 0 ? .int : .string }
    var isFloat = false
    if s[i] == UInt8(ascii: ".") {
      isFloat = true
      i += 1
      var frac = 0
      while i < n && isDigit(s[i]) {
        i += 1
        frac += 1
      }
      if digits == 0 && frac == 0 { return .string }
    } else if digits == 0 {
      return .string
    }
    if i < n && (s[i] == UInt8(ascii: "e") || s[i] == UInt8(ascii: "E")) {
      isFloat = true
      i += 1
      if i < n && (s[i] == UInt8(ascii: "-") || s[i] == UInt8(ascii: "+")) { i += 1 }
      var exp = 0
      while i < n && isDigit(s[i]) {
        i += 1
        exp += 1
      }
      if exp == 0 { return .string }
    }
    return i == n && isFloat ? .float : .string
  }
}
