import Foundation

/// Passes retry progress on, at most every 2 s, once a request has been failing for 2 s.
actor ProgressGate {
  let sink: (@Sendable (String) -> Void)?
  private var lastSaid = -Double.infinity
  /// The client's clock (`started` and `deadline` are its instants).
  let clock: BudgetClock

  init(_ sink: (@Sendable (String) -> Void)?, clock: BudgetClock) {
    self.sink = sink
    self.clock = clock
  }

  func note(_ what: String, _ why: String, started: Double, deadline: Double) {
    guard let sink else { return }
    let now = clock.now()
    guard now - started >= 2 || deadline - now < 2, now - lastSaid >= 2 else { return }
    lastSaid = now
    sink("\(what) (\(why)), \(max(0, Int((deadline - now).rounded()))) s left")
  }

}
