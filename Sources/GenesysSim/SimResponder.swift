import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import OrderedJSON
import YAMLReader

/// Routes every request itself (so unknown routes get Genesys's ErrorBody, not the framework's 404),
/// applies faults, hands the request to the engine and logs the outcome.
struct SimResponder: HTTPResponder {
  typealias Context = SimRequestContext
  let engine: SimEngine

  static let maxBody = 512_000

  func respond(to request: Request, context: Context) async throws -> Response {
    let method = request.method.rawValue
    let path = request.uri.path
    if path == "/sim" || path.hasPrefix("/sim/") {
      return try await simEndpoint(request, method: method, path: path)
    }
    let correlationId = engine.newCorrelationId()
    let matched = SimRoute.match(method: method, path: path)
    let routeLabel = matched?.0.rawValue ?? "unmatched"

    let fault = engine.decideFault(method: method, path: path)
    if fault.latency > 0 {
      try? await Task.sleep(nanoseconds: UInt64(min(fault.latency, 600) * 1_000_000_000))
    }
    switch fault.outcome {
    case .none: break
    case .reset:
      engine.record(
        time: engine.options.now(), clientId: nil, method: method, path: path, route: routeLabel, status: 0,
        correlationId: correlationId)
      context.channel.close(mode: .all, promise: nil)
      throw ConnectionResetFault()
    case .throttled(let retryAfter):
      var reply = SimEngine.errorReply(
        429, "too.many.requests.retry.after", "Rate limit exceeded the maximum (injected fault).",
        correlationId: correlationId)
      reply.headers.append(("Retry-After", retryAfter))
      reply.headers.append(("ININ-Correlation-Id", correlationId))
      engine.record(
        time: engine.options.now(), clientId: nil, method: method, path: path, route: routeLabel, status: 429,
        correlationId: correlationId)
      return response(reply)
    case .status(let status):
      let (code, message) =
        switch status {
        case 503: ("service.unavailable", "Service temporarily unavailable (injected fault).")
        case 504: ("request.timeout", "The request timed out (injected fault).")
        default: ("internal.server.error", "The server encountered an internal error (injected fault).")
        }
      var reply = SimEngine.errorReply(status, code, message, correlationId: correlationId)
      reply.headers.append(("ININ-Correlation-Id", correlationId))
      engine.record(
        time: engine.options.now(), clientId: nil, method: method, path: path, route: routeLabel,
        status: status, correlationId: correlationId)
      return response(reply)
    }

    var body: [UInt8] = []
    if request.method == .post || request.method == .patch || request.method == .put {
      do {
        let buffer = try await request.body.collect(upTo: Self.maxBody)
        body = Array(buffer.readableBytesView)
      } catch {
        var reply = SimEngine.errorReply(
          413, "request.entity.too.large", "The request body is larger than \(Self.maxBody) bytes.",
          correlationId: correlationId)
        reply.headers.append(("ININ-Correlation-Id", correlationId))
        engine.record(
          time: engine.options.now(), clientId: nil, method: method, path: path, route: routeLabel,
          status: 413, correlationId: correlationId)
        return response(reply)
      }
    }
    let simRequest = SimRequest(
      method: method, path: path, query: parseQuery(request.uri.query ?? ""),
      authorization: request.headers[.authorization], contentType: request.headers[.contentType], body: body)
    let (reply, clientId) = engine.handle(
      simRequest, route: matched?.0, params: matched?.1 ?? [], correlationId: correlationId)
    engine.record(
      time: engine.options.now(), clientId: clientId, method: method, path: path, route: routeLabel,
      status: reply.status, correlationId: correlationId)
    return response(reply)
  }

