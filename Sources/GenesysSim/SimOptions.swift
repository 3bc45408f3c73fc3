public import Foundation

/// How the emulator behaves where the fixture does not say: timings, the rate limit, faults and the
/// clock. Defaults follow the real service where it is known (docs/genesys-api.md) and docs/emulator.md.
public struct SimOptions: Sendable {
  /// Seeds every id, token and fault draw the emulator makes, so that runs repeat.
  public var seed: UInt64
  /// Overrides every client's token lifetime (seconds); nil keeps the fixture's, else 24 h.
  public var tokenLifetime: TimeInterval?
  /// How long after its 202 a participant PATCH becomes visible.
  public var patchDelay: TimeInterval
  /// How long an added party rings (`alerting`) before it is `connected`.
  public var connectDelay: TimeInterval
  /// How long an added party that does not answer (presence Offline) rings before it is disconnected
  /// with `transfer.noanswer`.
  public var noAnswerTimeout: TimeInterval
  /// Requests per token per window; nil turns the limit (and its headers) off.
  public var rateLimit: Int?
  /// The rate-limit window in seconds (fixed, from a token's first request in the window).
  public var rateLimitWindow: TimeInterval
  /// Faults injected from the start; `POST /sim/faults` replaces them.
  public var faults: [FaultRule]
  /// Most request-log entries kept (oldest dropped first); counts are kept for all requests.
  public var maxLogEntries: Int
  /// The clock; tests may inject their own.
  public var now: @Sendable () -> Date
  /// The Notifications API: channel lifetime, heartbeats and event faults.
  public var notifications = Notifications()
  /// Send the `inin-ratelimit-*` headers Genesys removed in 2021 (docs/genesys-api.md §8.1): only for
  /// comparison tests. Off, as the real service: a client learns of the limit only from a 429.
  public var rateHeaders = false

  /// How channels and their sockets behave (docs/genesys-api.md §8.4; the heartbeat interval is not
  /// published, docs/emulator.md).
  public struct Notifications: Sendable {
    /// How long a channel lives; subscribing again extends it. Genesys: 24 h.
    public var channelLifetime: TimeInterval = 24 * 3600
    /// Seconds between `channel.metadata` heartbeats on a socket.
    public var heartbeat: TimeInterval = 30
    /// The share of events dropped (per event and channel) as a fault.
    public var dropShare: Double = 0
    /// How long each event is held back before it is sent, as a fault.
    public var delay: TimeInterval = 0

    /// Notification behaviour; by default that of the real service, without faults.
    public init(
      channelLifetime: TimeInterval = 24 * 3600, heartbeat: TimeInterval = 30, dropShare: Double = 0,
      delay: TimeInterval = 0
    ) {
      self.channelLifetime = channelLifetime
      self.heartbeat = heartbeat
      self.dropShare = dropShare
      self.delay = delay
    }
  }

  /// Options with the given values: by default seed 1, a 0.5 s patch delay, added parties connecting after
  /// 2 s (or given up after 10 s), 300 requests per 60 s, and no faults.
  public init(
    seed: UInt64 = 1,
    tokenLifetime: TimeInterval? = nil,
    patchDelay: TimeInterval = 0.5,
    connectDelay: TimeInterval = 2,
    noAnswerTimeout: TimeInterval = 10,
    rateLimit: Int? = 300,
    rateLimitWindow: TimeInterval = 60,
    faults: [FaultRule] = [],
    maxLogEntries: Int = 100_000,
    now: @escaping @Sendable () -> Date = { Date() }
  ) {
    self.seed = seed
    self.tokenLifetime = tokenLifetime
    self.patchDelay = patchDelay
    self.connectDelay = connectDelay
    self.noAnswerTimeout = noAnswerTimeout
    self.rateLimit = rateLimit
    self.rateLimitWindow = rateLimitWindow
    self.faults = faults
    self.maxLogEntries = maxLogEntries
    self.now = now
  }
}

/// A fault injected into the requests that match `route`: shares (0…1, summing to at most 1) of 500,
/// 503 and 504 answers and of connection resets (the socket is closed without an answer), and a
/// latency added before any answer.
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
  /// The share of matching requests whose connection is closed without an answer.
  public var reset: Double
  /// Seconds added before answering.
  public var latency: TimeInterval

  /// A fault on `route`; by default every share and the latency are 0 (no fault).
  public init(
    route: String = "*", error500: Double = 0, error503: Double = 0, error504: Double = 0, reset: Double = 0,
    latency: TimeInterval = 0
  ) {
    self.route = route
    self.error500 = error500
    self.error503 = error503
    self.error504 = error504
    self.reset = reset
    self.latency = latency
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
      case "reset": rule.reset = share
      default: return nil
      }
    }
    guard rule.error500 + rule.error503 + rule.error504 + rule.reset <= 1.000_001 else { return nil }
    return rule
  }
}

/// `*` matches any run of characters (slashes too); everything else matches itself.
func glob(_ pattern: String, _ text: String) -> Bool {
  let p = Array(pattern.utf8)
  let t = Array(text.utf8)
  var pi = 0
  var ti = 0
  var star = -1
  var mark = 0
  while ti < t.count {
    if pi < p.count, p[pi] == t[ti] {
      pi += 1
      ti += 1
    } else if pi < p.count, p[pi] == UInt8(ascii: "*") {
      star = pi
      mark = ti
      pi += 1
    } else if star >= 0 {
      pi = star + 1
      mark += 1
      ti = mark
    } else {
      return false
    }
  }
  while pi < p.count, p[pi] == UInt8(ascii: "*") { pi += 1 }
  return pi == p.count
}
