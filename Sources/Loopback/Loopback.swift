/// The one rule for which hosts are this machine: where plain http (an emulator), plain ws and a
/// PostgreSQL without a checked certificate are allowed. `localhost`, `::1` (bracketed or not) and
/// any IPv4 address 127.x.y.z.
public enum Loopback {
  /// Whether `host` names this machine.
  public static func contains(_ host: String) -> Bool {
    var h = host.lowercased()
    if h.hasPrefix("["), h.hasSuffix("]") { h = String(h.dropFirst().dropLast()) }
    if h == "localhost" || h == "::1" { return true }
    let parts = h.split(separator: ".", omittingEmptySubsequences: false)
    return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
  }
}
