/// SplitMix64: small, fast and repeatable from a seed.
struct SimRandom {
  var state: UInt64

  init(seed: UInt64) { state = seed }

  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// A share in [0, 1).
  mutating func unit() -> Double { Double(next() >> 11) / Double(UInt64(1) << 53) }

  /// A version-4 UUID, lower-case, as Genesys writes ids.
  mutating func uuid() -> String {
    var bytes = [UInt8](repeating: 0, count: 16)
    var a = next()
    var b = next()
    for k in 0..<8 {
      bytes[k] = UInt8(truncatingIfNeeded: a)
      bytes[8 + k] = UInt8(truncatingIfNeeded: b)
      a >>= 8
      b >>= 8
    }
    bytes[6] = (bytes[6] & 0x0F) | 0x40
    bytes[8] = (bytes[8] & 0x3F) | 0x80
    let hex = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    out.reserveCapacity(36)
    for (k, byte) in bytes.enumerated() {
      if k == 4 || k == 6 || k == 8 || k == 10 { out.append(UInt8(ascii: "-")) }
      out.append(hex[Int(byte >> 4)])
      out.append(hex[Int(byte & 0x0F)])
    }
    return String(decoding: out, as: UTF8.self)
  }

  /// An opaque access token: 43 URL-safe characters.
  mutating func token() -> String {
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    var out: [UInt8] = []
    out.reserveCapacity(43)
    var bits = next()
    var left = 10
    for _ in 0..<43 {
      if left == 0 {
        bits = next()
        left = 10
      }
      out.append(alphabet[Int(bits & 63)])
      bits >>= 6
      left -= 1
    }
    return String(decoding: out, as: UTF8.self)
  }
}
