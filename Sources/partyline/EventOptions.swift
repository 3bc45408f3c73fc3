import ArgumentParser
import PartylineWebhook

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
    if let webhook {
      do { try WebhookSink.checkURL(webhook) } catch { throw ValidationError("\(error)") }
    }
  }
}
