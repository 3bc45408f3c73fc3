import Foundation

/// One request's slot of the budget, taken before the request is journalled so that the time a
/// write waits for the budget is not taken out of its lease. Spent once.
public final class RatePermit: @unchecked Sendable {
  private let lock = NSLock()
  private var spent = false
  let cls: RateClass
  /// The slot, for `RateBudget.settle` once the request's answer is in.
  let ticket: RateTicket
  init(_ cls: RateClass, ticket: RateTicket) {
    self.cls = cls
    self.ticket = ticket
  }

  /// True the first time: the request may go without asking the budget again.
  public func spend() -> Bool {
    lock.withLock {
      defer { spent = true }
      return !spent
    }
  }
}

/// A slot granted by `RateBudget.acquire`: the request that spends it gives it back to
/// `RateBudget.settle` when its answer (or its failure) is in.
public struct RateTicket: Sendable, Hashable {
  let id: Int
  init(_ id: Int) { self.id = id }
}
