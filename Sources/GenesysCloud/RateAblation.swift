/// Parts of the budget that can be switched off, to show what each is for (hidden `--rate-ablation`;
/// never for production).
public struct RateAblation: OptionSet, Sendable {
  public let rawValue: Int
  public init(rawValue: Int) { self.rawValue = rawValue }
  /// Every mute is sent at once, whether its revert will fit or not.
  public static let admission = RateAblation(rawValue: 1)
  /// One queue in arrival order, no room kept for reverts, and watch reads every call every round.
  public static let priorities = RateAblation(rawValue: 2)
}
