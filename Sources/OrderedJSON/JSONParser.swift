/// A strict RFC 8259 parser into the ordered `JSONValue`: the emulator reads request bodies with it
/// (instead of decoding into Codable types a client might share), and the journal its lines (several
/// times faster than Foundation's decoder, which matters for a journal of weeks).
public struct JSONParser {
  /// Why the bytes are not JSON, and where.
  public struct Failure: Error {
    /// The byte offset where parsing stopped.
    public var offset: Int
    /// What was wrong there.
    public var reason: String
  }

  private let bytes: [UInt8]
  private var i = 0
  private var depth = 0

  /// The value `bytes` hold, or where and why they are not one JSON value.
  public static func parse(_ bytes: [UInt8]) throws(Failure) -> JSONValue {
    var p = JSONParser(bytes: bytes)
    p.skipSpace()
    let value = try p.value()
    p.skipSpace()
    guard p.i == bytes.count else { throw Failure(offset: p.i, reason: "unexpected data after the value") }
    return value
  }

  private init(bytes: [UInt8]) { self.bytes = bytes }

  private mutating func skipSpace() {
    while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 {
      i += 1
    }
  }

  private func fail(_ reason: String) -> Failure { Failure(offset: i, reason: reason) }

  private mutating func value() throws(Failure) -> JSONValue {
    guard i < bytes.count else { throw fail("unexpected end of input") }
    switch bytes[i] {
    case UInt8(ascii: "{"): return try object()
    case UInt8(ascii: "["): return try array()
    case UInt8(ascii: "\""): return .string(try string())
    case UInt8(ascii: "t"): try literal("true"); return .bool(true)
    case UInt8(ascii: "f"): try literal("false"); return .bool(false)
    case UInt8(ascii: "n"): try literal("null"); return .null
    default: return try number()
    }
  }

  private mutating func literal(_ word: StaticString) throws(Failure) {
    let n = word.utf8CodeUnitCount
    guard i + n <= bytes.count else { throw fail("invalid literal") }
    for k in 0..<n where bytes[i + k] != word.utf8Start[k] { throw fail("invalid literal") }
    i += n
  }

