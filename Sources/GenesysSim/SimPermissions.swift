import YAMLReader

/// Permission names the emulator knows: those of docs/genesys-api.md §3.
public enum SimPermissions {
  /// Every permission name a client may be granted.
  public static let known: [String] = [
    "conversation:communication:view",
    "conversation:participant:wrapup",
    "conversation:call:record",
    "conversation:communication:disconnect",
    "conversation:agentlessCall:add",
    "conversation:call:add",
    "conversation:conference:add",
    "conversation:communication:blindTransfer",
    "conversation:communication:consultTransfer",
    "conversation:communication:consultTransferAgent",
    "directory:user:view",
    "routing:queue:view",
    "analytics:queueObservation:view",
  ]

  /// Whether `granted` (possibly with `*` segments, or `*` alone) covers `permission`.
  static func covers(_ granted: String, _ permission: String) -> Bool {
    if granted == "*" || granted == permission { return true }
    let g = granted.split(separator: ":", omittingEmptySubsequences: false)
    let p = permission.split(separator: ":", omittingEmptySubsequences: false)
    guard g.count == p.count else { return false }
    for (a, b) in zip(g, p) where a != "*" && a != b { return false }
    return true
  }

  static func isValid(_ granted: String) -> Bool {
    known.contains { covers(granted, $0) }
  }
}
