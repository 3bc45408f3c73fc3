import ArgumentParser
import Dispatch
import Foundation
import GenesysCloud
import PartylineCore
import PartylineGenesys
import PartylineLocal
import PartylineViews
import YAMLReader
import WireTime

struct WatchCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "watch",
    abstract: "Reconcile continuously and revert every mute when its lease ends.",
    discussion: """
      Follows the calls its policies concern through Notifications API events (a new call in a \
      selected queue, a participant who connects, a human who unmutes) and acts on each within a \
      second; a full plan and apply every --interval (default 5m; 60s with --no-events) and after \
      every gap in the events is the safety net. In between it wakes when each lease ends and \
      reverts on time. SIGINT or SIGTERM sends nothing new and exits within 5 s. Starting it is the \
      consent: it never asks.
      """
  )

  @Argument(help: "Policy files or directories.")
  var paths: [String] = ["policies"]

  @Option(
    help: "Time between full reconciles, e.g. 5m (default 5m; 60s with --no-events).",
    transform: FlagDuration.transform)
  var interval: FlagDuration?

  @Flag(
    inversion: .prefixedNo,
    help: "Follow calls through Notifications API events; --no-events polls every --interval instead.")
  var events = true

  /// Silence on the socket (no heartbeat, no event) after which it counts as dead (tests).
  @Option(
    help: ArgumentHelp("Silence after which the event socket counts as dead, e.g. 90s.", visibility: .hidden),
    transform: FlagDuration.transform)
  var eventSilence: FlagDuration = .seconds(90)

  var every: FlagDuration { interval ?? .seconds(events ? 300 : 60) }

  @OptionGroup var tuning: ApplyTuning

  @OptionGroup var run: RunOptions

  @OptionGroup var eventOptions: EventOptions

  func run() async throws {
    let (every, silence) = (self.every, eventSilence.seconds)
    let compiled = PolicyLoader().load(paths)
    var renderer = DiagnosticRenderer.stderr()
    guard let set = compiled.policySet else {
      for d in compiled.diagnostics.prefix(DiagnosticRenderer.maxShown) {
        Terminal.stderr.write(renderer.text(d))
      }
      Terminal.stderr.write("policies are invalid: not watching\n")
      throw ExitCode(1)
    }
    run.report(compiled, paths)
    let hub = try EventHub(eventOptions)
    let stop = RunSignal()
    let signals = ShutdownSignals.listen { stop.stop() }
    defer { signals.cancel() }
    let connection = try await Connection.open(run)
    if let banner = connection.banner { Terminal.stderr.write(banner + "\n") }
    let state: OpenedState
    do {
      state = try await StateBackend.open(run, lockTimeout: tuning.lockTimeout)
    } catch {
      await connection.close()
      Terminal.stderr.write("error: \(error)\n")
      throw ExitCode(1)
    }
    // Monotonic: a step of the wall clock while watch runs moves no revert (DESIGN §5, clocks).
    // With PostgreSQL, the database server's time (DESIGN §5, clocks).
    let clock = state.clock(SteadyClock())
    // Reverts never wait for the state: with the database gone they are sent, and journalled once it is
    // back; mutes and adds wait for it.
    let journal = OutageJournal(state.journal, patience: 1, clock: clock)
    let client = connection.client
    Terminal.stderr.write(
      "watching \(set.policies.count) policies; \(events ? "following call events, " : "")full reconcile every \(every)\n"
    )
    let latest = LatestCalls()
    let paths = self.paths
    var watcher = Watcher(
      workspace: run.workspace, clock: clock,
      source: LiveStateReader(client: client, ended: EndedCalls(), ledger: ReadLedger()),
      executor: GenesysExecutor(client: client),
      eventExecutor: GenesysExecutor(client: client, events: latest),
      journal: journal, locker: InProcessLocker(state.locker, timeout: tuning.lockTimeout, clock: clock),
      budget: GenesysBudget(client.budget),
      events: events ? NotificationEvents(client: client, latest: latest, silence: silence) : nil,
      interval: every.seconds, reload: { PolicyLoader().load(paths) }, runId: { RunId.make() })
    watcher.parallelism = tuning.parallelism
    watcher.revertSlack = run.revertSlack
    watcher.confirmTimeout = tuning.confirmTimeout
    // Decided for each set read: a pull that empties the directory must not unmute everyone.
    (watcher.wholePaths, watcher.allowEmpty) = (PlanCommand.isWholeSet(paths), run.allowEmpty)
    watcher.applyEvents = { hub.handle($0) }
    let (workspace, metricsFile, budget) = (run.workspace, eventOptions.metricsFile, client.budget)
    watcher.notify = { notice in
      Self.show(notice)
      // After each full reconcile, the metrics file.
      if case .reconciled(let outcome, .full) = notice, let path = metricsFile,
        let leases = try? await journal.openLeases(workspace: workspace)
      {
        let text = hub.metrics.render(
          plan: outcome.plan, report: outcome.report, leases: leases,
          throttled: await budget.throttled, now: clock.now())
        try? AtomicFile.write(text, to: path)
      }
    }
    await watcher.run(set, signal: stop)
    await connection.close()
    await hub.webhook?.flush()
    let open = (try? await journal.openLeases(workspace: workspace)) ?? []
    // Reverts made while the database was gone: written now if it is back.
    let unwritten = await journal.flushBuffered()
    if unwritten > 0 {
      Terminal.stderr.write(
        "warning: \(unwritten) journal records of reverts made while the state database was unreachable could not be written; the next run finds those participants unmuted and closes their leases\n"
      )
    }
    await state.close()
    if let next = open.map(\.endsAt).min() {
      Terminal.stderr.write(
        "watch stopped; \(open.count) open \(open.count == 1 ? "lease is" : "leases are") left for the next run (the next ends at \(Timestamp.iso8601(next, milliseconds: false)))\n"
      )
    } else {
      Terminal.stderr.write("watch stopped\n")
    }
  }

  static func stamp() -> String { Timestamp.iso8601(Date().timeIntervalSince1970) }

  /// What the watcher says, as lines on stderr (and the apply summaries on stdout).
  @Sendable static func show(_ notice: WatchNotice) {
    let stamp = stamp()
    switch notice {
    case .reconciled(let outcome, let loop):
      report(outcome, loop)
    case .compacted(let r):
      if r.dropped > 0 {
        Terminal.stderr.write(
          "\(stamp) journal compacted: \(r.dropped) records of \(r.conversations) ended conversations dropped, \(r.kept) kept\n"
        )
      }
    case .failed(let error):
      Terminal.stderr.write("\(stamp) error: \(error)\n")
    case .policiesChanged(let count):
      Terminal.stderr.write("\(stamp) policies changed: now \(count)\n")
    case .policiesInvalid(let diagnostics, let inForce):
      var renderer = DiagnosticRenderer.stderr()
      for d in diagnostics.prefix(DiagnosticRenderer.maxShown) { Terminal.stderr.write(renderer.text(d)) }
      Terminal.stderr.write(
        "\(stamp) policies are invalid: still acting on the last valid set (\(inForce) policies)\n")
    case .readsLimited(let allowance, let limit, let interval, let calls):
      Terminal.stderr.write(
        "\(stamp) the rate budget (\(limit)/min) allows about \(allowance) reads per \(FlagDuration.seconds(interval)): each full reconcile reads the calls with work due, then those read longest ago (of \(calls))\n"
      )
    case .following(let count):
      Terminal.stderr.write("\(stamp) notifications: following \(count) topics\n")
    case .overflow(let count):
      Terminal.stderr.write(
        "\(stamp) notifications: more topics than 20 channels hold; \(count) are polled\n")
    case .gap(let why):
      Terminal.stderr.write("\(stamp) notifications: \(why): full reconcile now\n")
    case .rejected(let count, let reason, let missing):
      Terminal.stderr.write(
        "\(stamp) notifications: \(count) topics rejected (\(reason)\(missing.isEmpty ? "" : "; missing permissions: " + missing.joined(separator: ", "))): their calls are polled every minute within the rate budget\n"
      )
    }
  }

  /// Findings about faults around a run that watch repeats at every full reconcile, so a log shows
  /// them while they last: unreadable journal lines, stuck reverts, a writer's clock ahead.
  static let faultFindings: Set<String> = [UnreadableRecord.findingId, "revert_stuck", "clock_skew"]

  static func report(_ outcome: Reconciler.Outcome, _ loop: WatchNotice.Loop = .full) {
    let stamp = stamp()
    if loop == .full {
      var renderer = DiagnosticRenderer.stderr()
      for d in outcome.plan.findings where faultFindings.contains(d.id) {
        Terminal.stderr.write("\(stamp) " + renderer.text(d))
      }
    }
    if let report = outcome.report {
      for (_, reason) in report.lockFailures.sorted(by: { $0.key < $1.key }) {
        Terminal.stderr.write("\(stamp) error: \(reason)\n")
      }
      Terminal.stdout.write("\(stamp) \(ApplySummary.line(report, dryRun: false))\n")
    } else if outcome.plan.hasErrors {
      var renderer = DiagnosticRenderer.stderr()
      for d in outcome.plan.findings where d.severity == .error {
        Terminal.stderr.write(renderer.text(d))
      }
      Terminal.stderr.write("\(stamp) \(ApplySummary.whyRefused(outcome.plan)): nothing applied\n")
    }
  }
}
