import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import PartylineCore

/// Options for where outcomes go besides the journal.
struct EventOptions: ParsableArguments {
  @Option(
    help: "POST every outcome here as JSON, signed with PARTYLINE_WEBHOOK_SECRET (X-Partyline-Signature).")
  var webhook: String?

  @Option(help: "Write Prometheus metrics (text format) to this file after each run.")
  var metricsFile: String?

  @Option(
    name: .customLong("latency-warn"), help: "Warn when a call takes longer than this, e.g. 2s.",
    transform: FlagDuration.transform)
  var latencyWarnFlag: FlagDuration?

  var latencyWarn: Double? { latencyWarnFlag?.seconds }

  func validate() throws {
    if let webhook { try WebhookSink.checkURL(webhook) }
  }
}

/// Delivers events to a webhook without ever blocking or failing the apply: a bounded queue, retries
/// with backoff, and a short flush at the end. Never sends the API token.
final class WebhookSink: @unchecked Sendable {
  let url: String
  let secret: [UInt8]?
  let http: HTTPClient
  private let lock = NSLock()
  private var inFlight: [Task<Void, Never>] = []
  private(set) var delivered = 0
  private(set) var dropped = 0

  static func checkURL(_ url: String) throws {
    guard let u = URL(string: url), let scheme = u.scheme?.lowercased(), let host = u.host,
      scheme == "https" || (scheme == "http" && (host == "127.0.0.1" || host == "localhost" || host == "::1"))
    else {
      throw ValidationError("--webhook '\(url)' must be an https URL (plain http only on loopback)")
    }
  }

  init(url: String, secret: String?) throws {
    try Self.checkURL(url)
    self.url = url
    self.secret = secret.map { Array($0.utf8) }
    http = HTTPClient(eventLoopGroupProvider: .singleton)
  }

  static func body(_ record: JournalRecord) -> String {
    JSONValue.object([("type", .string("partyline.\(record.kind.rawValue)")), ("record", record.json)])
      .render()
  }

  func send(_ record: JournalRecord) {
    let body = Self.body(record)
    var signature: String?
    if let secret {
      signature = "sha256=" + Digest.hex(Digest.hmacSHA256(key: secret, message: Array(body.utf8)))
    }
    let task = Task { [self] in
      for attempt in 0..<4 {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "partyline")
        if let signature { request.headers.add(name: "X-Partyline-Signature", value: signature) }
        request.body = .bytes(ByteBuffer(string: body))
        if let r = try? await http.execute(request, timeout: .seconds(5)),
          (200..<300).contains(Int(r.status.code))
        {
          _ = try? await r.body.collect(upTo: 1 << 16)
          lock.withLock { delivered += 1 }
          return
        }
        try? await Task.sleep(nanoseconds: UInt64(0.2 * Double(1 << attempt) * 1e9))
      }
      lock.withLock { dropped += 1 }
    }
    lock.withLock { inFlight.append(task) }
  }

  /// Waits up to `seconds` for deliveries in flight, then gives up on them (the apply is done).
  func flush(seconds: Double = 5) async {
    let tasks = lock.withLock { inFlight }
    let deadline = Date().addingTimeInterval(seconds)
    for t in tasks {
      if Date() > deadline {
        t.cancel()
        continue
      }
      await withTaskGroup(of: Void.self) { g in
        g.addTask { await t.value }
        g.addTask { try? await Task.sleep(nanoseconds: UInt64(max(0, deadline.timeIntervalSinceNow) * 1e9)) }
        await g.next()
        g.cancelAll()
      }
    }
    try? await http.shutdown()
  }
}

/// Counts for the Prometheus text file.
final class Metrics: @unchecked Sendable {
  private let lock = NSLock()
  private var outcomes: [String: Int] = [:]
  private var slow = 0

  func note(_ r: JournalRecord) {
    lock.withLock { outcomes["\(r.action.rawValue)|\(r.status?.rawValue ?? "unknown")", default: 0] += 1 }
  }

