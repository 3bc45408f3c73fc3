/// How one request goes through the rate budget, said where it is made: its class, the slot
/// reserved for it ahead (`RateBudget.reserve`), which it spends instead of waiting again, and whether
/// it serves a revert due now (watch's on-time loop: short time limits, and the time the budget made
/// it wait does not count against them). A request that says nothing is a read.
public struct RequestPriority: Sendable {
  /// The request's class.
  public var rateClass: RateClass
  /// The slot taken for it before it was journalled, if any.
  public var permit: RatePermit?
  /// Whether it serves a revert due now.
  public var urgent: Bool

  /// A request of `rateClass`, spending `permit` when given.
  public init(_ rateClass: RateClass, permit: RatePermit? = nil, urgent: Bool = false) {
    self.rateClass = rateClass
    self.permit = permit
    self.urgent = urgent
  }

  /// A reconcile read.
  public static let read = RequestPriority(.read)
  /// A request of watch's on-time loop: a revert due now.
  public static let urgentRevert = RequestPriority(.revert, urgent: true)
}
