import Foundation
import Logging
import GenesysCloud
import PartylineCore

/// A client for the configured API (environment) or the sandbox emulator.
struct Connection {
  var client: GenesysClient
  var close: @Sendable () async -> Void
  var banner: String?
  /// What a saved plan records and `apply --plan` compares: `sandbox`, or the API base URL.
  var target: String

  /// Moves the client onto the run's clock (see `RateBudget.useClock`): the lease ends and `notAfter`
  /// instants the run hands it are that clock's, with PostgreSQL the database server's time.
  func useClock(_ clock: any RuntimeClock) async {
    await client.budget.useClock { clock.now() }
  }

  /// Without `--rate-limit`, the org's own limit for the token, when the client may read it (one
  /// request); otherwise Genesys's default of 300 a minute stands.
  static func learnRateLimit(_ client: GenesysClient, _ options: RunOptions) async {
    guard options.requestsPerMinute == nil, options.rateWindow == 60, let n = await client.tokenRateLimit(),
      n >= 1
    else { return }
    await client.budget.setLimit(n)
  }

  /// Retry progress goes to stderr, as every other progress line.
  static let progress: @Sendable (String) -> Void = {
    if WatchLog.json { WatchLog.say($0, level: .notice) } else { Terminal.stderr.write("  \($0)\n") }
  }

  /// Long waits (rate limit, locks) say so every 10 s, on a terminal: logs would only fill up.
  static var heartbeat: (@Sendable (String) -> Void)? { Terminal.stderr.isTerminal ? progress : nil }

  /// The target a run with these options talks to, without connecting.
  static func target(_ options: RunOptions) throws -> String {
    if options.sandbox { return "sandbox" }
    return try GenesysConfiguration.fromEnvironment(ProcessInfo.processInfo.environment).apiBase
  }

  static func open(_ options: RunOptions) async throws -> Connection {
    if options.sandbox {
      let connection = try await Sandbox.open(
        reset: options.sandboxReset, apiBudget: options.apiBudget,
        budget: options.makeBudget())
      await learnRateLimit(connection.client, options)
      return connection
    }
    let config = try GenesysConfiguration.fromEnvironment(ProcessInfo.processInfo.environment)
    let client = GenesysClient(
      configuration: config, budget: options.makeBudget(),
      retry: RetryPolicy(budget: options.apiBudget), progress: Connection.progress,
      heartbeat: Connection.heartbeat)
    await Connection.learnRateLimit(client, options)
    // Like Terraform naming its backend: which organisation this run talks to, once, on stderr.
    let who = config.accessToken != nil ? "a ready-made access token" : "client \(config.clientId ?? "?")"
    return Connection(
      client: client, close: { try? await client.shutdown() }, banner: "target: \(config.apiBase) as \(who)",
      target: config.apiBase)
  }
}
