import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A deliberately small HTTP/1.1 client over a POSIX socket, one connection per request
/// (`Connection: close`). It shares nothing with the emulator or the product's client, and it can
/// tell a closed-without-answer connection (an injected reset) from a response.
struct TestHTTPClient {
  let port: Int

  struct Response {
    var status: Int
    var headers: [(String, String)]
    var body: [UInt8]

    func header(_ name: String) -> String? {
      headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    var text: String { String(decoding: body, as: UTF8.self) }

    /// The body as a JSON object (empty when it is not one).
    var json: [String: Any] {
      (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:]
    }
  }

  enum Outcome {
    case response(Response)
    /// The server closed the connection without answering.
    case reset
  }

  struct Failure: Error, CustomStringConvertible {
    var description: String
  }

  func send(
    _ method: String, _ path: String, headers: [(String, String)] = [], body: String? = nil
  ) async throws -> Outcome {
    let port = self.port
    return try await withCheckedThrowingContinuation { continuation in
      Thread.detachNewThread {
        continuation.resume(
          with: Result { try TestHTTPClient.exchange(port: port, method, path, headers, body) })
      }
    }
  }

  /// Sends and expects an answer (not a reset).
  func request(
    _ method: String, _ path: String, headers: [(String, String)] = [], body: String? = nil
  ) async throws -> Response {
    switch try await send(method, path, headers: headers, body: body) {
    case .response(let r): return r
    case .reset: throw Failure(description: "connection closed without an answer for \(method) \(path)")
    }
  }

  static func exchange(
    port: Int, _ method: String, _ path: String, _ headers: [(String, String)], _ body: String?
  ) throws -> Outcome {
    #if canImport(Glibc)
      let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    #else
      let fd = socket(AF_INET, SOCK_STREAM, 0)
    #endif
    guard fd >= 0 else { throw Failure(description: "socket: \(errno)") }
    defer { close(fd) }
    var timeout = timeval(tv_sec: 15, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = in_port_t(UInt16(port).bigEndian)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &addr) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    guard connected == 0 else { throw Failure(description: "connect: \(errno)") }

    var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
    for (k, v) in headers { head += "\(k): \(v)\r\n" }
    let payload = Array((body ?? "").utf8)
    if body != nil || method == "POST" || method == "PATCH" { head += "Content-Length: \(payload.count)\r\n" }
    head += "\r\n"
    let out = Array(head.utf8) + payload
    var sent = 0
    while sent < out.count {
      let n = out.withUnsafeBytes { sysSend(fd, $0.baseAddress! + sent, $0.count - sent, 0) }
      if n <= 0 { return .reset }
      sent += n
    }

    var data: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
      let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
      if n > 0 {
        data.append(contentsOf: buffer[0..<n])
        continue
      }
      if n < 0, errno == EINTR { continue }
      if n < 0, errno == EAGAIN || errno == EWOULDBLOCK { throw Failure(description: "timed out") }
      break  // EOF, or a reset (ECONNRESET)
    }
    guard let response = parse(data) else { return .reset }
    return .response(response)
  }

  static func parse(_ data: [UInt8]) -> Response? {
    let separator: [UInt8] = [13, 10, 13, 10]
    guard data.count >= 4,
      let end = (0...(data.count - 4)).first(where: { Array(data[$0..<$0 + 4]) == separator })
    else { return nil }
    let head = String(decoding: data[0..<end], as: UTF8.self)
    var lines = head.components(separatedBy: "\r\n")
    let statusLine = lines.removeFirst().split(separator: " ")
    guard statusLine.count >= 2, let status = Int(statusLine[1]) else { return nil }
    var headers: [(String, String)] = []
    for line in lines {
      guard let colon = line.firstIndex(of: ":") else { continue }
      headers.append(
        (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
    }
    var body = Array(data[(end + 4)...])
    let chunked = headers.contains {
      $0.0.lowercased() == "transfer-encoding" && $0.1.lowercased().contains("chunked")
    }
    if chunked { body = dechunk(body) }
    return Response(status: status, headers: headers, body: body)
  }

  static func dechunk(_ data: [UInt8]) -> [UInt8] {
    var out: [UInt8] = []
    var i = 0
    while i < data.count {
      guard let lineEnd = (i..<data.count - 1).first(where: { data[$0] == 13 && data[$0 + 1] == 10 }) else {
        break
      }
      let sizeText = String(decoding: data[i..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
      guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16), size > 0 else { break }
      let start = lineEnd + 2
      guard start + size <= data.count else { break }
      out.append(contentsOf: data[start..<start + size])
      i = start + size + 2
    }
    return out
  }
}

#if canImport(Glibc)
  private let sysSend = Glibc.send
#elseif canImport(Darwin)
  private let sysSend = Darwin.send
#endif
