import Foundation

/// Passes retry progress on, at most every 2 s, once a request has been failing for 2 s.
actor ProgressGate {
  let sink: (@Sendable (String) -> Void)?
  private var lastSaid = 0.0

  init(_ sink: (@Sendable (String) -> Void)?) { self.sink = sink }

  func note(_ what: String, _ why: String, started: Double, deadline: Double) {
    guard let sink else { return }
    let now = Date().timeIntervalSince1970
    guard now - started >= 2 || deadline - now < 2, now - lastSaid >= 2 else { return }
    lastSaid = now
    sink("\(what) (\(why)), \(max(0, Int((deadline - now).rounded()))) s left")
  }

}
