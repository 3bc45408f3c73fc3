public import Foundation

/// The one scope marker left of the budget's intent: `urgent` is watch's on-time loop, and everything
/// it sends (its reads, its unmutes) serves a revert. Every other request says its class where it is
/// made (`RequestPriority`), or is a read.
public enum RatePriority {
  /// Whether the current task is watch's on-time loop, whose requests all count as reverts.
  @TaskLocal public static var urgent = false

  /// The class of a request that does not say one: a revert in the on-time loop, else a read.
  public static var current: RateClass { urgent ? .revert : .read }
}

/// How one request goes through the rate budget, given where it is made: its class, and the slot
/// reserved for it ahead (`RateBudget.reserve`), which it spends instead of waiting again.
public struct RequestPriority: Sendable {
  /// The request's class.
  public var rateClass: RateClass
  /// The slot taken for it before it was journalled, if any.
  public var permit: RatePermit?

  /// A request of `rateClass`, spending `permit` when given.
  public init(_ rateClass: RateClass, permit: RatePermit? = nil) {
    self.rateClass = rateClass
    self.permit = permit
  }
}
