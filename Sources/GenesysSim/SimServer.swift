import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import Serving
import YAMLReader

/// A running emulator on a real socket. Start it, point a client at `baseURL` (both the API and the
/// `/oauth/token` endpoint live there), and shut it down when done.
public final class SimServer: Sendable {
  /// The port the server listens on (the one picked when started with port 0).
  public let port: Int
  /// The address the server is bound to.
  public let host: String
  let engine: SimEngine
  private let served: Served
  private let ticker: Task<Void, Never>

  /// `http://127.0.0.1:PORT`.
  public var baseURL: String { "http://\(host):\(port)" }

  private init(
    port: Int, host: String, engine: SimEngine, served: Served, ticker: Task<Void, Never>
  ) {
    self.ticker = ticker
    self.port = port
    self.host = host
    self.engine = engine
    self.served = served
  }

  /// Binds `host:port` (0 picks a free port) and starts serving `fixture`; returns once it listens.
  public static func start(
    fixture: SimFixture, options: SimOptions = SimOptions(), host: String = "127.0.0.1", port: Int = 0
  ) async throws -> SimServer {
    let engine = SimEngine(fixture: fixture, options: options)
    var logger = Logger(label: "partyline.sim")
    logger.logLevel = .critical
    let served = try await Served.start(logger: logger) { onServerRunning in
      Application(
        responder: SimResponder(engine: engine),
        server: .http1WebSocketUpgrade { request, channel, _ in
          // The Notifications API's sockets: an existing (unexpired) channel upgrades, anything else is
          // answered by the responder (404).
          guard let id = SimSockets.channelId(request.path ?? ""),
            let (socket, stream) = engine.notifications.attach(id, now: engine.options.now())
          else { return .dontUpgrade }
          return .upgrade([:]) { inbound, outbound, _ in
            await SimSockets.serve(
              channelId: id, socket: socket, stream: stream, inbound: inbound, outbound: outbound,
              engine: engine,
              nio: channel)
          }
        },
        configuration: .init(address: .hostname(host, port: port), serverName: nil, backlog: 1024),
        onServerRunning: onServerRunning,
        logger: logger)
    }
    let bound = served.port
    engine.setStreamingBase("ws://\(host):\(bound)")
    // Changes the API makes later (a PATCH after its 202, a ringing party answering) take effect on
    // time, so their events are published when they happen, not when someone next reads.
    let ticker = Task {
      while !Task.isCancelled {
        // Until the next change is due, at most 50 ms (a change scheduled meanwhile waits that long).
        let wait = min(
          0.05, max(0.001, engine.nextDue().map { $0.timeIntervalSince(engine.options.now()) } ?? 0.05))
        try? await Task.sleep(nanoseconds: UInt64(wait * 1e9))
        engine.tick()
      }
    }
    return SimServer(port: bound, host: host, engine: engine, served: served, ticker: ticker)
  }

  /// Starts from what `exportState()` wrote earlier (any fixture YAML); throws the fixture's
  /// diagnostics (`[Diagnostic]`) when it cannot be read.
  public static func start(
    exportedState yaml: String, file: String = "state.yaml", options: SimOptions = SimOptions(),
    host: String = "127.0.0.1", port: Int = 0
  ) async throws -> SimServer {
    let fixture = try SimFixture.parse(yaml: yaml, file: file).get()
    return try await start(fixture: fixture, options: options, host: host, port: port)
  }

  /// Stops accepting connections, lets open requests finish and returns when the server is down.
  public func shutdown() async {
    ticker.cancel()
    _ = engine.notifications.dropSockets()
    await served.shutdown()
  }

  /// The current organisation as fixture YAML, with pending changes applied: write it to a file and
  /// start from it again (`SimFixture.load`) to carry the org over to a later run.
  public func exportState() -> String {
    engine.exportedFixture().yaml()
  }

  /// The current organisation as a fixture.
  public func exportFixture() -> SimFixture {
    engine.exportedFixture()
  }
}
