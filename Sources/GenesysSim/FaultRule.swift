public import Foundation

/// A fault injected into the requests that match `route`: shares (0…1, summing to at most 1) of 500,
/// 503, 504 and 429 answers and of connection resets (the socket is closed without an answer), and a
/// latency added before any answer. A 429 carries `Retry-After` exactly as `retryAfter` says (any text:
/// `100000`, `0.5`, `inf`), so a client's handling of a hostile or broken answer can be tested; `times`
/// limits how many requests the rule answers with a fault before it stops.
public struct FaultRule: Sendable, Equatable {
  /// A glob (`*` matches any run of characters) over `METHOD /path` or over the path alone, e.g.
  /// `*`, `/api/v2/users*`, `PATCH /api/v2/conversations/*`.
  public var route: String
  /// The share of matching requests answered with a 500.
  public var error500: Double
  /// The share of matching requests answered with a 503.
  public var error503: Double
  /// The share of matching requests answered with a 504.
  public var error504: Double
  /// The share of matching requests answered with a 429.
  public var error429: Double
  /// The `Retry-After` header of the rule's 429s, verbatim.
  public var retryAfter: String
  /// The share of matching requests whose connection is closed without an answer.
  public var reset: Double
  /// How many faulty answers the rule gives before it stops (nil: no end).
  public var times: Int?
  /// Seconds added before answering.
  public var latency: TimeInterval

  /// A fault on `route`; by default every share and the latency are 0 (no fault).
  public init(
    route: String = "*", error500: Double = 0, error503: Double = 0, error504: Double = 0,
    error429: Double = 0, retryAfter: String = "1", reset: Double = 0, latency: TimeInterval = 0,
    times: Int? = nil
  ) {
    self.route = route
    self.error500 = error500
    self.error503 = error503
    self.error504 = error504
    self.error429 = error429
    self.retryAfter = retryAfter
    self.reset = reset
    self.latency = latency
    self.times = times
  }

  func matches(method: String, path: String) -> Bool {
    glob(route, path) || glob(route, method + " " + path)
  }

  /// Parses the CLI form `ROUTE:500=0.1,503=0.05,504=0,reset=0.1,latency=50ms` (the route may be
  /// left out, meaning `*`).
  public static func parse(_ text: String) -> FaultRule? {
    var route = "*"
    var spec = Substring(text)
    if let colon = text.lastIndex(of: ":"), !text[text.index(after: colon)...].contains(":") {
      let head = text[..<colon]
      if !head.contains("=") {
        route = head.isEmpty ? "*" : String(head)
        spec = text[text.index(after: colon)...]
      }
    }
    var rule = FaultRule(route: route)
    for part in spec.split(separator: ",") {
      let kv = part.split(separator: "=", maxSplits: 1)
      guard kv.count == 2 else { return nil }
      let key = kv[0].trimmingCharacters(in: .whitespaces)
      let value = kv[1].trimmingCharacters(in: .whitespaces)
      if key == "latency" {
        guard let d = SimDuration.parse(value) else { return nil }
        rule.latency = d
        continue
      }
      guard let share = Double(value), share >= 0, share <= 1 else { return nil }
      switch key {
      case "500": rule.error500 = share
      case "503": rule.error503 = share
      case "504": rule.error504 = share
      case "429": rule.error429 = share
      case "reset": rule.reset = share
      default: return nil
      }
    }
    guard rule.error500 + rule.error503 + rule.error504 + rule.error429 + rule.reset <= 1.000_001 else {
      return nil
    }
    return rule
  }
}