  private mutating func object() throws(Failure) -> JSONValue {
    depth += 1
    guard depth <= 64 else { throw fail("nesting too deep") }
    defer { depth -= 1 }
    i += 1
    var pairs: [(String, JSONValue)] = []
    skipSpace()
    if i < bytes.count, bytes[i] == UInt8(ascii: "}") {
      i += 1
      return .object(pairs)
    }
    while true {
      skipSpace()
      guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw fail("expected a key") }
      let key = try string()
      skipSpace()
      guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw fail("expected ':'") }
      i += 1
      skipSpace()
      pairs.append((key, try value()))
      skipSpace()
      guard i < bytes.count else { throw fail("unexpected end of input") }
      if bytes[i] == UInt8(ascii: ",") {
        i += 1
        continue
      }
      guard bytes[i] == UInt8(ascii: "}") else { throw fail("expected ',' or '}'") }
      i += 1
      return .object(pairs)
    }
  }

  private mutating func array() throws(Failure) -> JSONValue {
    depth += 1
    guard depth <= 64 else { throw fail("nesting too deep") }
    defer { depth -= 1 }
    i += 1
    var items: [JSONValue] = []
    skipSpace()
    if i < bytes.count, bytes[i] == UInt8(ascii: "]") {
      i += 1
      return .array(items)
    }
    while true {
      skipSpace()
      items.append(try value())
      skipSpace()
      guard i < bytes.count else { throw fail("unexpected end of input") }
      if bytes[i] == UInt8(ascii: ",") {
        i += 1
        continue
      }
      guard bytes[i] == UInt8(ascii: "]") else { throw fail("expected ',' or ']'") }
      i += 1
      return .array(items)
    }
  }

  private mutating func hex4() throws(Failure) -> UInt32 {
    guard i + 4 <= bytes.count else { throw fail("bad escape") }
    var v: UInt32 = 0
    for _ in 0..<4 {
      let c = bytes[i]
      let d: UInt32
      switch c {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - UInt8(ascii: "0"))
      case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - UInt8(ascii: "a") + 10)
      case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - UInt8(ascii: "A") + 10)
      default: throw fail("bad escape")
      }
      v = v * 16 + d
      i += 1
    }
    return v
  }

  private mutating func string() throws(Failure) -> String {
    i += 1
    var out: [UInt8] = []
    while true {
      guard i < bytes.count else { throw fail("unterminated string") }
      let c = bytes[i]
      if c == UInt8(ascii: "\"") {
        i += 1
        break
      }
      if c < 0x20 { throw fail("control character in string") }
      if c != UInt8(ascii: "\\") {
        out.append(c)
        i += 1
        continue
      }
      i += 1
      guard i < bytes.count else { throw fail("unterminated string") }
      let e = bytes[i]
      i += 1
      switch e {
      case UInt8(ascii: "\""): out.append(0x22)
      case UInt8(ascii: "\\"): out.append(0x5C)
      case UInt8(ascii: "/"): out.append(0x2F)
      case UInt8(ascii: "b"): out.append(0x08)
      case UInt8(ascii: "f"): out.append(0x0C)
      case UInt8(ascii: "n"): out.append(0x0A)
      case UInt8(ascii: "r"): out.append(0x0D)
      case UInt8(ascii: "t"): out.append(0x09)
      case UInt8(ascii: "u"):
        var scalar = try hex4()
        if scalar >= 0xD800, scalar < 0xDC00 {
          guard i + 2 <= bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else {
            throw fail("lone surrogate")
          }
          i += 2
          let low = try hex4()
          guard low >= 0xDC00, low < 0xE000 else { throw fail("lone surrogate") }
          scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
        } else if scalar >= 0xDC00, scalar < 0xE000 {
          throw fail("lone surrogate")
        }
        guard let u = Unicode.Scalar(scalar) else { throw fail("bad escape") }
        out.append(contentsOf: Array(String(Character(u)).utf8))
      default: throw fail("bad escape")
      }
    }
    guard let s = String(validating: out, as: UTF8.self) else { throw fail("invalid UTF-8") }
    return s
  }

  private mutating func number() throws(Failure) -> JSONValue {
    let start = i
    if i < bytes.count, bytes[i] == UInt8(ascii: "-") { i += 1 }
    func digits(_ p: inout JSONParser) -> Int {
      let s = p.i
      while p.i < p.bytes.count, p.bytes[p.i] >= 0x30, p.bytes[p.i] <= 0x39 { p.i += 1 }
      return p.i - s
    }
    let intStart = i
    guard digits(&self) > 0 else { throw fail("invalid value") }
    if bytes[intStart] == UInt8(ascii: "0"), i - intStart > 1 { throw fail("leading zero") }
    var isInt = true
    if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
      i += 1
      isInt = false
      guard digits(&self) > 0 else { throw fail("invalid number") }
    }
    if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
      i += 1
      isInt = false
      if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
      guard digits(&self) > 0 else { throw fail("invalid number") }
    }
    let text = String(decoding: bytes[start..<i], as: UTF8.self)
    if isInt, let v = Int(text) { return .int(v) }
    guard let d = Double(text) else { throw fail("invalid number") }
    return .double(d)
  }
}

extension JSONValue {
  /// The value of `key` when this is an object.
  public subscript(key: String) -> JSONValue? {
    guard case .object(let pairs) = self else { return nil }
    return pairs.first { $0.0 == key }?.1
  }

  /// The string, when this is one.
  public var stringValue: String? {
    if case .string(let s) = self { return s }
    return nil
  }

  /// The boolean, when this is one.
  public var boolValue: Bool? {
    if case .bool(let b) = self { return b }
    return nil
  }

  /// The whole number, when this is one (a double without a fraction counts).
  public var intValue: Int? {
    switch self {
    case .int(let i): return i
    case .double(let d) where d.rounded() == d && abs(d) < 1e15: return Int(d)
    default: return nil
    }
  }

  /// The number, when this is one.
  public var doubleValue: Double? {
    switch self {
    case .int(let i): return Double(i)
    case .double(let d): return d
    default: return nil
    }
  }

  /// The items, when this is an array.
  public var arrayValue: [JSONValue]? {
    if case .array(let a) = self { return a }
    return nil
  }

  /// Whether this is an object.
  public var isObject: Bool {
    if case .object = self { return true }
    return false
  }
}
