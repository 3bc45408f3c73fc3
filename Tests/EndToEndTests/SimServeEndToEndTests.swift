import Foundation
import PartylineTestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The built `partyline sim serve`: its first line, a request over its socket, a clean stop on
/// SIGTERM and SIGINT, and located errors for a bad fixture.
@Suite struct SimServeEndToEndTests {
  /// One GET over a raw socket; returns the status line.
  static func statusLine(port: Int, path: String) -> String {
    #if canImport(Glibc)
      let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    #else
      let fd = socket(AF_INET, SOCK_STREAM, 0)
    #endif
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = in_port_t(UInt16(port).bigEndian)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    let ok = withUnsafePointer(to: &addr) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    guard ok == 0 else { return "connect failed" }
    let request = Array("GET \(path) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8)
    _ = request.withUnsafeBytes { write(fd, $0.baseAddress!, $0.count) }
    var data: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
      let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
      if n <= 0 { break }
      data.append(contentsOf: buffer[0..<n])
    }
    let text = String(decoding: data, as: UTF8.self)
    return text.components(separatedBy: "\r\n").first ?? ""
  }

  @Test(arguments: [SIGTERM, SIGINT])
  func serveListensAnswersAndStopsCleanly(_ sig: Int32) throws {
    let process = Process()
    process.executableURL = Built.partyline
    process.arguments = ["sim", "serve", "--port", "0", "--rate-limit", "off"]
    let out = Pipe()
    process.standardOutput = out
    process.standardError = FileHandle.nullDevice
    try process.run()
    let line = out.fileHandleForReading.readLine()
    let match = try #require(line.wholeMatch(of: /listening on http:\/\/127\.0\.0\.1:(\d+)/), "\(line)")
    let port = try #require(Int(match.1))
    #expect(Self.statusLine(port: port, path: "/sim/requests") == "HTTP/1.1 200 OK")
    #expect(Self.statusLine(port: port, path: "/api/v2/users/x") == "HTTP/1.1 401 Unauthorized")
    kill(process.processIdentifier, sig)
    process.waitUntilExit()
    #expect(process.terminationReason == .exit)
    #expect(process.terminationStatus == 0)
  }

  @Test func faultFlagAndSavedState() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sim-e2e-state-\(getpid())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let state = dir.appendingPathComponent("org.yaml")
    let process = Process()
    process.executableURL = Built.partyline
    process.arguments = [
      "sim", "serve", "--fault", "/api/v2/*:503=1", "--save-state", state.path, "--patch-delay", "50ms",
    ]
    let out = Pipe()
    process.standardOutput = out
    process.standardError = FileHandle.nullDevice
    try process.run()
    let line = out.fileHandleForReading.readLine()
    let match = try #require(line.wholeMatch(of: /listening on http:\/\/127\.0\.0\.1:(\d+)/), "\(line)")
    let port = try #require(Int(match.1))
    #expect(Self.statusLine(port: port, path: "/api/v2/users/x") == "HTTP/1.1 503 Service Unavailable")
    kill(process.processIdentifier, SIGTERM)
    process.waitUntilExit()
    #expect(process.terminationStatus == 0)
    let saved = try String(contentsOf: state, encoding: .utf8)
    // It holds the clients' secrets.
    #expect(
      (try FileManager.default.attributesOfItem(atPath: state.path)[.posixPermissions] as? Int) == 0o600)
    #expect(saved.contains("\"partyline-demo\""))
    #expect(saved.contains(Demo.Call.warRoom))
  }

  @Test func badFixtureExitsOneWithLocatedErrors() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sim-e2e-\(getpid())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = dir.appendingPathComponent("org.yaml")
    try "clients:\n  - id: a\n    secret: b\n    colour: red\n".write(
      to: file, atomically: true, encoding: .utf8)
    let process = Process()
    process.executableURL = Built.partyline
    process.arguments = ["sim", "serve", "--fixture", file.path]
    let err = Pipe()
    process.standardError = err
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationStatus == 1)
    #expect(text.contains("\(file.path):4:5: error: unknown key 'colour' in a client"), "\(text)")
  }
}
