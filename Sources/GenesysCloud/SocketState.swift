import Foundation
import HummingbirdWSClient

/// What the socket's reader and its watchdog share.
final class SocketState: @unchecked Sendable {
  private let lock = NSLock()
  private var writer: WebSocketOutboundWriter?
  private var last = Date().timeIntervalSince1970
  private var why: String?

  func opened(_ w: WebSocketOutboundWriter) {
    lock.withLock {
      writer = w
      last = Date().timeIntervalSince1970
    }
  }
  func heard() { lock.withLock { last = Date().timeIntervalSince1970 } }
  func closing(_ reason: String) { lock.withLock { why = reason } }
  var wasOpened: Bool { lock.withLock { writer != nil } }
  var lastHeard: Double { lock.withLock { last } }
  var reason: String? { lock.withLock { why } }
}
