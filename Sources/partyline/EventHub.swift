import Foundation
import Logging
import PartylineCore
import PartylineWebhook
import PartylineViews

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
      WatchLog.say(
        "PARTYLINE_WEBHOOK_SECRET is not set: webhook deliveries go out unsigned (no X-Partyline-Signature)",
        level: .warning, stamped: false)
    }
    webhook = try options.webhook.map { try WebhookSink(url: $0, secret: secret) }
    metrics = Metrics()
    latencyWarn = options.latencyWarn
  }

  func handle(_ event: ApplyEvent) {
    if case .stuck(let c) = event {
      webhook?.send(type: "revert.stuck", payload: WebhookSink.stuckPayload(c))
      return
    }
    guard case .outcome(let r) = event else { return }
    metrics.note(r)
    webhook?.send(r)
    if let limit = latencyWarn, let ms = r.latencyMs, Double(ms) / 1000 > limit {
      metrics.noteSlow()
      WatchLog.say(
        "\(r.action.rawValue) in conversation \(r.conversation) took \(ms)ms, more than --latency-warn \(limit)s (correlation id \(r.correlationId ?? "none"))",
        level: .warning, stamped: false)
    }
  }
}
