public import Foundation

/// Runs blocking work (a child process to its exit, a pipe to its end) on a thread of its own. The
/// cooperative pool has one thread per core (two here): blocking one of them starves every other async
/// test of the suite for as long, the notification watchdogs and the emulator's servers among them.
public func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
  try await withCheckedThrowingContinuation { continuation in
    Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
  }
}