  func noteSlow() { lock.withLock { slow += 1 } }

  func render(plan: Plan?, report: ApplyReport?, leases: [Lease], throttled: Int, now: Double) -> String {
    var out =
      "# HELP partyline_calls_total API calls made by apply, by action and outcome.\n# TYPE partyline_calls_total counter\n"
    for (key, n) in lock.withLock({ outcomes }).sorted(by: { $0.key < $1.key }) {
      let parts = key.split(separator: "|")
      out += "partyline_calls_total{action=\"\(parts[0])\",status=\"\(parts[1])\"} \(n)\n"
    }
    let failures =
      report.map { $0.count(.failed) + $0.count(.unconfirmed) + $0.count(.unknown) + $0.count(.blocked) } ?? 0
    out +=
      "# HELP partyline_apply_failures Changes planned but not done or not confirmed in the last run.\n# TYPE partyline_apply_failures gauge\npartyline_apply_failures \(failures)\n"
    out +=
      "# HELP partyline_mutes_waiting Mutes held back in the last run: the rate budget could not promise their reverts.\n# TYPE partyline_mutes_waiting gauge\npartyline_mutes_waiting \(report?.count(.waiting) ?? 0)\n"
    out +=
      "# HELP partyline_rate_limited_total Responses with status 429.\n# TYPE partyline_rate_limited_total counter\npartyline_rate_limited_total \(throttled)\n"
    out +=
      "# HELP partyline_slow_calls_total Calls slower than --latency-warn.\n# TYPE partyline_slow_calls_total counter\npartyline_slow_calls_total \(lock.withLock { slow })\n"
    let due = plan?.changes.filter { $0.action == .revert || $0.action == .prune }.count ?? 0
    out +=
      "# HELP partyline_reverts_due Leases past their end still to revert when the run planned.\n# TYPE partyline_reverts_due gauge\npartyline_reverts_due \(due)\n"
    let open = leases.filter { $0.status == .open }
    out +=
      "# HELP partyline_open_leases Mutes Partyline holds open.\n# TYPE partyline_open_leases gauge\npartyline_open_leases \(open.count)\n"
    let oldest = open.map { now - $0.startedAt }.max() ?? 0
    out +=
      "# HELP partyline_oldest_lease_age_seconds Age of the oldest open lease.\n# TYPE partyline_oldest_lease_age_seconds gauge\npartyline_oldest_lease_age_seconds \(String(format: "%.3f", oldest))\n"
    return out
  }
}

/// Wires events to the webhook, metrics and latency warnings.
struct EventHub: Sendable {
  let webhook: WebhookSink?
  let metrics: Metrics
  let latencyWarn: Double?

  init(_ options: EventOptions) throws {
    let secret = ProcessInfo.processInfo.environment["PARTYLINE_WEBHOOK_SECRET"].flatMap {
      $0.isEmpty ? nil : $0
    }
    if options.webhook != nil && secret == nil {
      Terminal.stderr.write(
        "warning: PARTYLINE_WEBHOOK_SECRET is not set: webhook deliveries go out unsigned (no X-Partyline-Signature)\n"
      )
    }
    webhook = try options.webhook.map { try WebhookSink(url: $0, secret: secret) }
    metrics = Metrics()
    latencyWarn = options.latencyWarn
  }

  func handle(_ event: ApplyEvent) {
    guard case .outcome(let r) = event else { return }
    metrics.note(r)
    webhook?.send(r)
    if let limit = latencyWarn, let ms = r.latencyMs, Double(ms) / 1000 > limit {
      metrics.noteSlow()
      Terminal.stderr.write(
        "warning: \(r.action.rawValue) in conversation \(r.conversation) took \(ms)ms, more than --latency-warn \(limit)s (correlation id \(r.correlationId ?? "none"))\n"
      )
    }
  }
}
