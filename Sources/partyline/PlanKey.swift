import Foundation

/// `PARTYLINE_PLAN_KEY`: the key saved plans are signed and checked with (never printed). Unset or
/// empty: plans are not signed, and `apply --plan` takes unsigned ones.
enum PlanKey {
  static var current: [UInt8]? {
    guard let k = ProcessInfo.processInfo.environment["PARTYLINE_PLAN_KEY"], !k.isEmpty else { return nil }
    return Array(k.utf8)
  }
}
