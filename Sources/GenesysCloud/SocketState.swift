import Foundation
import HummingbirdWSClient

/// What the socket's reader and its watchdog share; times are the client's clock's.
final class SocketState: @unchecked Sendable {
  private let lock = NSLock()
  private let clock: BudgetClock
  private var writer: WebSocketOutboundWriter?
  private var last: Double
  private var why: String?

  init(clock: BudgetClock) {
    self.clock = clock
    last = clock.now()
  }

  func opened(_ w: WebSocketOutboundWriter) {
    lock.withLock {
      writer = w
      last = clock.now()
    }
  }
  func heard() {
    let now = clock.now()
    lock.withLock { last = now }
  }
  func closing(_ reason: String) { lock.withLock { why = reason } }
  var wasOpened: Bool { lock.withLock { writer != nil } }
  var lastHeard: Double { lock.withLock { last } }
  var reason: String? { lock.withLock { why } }
}
