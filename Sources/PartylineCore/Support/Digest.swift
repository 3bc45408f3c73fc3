import Crypto

/// SHA-256 and HMAC-SHA256 through swift-crypto: digests of policy sets, directives and snapshots,
/// and webhook signatures.
public enum Digest {
  /// The SHA-256 digest of `message`.
  public static func sha256(_ message: [UInt8]) -> [UInt8] { Array(SHA256.hash(data: message)) }

  /// `bytes` as lowercase hexadecimal.
  public static func hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out = [UInt8]()
    out.reserveCapacity(bytes.count * 2)
    for b in bytes {
      out.append(digits[Int(b >> 4)])
      out.append(digits[Int(b & 15)])
    }
    return String(decoding: out, as: UTF8.self)
  }

  /// The SHA-256 digest of the text's UTF-8 bytes, as lowercase hexadecimal.
  public static func sha256Hex(_ text: String) -> String { hex(sha256(Array(text.utf8))) }

  /// HMAC-SHA256 (RFC 2104), for webhook signatures.
  public static func hmacSHA256(key: [UInt8], message: [UInt8]) -> [UInt8] {
    Array(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key)))
  }
}