  /// `/sim/*`: the emulator's own controls; no token, not counted, no faults.
  func simEndpoint(_ request: Request, method: String, path: String) async throws -> Response {
    switch (method, path) {
    case ("GET", "/sim/requests"):
      return response(engine.json(200, engine.requestCountsJSON()))
    case ("GET", "/sim/log"):
      return response(engine.json(200, engine.logJSON()))
    case ("DELETE", "/sim/requests"), ("DELETE", "/sim/log"):
      engine.clearRequests()
      return Response(status: .noContent)
    case ("GET", "/sim/faults"):
      return response(engine.json(200, faultsJSON(engine.currentFaults())))
    case ("DELETE", "/sim/faults"):
      engine.setFaults([])
      return Response(status: .noContent)
    case ("POST", "/sim/faults"):
      let buffer = try await request.body.collect(upTo: Self.maxBody)
      let parsed: JSONValue
      do throws(JSONParser.Failure) {
        parsed = try JSONParser.parse(Array(buffer.readableBytesView))
      } catch {
        return simError(400, "bad.request", "malformed JSON: \(error.reason) at byte \(error.offset)")
      }
      switch Self.faultRules(parsed) {
      case .success(let rules):
        // Faults of the events on the sockets:
        // {"events": {"dropShare": 0.2, "delayMs": 300, "partialShare": 0.5}}.
        if let events = parsed["events"] {
          let drop = events["dropShare"]?.doubleValue ?? 0
          let delay = events["delayMs"]?.doubleValue ?? 0
          let partial = events["partialShare"]?.doubleValue ?? 0
          guard case .object = events, (0...1).contains(drop), (0...600_000).contains(delay),
            (0...1).contains(partial)
          else {
            return simError(
              400, "invalid.value",
              "'events' takes dropShare (0 to 1), delayMs (0 to 600000) and partialShare (0 to 1)")
          }
          engine.notifications.setFaults(dropShare: drop, delay: delay / 1000, partialShare: partial)
        }
        engine.setFaults(rules)
        return response(engine.json(200, faultsJSON(rules)))
      case .failure(let failure):
        return simError(400, "invalid.value", failure.message)
      }
    case ("POST", "/sim/notifications/socket-closing"):
      // A maintenance close, as Genesys announces it: the notice, then the socket closes.
      let notice = JSONValue.object([
        ("topicName", .string("v2.system.socket_closing")),
        ("eventBody", .object([("message", .string("Socket is closing; reconnect to the same channel."))])),
      ]).render()
      let channels = engine.notifications.connectedChannels()
      for id in channels { _ = engine.notifications.send(id, notice, close: true) }
      return response(engine.json(200, .object([("sockets", .int(channels.count))])))
    case ("POST", "/sim/notifications/drop"):
      return response(engine.json(200, .object([("sockets", .int(engine.notifications.dropSockets()))])))
    case ("GET", "/sim/history"):
      return response(engine.json(200, engine.historyJSON()))
    case ("DELETE", "/sim/history"):
      engine.clearHistory()
      return Response(status: .noContent)
    case ("POST", "/sim/conversations"):
      let buffer = try await request.body.collect(upTo: Self.maxBody)
      return worldResponse(engine.merge(Array(buffer.readableBytesView)))
    case ("POST", _) where path.hasPrefix("/sim/conversations/"):
      let parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
      // ["", "sim", "conversations", cid, "end"] or [..., cid, "participants", pid, "leave"]
      if parts.count == 5, parts[4] == "end" {
        return worldResponse(engine.disconnect(parts[3], participantId: nil))
      }
      if parts.count == 7, parts[4] == "participants", parts[6] == "leave" {
        return worldResponse(engine.disconnect(parts[3], participantId: parts[5]))
      }
      return simError(404, "not.found", "no emulator control at \(method) \(path)")
    case ("GET", "/sim/state"):
      var headers = HTTPFields()
      headers[.contentType] = "application/yaml; charset=utf-8"
      return Response(
        status: .ok, headers: headers,
        body: .init(byteBuffer: ByteBuffer(string: engine.exportedFixture().yaml())))
    default:
      return simError(404, "not.found", "no emulator control at \(method) \(path)")
    }
  }

  func worldResponse(_ change: SimEngine.WorldChange) -> Response {
    switch change {
    case .merged(let c, let p):
      return response(engine.json(200, .object([("conversations", .int(c)), ("participants", .int(p))])))
    case .invalid(let diagnostics):
      let text = diagnostics.prefix(20).map {
        "\($0.range.start.line):\($0.range.start.column): \($0.message)"
      }
      return simError(400, "invalid.value", text.joined(separator: "; "))
    case .conflict(let message, let code):
      return simError(409, code, message)
    case .notFound:
      return simError(404, "not.found", "no such conversation or participant")
    case .done:
      return response(engine.json(200, .object([("ok", .bool(true))])))
    }
  }

