/// Signed saved plans (DESIGN §5, a saved plan edited). With `PARTYLINE_PLAN_KEY` set, `plan --out`
/// ends the file with a field `"signature": "sha256=HEX"`: the HMAC-SHA256, under the key, of the
/// plan exactly as written without that field (the bytes up to the field, then `\n}`). `apply --plan`
/// with the key set refuses a plan that is unsigned or whose signature does not match; a plan is
/// signed byte for byte, so any edit — a later `notAfter`, raised Limits, another change — breaks it.
public enum PlanSignature {
  /// What the signature of a saved plan's bytes says.
  public enum Status: Equatable, Sendable {
    /// The plan carries no signature.
    case unsigned
    /// Signed, and the signature matches the key.
    case valid
    /// Signed, and the signature does not match the key (edited, or another key).
    case mismatch
    /// Signed, but no key was given to check it.
    case unverified
  }

  static let head = Array(",\n  \"signature\": \"sha256=".utf8)
  static let close = Array("\n}".utf8)

  /// `text` (a rendered saved plan: a JSON object indented by two, ending `\n}` and a newline) with
  /// its signature as the last field.
  public static func sign(_ text: String, key: [UInt8]) -> String {
    var unsigned = Array(text.utf8)
    while unsigned.last == UInt8(ascii: "\n") { unsigned.removeLast() }
    let mac = Digest.hex(Digest.hmacSHA256(key: key, message: unsigned))
    guard unsigned.count >= 2, Array(unsigned.suffix(2)) == close else { return text }
    let body = unsigned.dropLast(2)
    return String(decoding: body, as: UTF8.self) + String(decoding: head, as: UTF8.self) + mac + "\"\n}\n"
  }

  /// Checks the signature of a saved plan's `bytes` against `key` (nil: no key given).
  public static func verify(_ bytes: [UInt8], key: [UInt8]?) -> Status {
    var end = bytes.count
    while end > 0, bytes[end - 1] == UInt8(ascii: "\n") { end -= 1 }
    // The last field: `,\n  "signature": "sha256=` 64 hex digits `"\n}`.
    let tail = head.count + 64 + 1 + close.count
    guard end >= tail, Array(bytes[(end - close.count)..<end]) == close,
      bytes[end - close.count - 1] == UInt8(ascii: "\""),
      Array(bytes[(end - tail)..<(end - tail + head.count)]) == head
    else { return .unsigned }
    let given = Array(bytes[(end - tail + head.count)..<(end - close.count - 1)])
    guard given.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else { return .mismatch }
    guard let key else { return .unverified }
    let unsigned = Array(bytes[..<(end - tail)]) + close
    let mac = Array(Digest.hex(Digest.hmacSHA256(key: key, message: unsigned)).utf8)
    // Constant time: every byte is compared whatever the first difference.
    var diff: UInt8 = 0
    for (a, b) in zip(mac, given) { diff |= a ^ b }
    return diff == 0 && mac.count == given.count ? .valid : .mismatch
  }
}
