import Foundation

enum RunId {
  static let digits = Array("0123456789abcdefghijklmnopqrstuvwxyz")

  static func make() -> String {
    let t = Int(Date().timeIntervalSince1970)
    // Record ids are the run id and a counter, and an outcome is matched to its intent by id: runs
    // of many runners (and watch's, one per reconcile and per event, dozens a second) must never
    // share one. Twelve random base-36 digits (62 bits): with a thousand runs in one second, the
    // chance that two share an id is about 10^-13.
    var n = ""
    var g = SystemRandomNumberGenerator()
    for _ in 0..<12 { n.append(Self.digits[Int(g.next() % 36)]) }
    return "r\(String(t, radix: 36))\(n)"
  }
}
