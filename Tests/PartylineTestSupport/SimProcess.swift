public import Foundation

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif

/// `partyline sim serve` as a child process on 127.0.0.1, for end-to-end runs of the built binary.
public final class SimProcess: @unchecked Sendable {
  /// The child process.
  public let process = Process()
  /// Where it listens (`http://127.0.0.1:<port>`).
  public let baseURL: String

  /// Starts `sim serve` with `arguments` (and the fixture, when given) and waits for its first line.
  public init(_ arguments: [String] = [], fixture: String? = nil) throws {
    process.executableURL = Built.partyline
    var args = ["sim", "serve", "--port", "0"] + arguments
    if let fixture { args += ["--fixture", fixture] }
    process.arguments = args
    process.currentDirectoryURL = Built.packageRoot
    let out = Pipe()
    process.standardOutput = out
    process.standardError = FileHandle.nullDevice
    try process.run()
    let line = out.fileHandleForReading.readLine()
    guard line.hasPrefix("listening on ") else {
      process.terminate()
      throw SimProcessError.notListening(line)
    }
    baseURL = String(line.dropFirst("listening on ".count))
  }

  /// The emulator did not say where it listens.
  public enum SimProcessError: Error { case notListening(String) }

  deinit { stop() }

  /// SIGTERM, then SIGKILL if the emulator has not stopped within 3 s.
  public func stop() {
    guard process.isRunning else { return }
    process.terminate()
    let deadline = Date().addingTimeInterval(3)
    while process.isRunning && Date() < deadline { usleep(20_000) }
    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    process.waitUntilExit()
  }

  /// The environment a plan or apply run needs to use this emulator with the demo client.
  public var environment: [String: String] {
    [
      "GENESYSCLOUD_API_URL": baseURL, "GENESYSCLOUD_OAUTHCLIENT_ID": Demo.Client.id,
      "GENESYSCLOUD_OAUTHCLIENT_SECRET": Demo.Client.secret, "GENESYSCLOUD_ACCESS_TOKEN": "",
    ]
  }

  /// One request to the emulator, without a token (the `/sim` routes need none).
  public func request(_ method: String, _ path: String, body: String? = nil) async throws -> (Int, Data) {
    var r = URLRequest(url: URL(string: baseURL + path)!)
    r.httpMethod = method
    if let body {
      r.httpBody = Data(body.utf8)
      r.setValue("application/json", forHTTPHeaderField: "Content-Type")
    }
    let (data, response) = try await URLSession.shared.data(for: r)
    return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
  }

  /// Requests counted by route (`GET /sim/requests`).
  public func counts() async throws -> [String: Int] {
    let (_, data) = try await request("GET", "/sim/requests")
    let json = try JSONSerialization.jsonObject(with: data) as? [String: Any]
    var out: [String: Int] = [:]
    for r in json?["routes"] as? [[String: Any]] ?? [] {
      if let route = r["route"] as? String, let total = r["total"] as? Int { out[route] = total }
    }
    return out
  }

  /// The conversation as the API shows it.
  public func conversation(_ id: String) async throws -> [[String: Any]] {
    let (_, tokenData) = try await requestToken()
    let token =
      (try JSONSerialization.jsonObject(with: tokenData) as? [String: Any])?["access_token"] as? String ?? ""
    var r = URLRequest(url: URL(string: baseURL + "/api/v2/conversations/calls/\(id)")!)
    r.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
    let (data, _) = try await URLSession.shared.data(for: r)
    let o = try JSONSerialization.jsonObject(with: data) as? [String: Any]
    return o?["participants"] as? [[String: Any]] ?? []
  }

  /// One API request as the demo client (a person using Genesys outside Partyline, say): the status
  /// and the body.
  public func api(_ method: String, _ path: String, body: String? = nil) async throws -> (Int, Data) {
    let (_, tokenData) = try await requestToken()
    let token =
      (try JSONSerialization.jsonObject(with: tokenData) as? [String: Any])?["access_token"] as? String ?? ""
    var r = URLRequest(url: URL(string: baseURL + path)!)
    r.httpMethod = method
    r.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
    if let body {
      r.httpBody = Data(body.utf8)
      r.setValue("application/json", forHTTPHeaderField: "Content-Type")
    }
    let (data, response) = try await URLSession.shared.data(for: r)
    return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
  }

  /// A token for the demo client (with `secret`): the status and the body.
  public func requestToken(secret: String = Demo.Client.secret) async throws -> (Int, Data) {
    var r = URLRequest(url: URL(string: baseURL + "/oauth/token")!)
    r.httpMethod = "POST"
    r.httpBody = Data("grant_type=client_credentials".utf8)
    r.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
    r.setValue(
      "Basic " + Data("\(Demo.Client.id):\(secret)".utf8).base64EncodedString(),
      forHTTPHeaderField: "Authorization")
    let (data, response) = try await URLSession.shared.data(for: r)
    return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
  }

  /// Requests in the log: (method, path, status, time).
  public func log() async throws -> [(String, String, String, String)] {
    let (_, data) = try await request("GET", "/sim/log")
    let o = try JSONSerialization.jsonObject(with: data) as? [String: Any]
    return (o?["entries"] as? [[String: Any]] ?? []).map {
      (
        $0["method"] as? String ?? "", $0["path"] as? String ?? "", "\($0["status"] ?? "")",
        $0["time"] as? String ?? ""
      )
    }
  }
}
