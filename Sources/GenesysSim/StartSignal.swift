import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import ServiceLifecycle
public import YAMLReader

/// A one-shot hand-over of the bound port (or the failure) from the server task to `start`.
final class StartSignal: @unchecked Sendable {
  private let lock = NSLock()
  private var result: Result<Int, any Error>?
  private var waiter: CheckedContinuation<Int, any Error>?

  func fulfil(_ value: Result<Int, any Error>) {
    lock.lock()
    guard result == nil else {
      lock.unlock()
      return
    }
    result = value
    let w = waiter
    waiter = nil
    lock.unlock()
    w?.resume(with: value)
  }

  func wait() async throws -> Int {
    try await withCheckedThrowingContinuation { continuation in
      lock.lock()
      if let result {
        lock.unlock()
        continuation.resume(with: result)
      } else {
        waiter = continuation
        lock.unlock()
      }
    }
  }
}
