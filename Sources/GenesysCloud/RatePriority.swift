public import Foundation

/// The class of the requests a task sends. `urgent` is watch's on-time loop: everything it sends
/// serves a revert.
public enum RatePriority {
  /// Whether the current task is watch's on-time loop, whose requests all count as reverts.
  @TaskLocal public static var urgent = false
  /// The class of the current task's requests when it is not `urgent`; nil means `read`.
  @TaskLocal public static var rateClass: RateClass? = nil

  /// The class the current task's requests are served as.
  public static var current: RateClass { urgent ? .revert : (rateClass ?? .read) }
  /// A slot taken from the budget ahead of the request (`RateBudget.reserve`): the request spends it
  /// instead of waiting again.
  @TaskLocal public static var permit: RatePermit? = nil
}
