public import Foundation

/// One request's slot of the budget, taken before the request is journalled so that the time a
/// write waits for the budget is not taken out of its lease. Spent once.
public final class RatePermit: @unchecked Sendable {
  private let lock = NSLock()
  private var spent = false
  let cls: RateClass
  init(_ cls: RateClass) { self.cls = cls }

  /// True the first time: the request may go without asking the budget again.
  public func spend() -> Bool {
    lock.withLock {
      defer { spent = true }
      return !spent
    }
  }
}
