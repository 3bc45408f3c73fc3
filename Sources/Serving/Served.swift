public import Logging
public import NIOCore
public import ServiceLifecycle
import Synchronization

/// A server running in a service group of its own, without signal handling (its owner stops it):
/// the emulator's and `watch --listen`'s. `start` returns once the socket listens, with the port bound
/// (the one picked for port 0), or throws why it could not listen.
public struct Served: Sendable {
  /// The port bound.
  public let port: Int
  private let group: ServiceGroup
  private let task: Task<Void, any Error>

  /// Runs the service `make` builds; `make` hands `onServerRunning` to the server (Hummingbird's
  /// `Application(onServerRunning:)`), which is how the bound port comes back.
  public static func start(
    logger: Logger,
    _ make: (_ onServerRunning: @escaping @Sendable (any Channel) async -> Void) -> any Service
  ) async throws -> Served {
    let bound = BoundPort()
    let service = make { channel in bound.fulfil(.success(channel.localAddress?.port ?? 0)) }
    let group = ServiceGroup(
      configuration: .init(services: [service], gracefulShutdownSignals: [], logger: logger))
    let task = Task {
      do {
        try await group.run()
        bound.fulfil(.failure(StoppedBeforeListening()))
      } catch {
        bound.fulfil(.failure(error))
        throw error
      }
    }
    return Served(port: try await bound.wait(), group: group, task: task)
  }

  /// Stops accepting connections, lets open requests finish, and returns when the server is down.
  public func shutdown() async {
    await group.triggerGracefulShutdown()
    _ = try? await task.value
  }

  /// Waits until the server stops (after `shutdown` from elsewhere, or a failure).
  public func waitUntilStopped() async {
    _ = try? await task.value
  }

  /// The server stopped before it listened.
  public struct StoppedBeforeListening: Error, CustomStringConvertible {
    public var description: String { "the server stopped before it listened" }
  }
}

/// A one-shot hand-over of the bound port (or the failure) from the server task to `start`.
final class BoundPort: Sendable {
  private let state = Mutex<(result: Result<Int, any Error>?, waiter: CheckedContinuation<Int, any Error>?)>(
    (nil, nil))

  func fulfil(_ value: Result<Int, any Error>) {
    let waiter = state.withLock { s -> CheckedContinuation<Int, any Error>? in
      guard s.result == nil else { return nil }
      s.result = value
      defer { s.waiter = nil }
      return s.waiter
    }
    waiter?.resume(with: value)
  }

  func wait() async throws -> Int {
    try await withCheckedThrowingContinuation { c in
      let ready = state.withLock { s -> Result<Int, any Error>? in
        if let r = s.result { return r }
        s.waiter = c
        return nil
      }
      if let ready { c.resume(with: ready) }
    }
  }
}
