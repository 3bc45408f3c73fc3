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
  /// Serve `PATCH /api/v2/conversations/{id}/recordingstate` (added August 2025). Off: it answers 404
  /// as an unknown route, as before then, and a client must fall back on the PUT.
  public var recordingStatePatch = true

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
    /// The share of call events published with a partial body (the call without `participants`), as
    /// a fault.
    public var partialShare: Double = 0

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
