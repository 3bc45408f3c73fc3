import Foundation
#if canImport(Glibc)
  import Glibc
#endif

/// A flag set from a signal handler and read by the host's loop.
final class ManagedFlag: @unchecked Sendable {
  private let lock = NSLock()
  private var value = false
  func set() { lock.withLock { value = true } }
  var isSet: Bool { lock.withLock { value } }
}
