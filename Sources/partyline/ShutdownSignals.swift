import Logging
import ServiceLifecycle
import UnixSignals

/// SIGINT and SIGTERM through swift-service-lifecycle's graceful shutdown: the first one calls
/// `onShutdown` (the run stops sending and winds down within its grace).
struct ShutdownSignals: Service {
  let onShutdown: @Sendable () -> Void

  func run() async throws {
    try await gracefulShutdown()
    onShutdown()
  }

  /// Listens from now until the returned task is cancelled.
  static func listen(_ onShutdown: @escaping @Sendable () -> Void) -> Task<Void, Never> {
    var logger = Logger(label: "partyline.signals")
    logger.logLevel = .critical
    let group = ServiceGroup(
      configuration: .init(
        services: [.init(service: ShutdownSignals(onShutdown: onShutdown))],
        gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
    return Task { try? await group.run() }
  }
}
