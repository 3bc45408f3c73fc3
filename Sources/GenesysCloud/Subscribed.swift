import Foundation

/// The version of the topics a channel last subscribed.
final class Subscribed: @unchecked Sendable {
  private let lock = NSLock()
  private var value = -1
  func set(_ v: Int) { lock.withLock { value = v } }
  var version: Int { lock.withLock { value } }
}
