import Foundation
import PartylineCore
import PartylineLocal

/// `PARTYLINE_PLAN_KEY`: the key saved plans are signed and checked with (never printed). Unset or
/// empty: plans are not signed, and `apply --plan` takes unsigned ones.
enum PlanKey {
  static var current: [UInt8]? {
    guard let k = ProcessInfo.processInfo.environment["PARTYLINE_PLAN_KEY"], !k.isEmpty else { return nil }
    return Array(k.utf8)
  }
}

/// A saved plan file as `apply --plan` and `show` read it: at most 64 MiB, its signature checked with
/// `PlanKey.current` (one that does not match is refused), then decoded. What an unsigned or an
/// unchecked signature means is each command's to say.
enum SavedPlanFile {
  static func read(_ path: String) throws -> (plan: SavedPlan, signature: PlanSignature.Status) {
    guard let bytes = FileBytes.read(path, limit: 64 << 20) else {
      throw SavedPlanError("cannot read the saved plan '\(path)' (missing, unreadable or over 64 MiB)")
    }
    let signature = PlanSignature.verify(bytes, key: PlanKey.current)
    if signature == .mismatch {
      throw SavedPlanError(
        "'\(path)': the signature does not match: the plan was edited, or signed with another key; refused")
    }
    return (try SavedPlan.decode(Data(bytes), path: path), signature)
  }
}
