import ArgumentParser
import Foundation
import GenesysCloud
import PartylineCore
import PartylineGenesys
import PartylineLocal
import PartylineViews
import YAMLReader

/// Options shared by plan, apply and watch.
struct RunOptions: ParsableArguments {
  @Option(help: "Where the journal and leases live: a directory, or postgres://… (env PARTYLINE_STATE).")
  var state: String?

  @Option(help: "The workspace whose leases this run owns.")
  var workspace: String = "default"

  @Flag(help: "Run against the bundled emulator with its demo organisation (no account needed).")
  var sandbox = false

  @Flag(help: "With --sandbox: start from a fresh demo organisation and journal.")
  var sandboxReset = false

  @Option(
    name: .customLong("api-budget"), help: "Total time an API call may take, retries included, e.g. 2m.",
    transform: FlagDuration.transform)
  var apiBudgetFlag: FlagDuration = .seconds(120)

  var apiBudget: Double { apiBudgetFlag.seconds }

  @Flag(help: "Prune the workspace's leases even when the policy set is empty (it means: lift every mute).")
  var allowEmpty = false

  @Option(
    help:
      "Requests a minute the token may send, e.g. 300/min (default: the org's limit when it can be read, else 300)."
  )
  var rateLimit: String?

  /// The window the budget counts in, for tests against an emulator with a short window
  /// (`sim serve --rate-window`): `--rate-limit` is then requests per window.
  @Option(
    name: .customLong("rate-window"),
    help: ArgumentHelp("The rate-limit window (tests), e.g. 6s.", visibility: .hidden),
    transform: FlagDuration.transform)
  var rateWindowFlag: FlagDuration = .seconds(60)

  var rateWindow: Double { rateWindowFlag.seconds }

  /// Parts of the rate budget to switch off, to show what each is for (tests and benchmarks only).
  @Option(
    help: ArgumentHelp(
      "Switch off parts of the rate budget: admission, priorities (comma-separated; tests).",
      visibility: .hidden))
  var rateAblation: String?

  var ablation: RateAblation {
    var a: RateAblation = []
    for part in (rateAblation ?? "").split(separator: ",") {
      if part == "admission" { a.insert(.admission) }
      if part == "priorities" { a.insert(.priorities) }
    }
    return a
  }

  /// The rate budget these options ask for.
  func makeBudget() -> RateBudget {
    RateBudget(limit: requestsPerMinute ?? 300, window: rateWindow, ablation: ablation)
  }

  /// `--rate-limit 300/min` (or `300`): requests per minute.
  var requestsPerMinute: Int? {
    guard let rateLimit else { return nil }
    let text = rateLimit.hasSuffix("/min") ? String(rateLimit.dropLast(4)) : rateLimit
    return Int(text).flatMap { $0 >= 1 ? $0 : nil }
  }

  /// Whether this run may prune: given whole directories, never single files, and a set that is not
  /// empty unless `--allow-empty` says an empty set is meant (an emptied directory, a wrong checkout or
  /// a mount that failed would otherwise unmute everyone).
  func prunes(_ paths: [String], _ set: PolicySet) -> Bool {
    PlanCommand.isWholeSet(paths) && (!set.policies.isEmpty || allowEmpty)
  }

  /// Warnings of a set that compiled (unknown purposes, no policy files), and what an empty set means.
  func report(_ compiled: CompileResult, _ paths: [String], quiet: Bool = false) {
    var renderer = DiagnosticRenderer.stderr()
    for d in compiled.diagnostics where d.severity != .error { Terminal.stderr.write(renderer.text(d)) }
    if let set = compiled.policySet, set.policies.isEmpty, !allowEmpty, PlanCommand.isWholeSet(paths) {
      Terminal.stderr.write(
        "warning: the policy set is empty: no lease is pruned (pass --allow-empty to lift every mute)\n")
    }
  }

  func validate() throws {
    guard Grammar.isName(workspace) else {
      throw ValidationError("invalid workspace '\(workspace)': use lowercase letters, digits and '-'")
    }
    if sandboxReset && !sandbox { throw ValidationError("--sandbox-reset needs --sandbox") }
    for part in (rateAblation ?? "").split(separator: ",") where part != "admission" && part != "priorities" {
      throw ValidationError("--rate-ablation '\(part)': use admission, priorities or both")
    }
    if rateLimit != nil && requestsPerMinute == nil {
      throw ValidationError("--rate-limit '\(rateLimit!)' is not a rate: use requests a minute, e.g. 300/min")
    }
  }
}

/// How apply and watch carry a plan out: parallelism, lock and confirmation timeouts.
struct ApplyTuning: ParsableArguments {
  @Option(help: "Conversations applied in parallel.")
  var parallelism: Int = 8

  @Option(
    name: .customLong("lock-timeout"), help: "How long to wait for a conversation lock, e.g. 30s.",
    transform: FlagDuration.transform)
  var lockTimeoutFlag: FlagDuration = .seconds(30)

  @Option(
    name: .customLong("confirm-timeout"),
    help: "How long to wait for a change to show on a re-read, e.g. 15s.",
    transform: FlagDuration.transform)
  var confirmTimeoutFlag: FlagDuration = .seconds(15)

  var lockTimeout: Double { lockTimeoutFlag.seconds }
  var confirmTimeout: Double { confirmTimeoutFlag.seconds }

  func validate() throws {
    guard parallelism >= 1 else {
      throw ValidationError("--parallelism must be at least 1, not \(parallelism)")
    }
  }
}

/// A client for the configured API (environment) or the sandbox emulator.
struct Connection {
  var client: GenesysClient
  var close: @Sendable () async -> Void
  var banner: String?
  /// What a saved plan records and `apply --plan` compares: `sandbox`, or the API base URL.
  var target: String

  /// Without `--rate-limit`, the org's own limit for the token, when the client may read it (one
  /// request); otherwise Genesys's default of 300 a minute stands.
  static func learnRateLimit(_ client: GenesysClient, _ options: RunOptions) async {
    guard options.requestsPerMinute == nil, options.rateWindow == 60, let n = await client.tokenRateLimit(),
      n >= 1
    else { return }
    await client.budget.setLimit(n)
  }

  /// Retry progress goes to stderr, as every other progress line.
  static let progress: @Sendable (String) -> Void = { Terminal.stderr.write("  \($0)\n") }

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
