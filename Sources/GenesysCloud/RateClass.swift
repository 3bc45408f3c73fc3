/// What a request is for, in the order the budget serves them: an on-time revert or a prune first,
/// then the changes (mutes, unmutes, adds), then the reads that confirm them, then reconcile and
/// discovery reads.
public enum RateClass: Int, Sendable, Comparable, CaseIterable, CustomStringConvertible {
  /// `revert`: on-time reverts and prunes; `write`: mutes, unmutes and adds; `confirm`: the reads
  /// that confirm a change; `read`: reconcile and discovery reads.
  case revert, write, confirm, read

  public static func < (a: RateClass, b: RateClass) -> Bool { a.rawValue < b.rawValue }

  public var description: String {
    switch self {
    case .revert: return "revert"
    case .write: return "write"
    case .confirm: return "confirm"
    case .read: return "read"
    }
  }
}
