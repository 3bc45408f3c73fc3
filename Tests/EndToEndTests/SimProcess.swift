import Foundation
import Testing

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif

/// `partyline sim serve` as a child process on 127.0.0.1, for end-to-end runs of the built binary.
final class SimProcess: @unchecked Sendable {
  let process = Process()
  let baseURL: String

  init(_ arguments: [String] = [], fixture: String? = nil) throws {
    process.executableURL = CLI.binary
    var args = ["sim", "serve", "--port", "0"] + arguments
    if let fixture { args += ["--fixture", fixture] }
    process.arguments = args
    process.currentDirectoryURL = CLI.packageRoot
    let out = Pipe()
    process.standardOutput = out
    process.standardError = FileHandle.nullDevice
    try process.run()
    var bytes: [UInt8] = []
    while true {
      let chunk = out.fileHandleForReading.readData(ofLength: 1)
      guard let b = chunk.first, b != 10 else { break }
      bytes.append(b)
    }
    let line = String(decoding: bytes, as: UTF8.self)
    guard line.hasPrefix("listening on ") else {
      process.terminate()
      throw SimProcessError.notListening(line)
    }
    baseURL = String(line.dropFirst("listening on ".count))
  }

  enum SimProcessError: Error { case notListening(String) }

  deinit { stop() }

  /// SIGTERM, then SIGKILL if the emulator has not stopped within 3 s.
  func stop() {
    guard process.isRunning else { return }
    process.terminate()
    let deadline = Date().addingTimeInterval(3)
    while process.isRunning && Date() < deadline { usleep(20_000) }
    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    process.waitUntilExit()
  }

  /// The environment a plan or apply run needs to use this emulator with the demo client.
  var environment: [String: String] {
    [
      "GENESYSCLOUD_API_URL": baseURL, "GENESYSCLOUD_OAUTHCLIENT_ID": "partyline-demo",
      "GENESYSCLOUD_OAUTHCLIENT_SECRET": "partyline-demo-secret", "GENESYSCLOUD_ACCESS_TOKEN": "",
    ]
  }

  func request(_ method: String, _ path: String, body: String? = nil) async throws -> (Int, Data) {
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
  func counts() async throws -> [String: Int] {
    let (_, data) = try await request("GET", "/sim/requests")
    let json = try JSONSerialization.jsonObject(with: data) as? [String: Any]
    var out: [String: Int] = [:]
    for r in json?["routes"] as? [[String: Any]] ?? [] {
      if let route = r["route"] as? String, let total = r["total"] as? Int { out[route] = total }
    }
    return out
  }
}

/// Replaces what changes from run to run (timestamps, emulator ports) so golden files stay stable.
func normalise(_ s: String) -> String {
  var out = s
  let patterns = [
    (#"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z"#, "<time>"),
    (#"next at \d{2}:\d{2}Z"#, "next at <hh:mm>Z"),
    (#"127\.0\.0\.1:\d+"#, "127.0.0.1:<port>"),
    (#"[0-9a-f]{64}"#, "<sha256>"),
    (#"policy set [0-9a-f]{12}"#, "policy set <digest>"),
  ]
  for (p, r) in patterns {
    out = out.replacingOccurrences(of: p, with: r, options: .regularExpression)
  }
  return out
}
