import Foundation
import GenesysCloud
import Hummingbird
import Logging
import NIOCore
import OrderedJSON
import PartylineCore
import Serving
import WireTime

/// `watch --listen ADDR` (DESIGN §4, operating a watcher): `/metrics` (Prometheus text, from
/// `WatchMetrics`), `/healthz` (the process lives and answers) and `/readyz` (leading or standing by,
/// with a working stream and state: 200, else 503; a JSON body saying which). Plain HTTP, for the
/// orchestrator and the scraper on the host's network; it serves nothing secret.
struct WatchEndpoints: Sendable {
  /// What `/readyz` and `/metrics` read.
  struct Sources: Sendable {
    var status: WatchStatus
    var metrics: WatchMetrics
    var workspace: String
    /// The open leases as last known (never waits on a database that is gone).
    var leases: @Sendable () async -> [Lease]
    /// The current term's rate budget (nil while standing by).
    var budget: @Sendable () async -> RateBudgetRef?
    /// Whether the state store answers now.
    var stateReachable: @Sendable () -> Bool
    var now: @Sendable () -> Double
  }

  /// `host:port` as given to `--listen` (`:9464` for every address, `[::1]:9464` for IPv6).
  static func parse(_ text: String) -> (host: String, port: Int)? {
    guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
      (0...65535).contains(port)
    else { return nil }
    var host = String(text[..<colon])
    if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
    return (host.isEmpty ? "0.0.0.0" : host, port)
  }

  let served: Served
  /// The port bound (the one asked for, or the one picked for 0).
  var port: Int { served.port }

  /// Starts serving; returns once the socket listens (or throws why it could not).
  static func start(host: String, port: Int, sources: Sources) async throws -> WatchEndpoints {
    var logger = Logger(label: "partyline.endpoints")
    logger.logLevel = .critical
    let router = Router()
    router.get("healthz") { _, _ -> Response in
      Self.json(.ok, .object([("status", .string("alive"))]))
    }
    router.get("readyz") { _, _ -> Response in
      let (ready, body) = await Self.readiness(sources)
      return Self.json(ready ? .ok : .serviceUnavailable, body)
    }
    router.get("metrics") { _, _ -> Response in
      let text = await sources.metrics.scrape(
        leases: await sources.leases(), now: sources.now(), budget: await sources.budget()?.budget)
      return Response(
        status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
        body: .init(byteBuffer: ByteBuffer(string: text)))
    }
    do {
      let served = try await Served.start(logger: logger) { onServerRunning in
        Application(
          router: router, configuration: .init(address: .hostname(host, port: port), serverName: nil),
          onServerRunning: onServerRunning, logger: logger)
      }
      return WatchEndpoints(served: served)
    } catch {
      throw ListenFailed(description: "cannot listen on \(host):\(port): \(error)")
    }
  }

  func stop() async { await served.shutdown() }

  struct ListenFailed: Error, CustomStringConvertible { var description: String }

  /// Whether the watcher is ready, decided once, and `/readyz`'s body saying so: role, epoch, event
  /// stream, state store, open leases, next revert.
  static func readiness(_ s: Sources) async -> (ready: Bool, body: JSONValue) {
    let snapshot = s.status.snapshot
    let leases = await s.leases().filter { $0.status == .open }
    let storeAnswers = s.stateReachable()
    let reachable = snapshot.stateReachable && storeAnswers
    let ready = s.status.ready(snapshot) && storeAnswers
    let body = JSONValue.object([
      ("status", .string(ready ? "ready" : "not ready")),
      ("role", .string(snapshot.role.rawValue)),
      ("workspace", .string(s.workspace)),
      ("epoch", snapshot.epoch.map { .int(Int($0)) } ?? .null),
      ("eventStream", .string(snapshot.stream)),
      ("stateStore", .string(reachable ? "ok" : "unreachable")),
      ("openLeases", .int(leases.count)),
      ("nextRevert", leases.map(\.endsAt).min().map { .string(Timestamp.iso8601($0)) } ?? .null),
    ])
    return (ready, body)
  }

  static func json(_ status: HTTPResponse.Status, _ value: JSONValue) -> Response {
    Response(
      status: status, headers: [.contentType: "application/json"],
      body: .init(byteBuffer: ByteBuffer(string: value.render() + "\n")))
  }
}

/// The current term's client budget, boxed for the endpoints.
struct RateBudgetRef: Sendable {
  var budget: RateBudget
}
