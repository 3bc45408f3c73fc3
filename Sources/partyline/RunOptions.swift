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

  /// `--revert-slack`: the most a revert may come before its lease's end (a tenth of the lease, at
  /// most this), so a burst of mutes is applied as fast as the token allows.
  @Option(
    name: .customLong("revert-slack"),
    help: ArgumentHelp(
      "The most a revert may come before its lease ends, to spread a burst of reverts (a tenth of the lease, at most this; 0s: never early).",
      valueName: "duration"),
    transform: FlagDuration.transformAllowingZero)
  var revertSlackFlag = FlagDuration(Lease.defaultRevertSlack)

  var revertSlack: Duration { revertSlackFlag.length }

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
