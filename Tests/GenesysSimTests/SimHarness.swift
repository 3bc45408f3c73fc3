import Foundation
import GenesysSim
import PartylineTestSupport
import Testing

/// Options with short delays so that tests stay fast on a loaded two-core machine.
func fastOptions(
  patchDelay: TimeInterval = 0.05, connectDelay: TimeInterval = 0.05, noAnswerTimeout: TimeInterval = 0.05,
  rateLimit: Int? = nil
) -> SimOptions {
  SimOptions(
    patchDelay: patchDelay, connectDelay: connectDelay, noAnswerTimeout: noAnswerTimeout, rateLimit: rateLimit
  )
}

/// A started emulator and a client for it; `token(for:)` runs the client-credentials grant.
struct SimSession {
  let server: SimServer
  let http: TestHTTPClient

  func basic(_ id: String, _ secret: String) -> String {
    "Basic " + Data("\(id):\(secret)".utf8).base64EncodedString()
  }

  func tokenResponse(_ id: String, _ secret: String, grant: String = "client_credentials") async throws
    -> TestHTTPClient.Response
  {
    try await http.request(
      "POST", "/oauth/token",
      headers: [
        ("Authorization", basic(id, secret)), ("Content-Type", "application/x-www-form-urlencoded"),
      ],
      body: "grant_type=\(grant)")
  }

  func token(_ id: String = "partyline-demo", _ secret: String = "partyline-demo-secret") async throws
    -> String
  {
    let r = try await tokenResponse(id, secret)
    try #require(r.status == 200, "token: \(r.status) \(r.text)")
    return try #require(r.json["access_token"] as? String)
  }

  func get(_ path: String, token: String?) async throws -> TestHTTPClient.Response {
    try await http.request("GET", path, headers: token.map { [("Authorization", "Bearer \($0)")] } ?? [])
  }

  func send(_ method: String, _ path: String, token: String?, json: String) async throws
    -> TestHTTPClient.Response
  {
    var headers = [("Content-Type", "application/json")]
    if let token { headers.append(("Authorization", "Bearer \(token)")) }
    return try await http.request(method, path, headers: headers, body: json)
  }
}

func withSim(
  fixture: SimFixture = .demo, options: SimOptions = fastOptions(),
  _ body: (SimSession) async throws -> Void
) async throws {
  let server = try await SimServer.start(fixture: fixture, options: options)
  do {
    try await body(SimSession(server: server, http: TestHTTPClient(port: server.port)))
  } catch {
    await server.shutdown()
    throw error
  }
  await server.shutdown()
}

/// Checks the ErrorBody every Genesys error carries, and that its contextId is the correlation id.
func expectErrorBody(
  _ r: TestHTTPClient.Response, status: Int, code: String, sourceLocation: SourceLocation = #_sourceLocation
) {
  let body = r.json
  #expect(r.status == status, "\(r.text)", sourceLocation: sourceLocation)
  #expect(body["code"] as? String == code, "\(r.text)", sourceLocation: sourceLocation)
  #expect(body["status"] as? Int == status, sourceLocation: sourceLocation)
  #expect(body["message"] is String, sourceLocation: sourceLocation)
  #expect((body["details"] as? [Any])?.isEmpty == true, sourceLocation: sourceLocation)
  #expect((body["errors"] as? [Any])?.isEmpty == true, sourceLocation: sourceLocation)
  let correlation = r.header("ININ-Correlation-Id")
  #expect(correlation != nil, sourceLocation: sourceLocation)
  #expect(body["contextId"] as? String == correlation, sourceLocation: sourceLocation)
}

/// Polls `check` until it holds or `timeout` passes (for state that changes after a delay).
func eventually(
  timeout: TimeInterval = 20, _ check: () async throws -> Bool
) async throws -> Bool {
  let deadline = Date().addingTimeInterval(timeout)
  while Date() < deadline {
    if try await check() { return true }
    try await Task.sleep(nanoseconds: 20_000_000)
  }
  return try await check()
}

extension Dictionary where Key == String, Value == Any {
  func participants() -> [[String: Any]] { self["participants"] as? [[String: Any]] ?? [] }
}
