import Foundation

/// A request as the engine sees it: no framework types, so the rules can be read (and tested)
/// apart from the HTTP server.
struct SimRequest {
  var method: String
  var path: String
  var query: [(String, String)]
  var authorization: String?
  var contentType: String?
  var body: [UInt8]

  func queryValues(_ name: String) -> [String] { query.filter { $0.0 == name }.map { $0.1 } }
}

/// An answer, or `reset` to close the connection without one.
struct SimReply: Error {
  var status: Int
  var headers: [(String, String)] = []
  var body: String = ""
  var reset = false
}

/// What the fault rules decided for one request, before it is handled.
struct FaultDecision {
  var latency: TimeInterval = 0
  var outcome: Outcome = .none

  enum Outcome { case none, status(Int), reset, throttled(retryAfter: String) }
}
