import ArgumentParser
import GenesysCloud
import PartylineCore
import PartylineGenesys
import PartylineLocal
import PartylineViews
import YAMLReader

/// How apply and watch carry a plan out: parallelism, lock and confirmation timeouts.
struct ApplyTuning: ParsableArguments {
  @Option(help: "Conversations applied in parallel.")
  var parallelism: Int = 8

  @Option(
    name: .customLong("lock-timeout"), help: "How long to wait for a conversation lock, e.g. 30s.",
    transform: FlagDuration.transform)
  var lockTimeoutFlag = FlagDuration(Reconcile.Execution.defaultLockTimeout)

  @Option(
    name: .customLong("confirm-timeout"),
    help: "How long to wait for a change to show on a re-read, e.g. 15s.",
    transform: FlagDuration.transform)
  var confirmTimeoutFlag: FlagDuration = .seconds(15)

  var lockTimeout: Duration { lockTimeoutFlag.length }
  var confirmTimeout: Duration { confirmTimeoutFlag.length }

  func validate() throws {
    guard parallelism >= 1 else {
      throw ValidationError("--parallelism must be at least 1, not \(parallelism)")
    }
  }
}