  func simError(_ status: Int, _ code: String, _ message: String) -> Response {
    let id = engine.newCorrelationId()
    var reply = SimEngine.errorReply(status, code, message, correlationId: id)
    reply.headers.append(("ININ-Correlation-Id", id))
    return response(reply)
  }

  func faultsJSON(_ rules: [FaultRule]) -> JSONValue {
    let events = engine.notifications.faults
    return .object([
      (
        "events",
        .object([
          ("dropShare", .double(events.dropShare)), ("delayMs", .int(Int((events.delay * 1000).rounded()))),
          ("partialShare", .double(events.partialShare)),
        ])
      ),
      (
        "faults",
        .array(
          rules.map {
            .object([
              ("route", .string($0.route)), ("error500", .double($0.error500)),
              ("error503", .double($0.error503)),
              ("error504", .double($0.error504)), ("error429", .double($0.error429)),
              ("retryAfter", .string($0.retryAfter)), ("reset", .double($0.reset)),
              ("latencyMs", .int(Int(($0.latency * 1000).rounded()))),
              ("times", $0.times.map { .int($0) } ?? .null),
            ])
          })
      ),
    ])
  }

  /// `{"faults":[{"route":"*","error500":0.1,"error503":0,"error504":0,"reset":0.05,"latencyMs":20}]}`.
  static func faultRules(_ value: JSONValue) -> Result<[FaultRule], FaultSpecError> {
    guard let items = value["faults"]?.arrayValue else {
      return .failure(FaultSpecError(message: "the body must be an object with a 'faults' array"))
    }
    var rules: [FaultRule] = []
    let known = [
      "route", "error500", "error503", "error504", "error429", "retryAfter", "reset", "latencyMs", "times",
    ]
    for item in items {
      guard case .object(let pairs) = item else {
        return .failure(FaultSpecError(message: "each fault must be an object"))
      }
      var rule = FaultRule()
      for (key, v) in pairs {
        guard known.contains(key) else {
          return .failure(
            FaultSpecError(
              message: "unknown key '\(key)' in a fault; known: \(known.joined(separator: ", "))"))
        }
        if key == "route" {
          guard let s = v.stringValue else {
            return .failure(FaultSpecError(message: "'route' must be a string"))
          }
          rule.route = s
          continue
        }
        if key == "retryAfter" {
          // Any text a server might send, served verbatim (bounded, and no line breaks).
          guard let s = v.stringValue, s.utf8.count <= 64, !s.contains(where: \.isNewline) else {
            return .failure(FaultSpecError(message: "'retryAfter' must be a string of at most 64 characters"))
          }
          rule.retryAfter = s
          continue
        }
        if key == "times" {
          guard let n = v.doubleValue, n >= 1, n <= 1_000_000, n == n.rounded() else {
            return .failure(FaultSpecError(message: "'times' must be a whole number from 1 to 1000000"))
          }
          rule.times = Int(n)
          continue
        }
        guard let d = v.doubleValue, d >= 0, d <= (key == "latencyMs" ? 600_000 : 1) else {
          return .failure(
            FaultSpecError(message: "'\(key)' must be a share from 0 to 1 (latencyMs: 0 to 600000)"))
        }
        switch key {
        case "error500": rule.error500 = d
        case "error503": rule.error503 = d
        case "error504": rule.error504 = d
        case "error429": rule.error429 = d
        case "reset": rule.reset = d
        default: rule.latency = d / 1000
        }
      }
      let sum = rule.error500 + rule.error503 + rule.error504 + rule.error429 + rule.reset
      guard sum <= 1.000_001,
        [rule.error500, rule.error503, rule.error504, rule.reset].allSatisfy({ $0 <= 1 })
      else { return .failure(FaultSpecError(message: "the shares of a fault must add up to at most 1")) }
      rules.append(rule)
    }
    return .success(rules)
  }

  func response(_ reply: SimReply) -> Response {
    var headers = HTTPFields()
    for (name, value) in reply.headers {
      if let n = HTTPField.Name(name) { headers.append(HTTPField(name: n, value: value)) }
    }
    let status = HTTPResponse.Status(code: reply.status)
    if reply.body.isEmpty { return Response(status: status, headers: headers) }
    return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: reply.body)))
  }
}
