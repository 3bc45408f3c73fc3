import ArgumentParser
import Foundation
import GenesysCloud
import PartylineCore
import PartylineGenesys
import PartylineLocal
import PartylineViews
import PartylineWebhook
import WireTime
import YAMLReader

struct ApplyCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "apply",
    abstract: "Plan and carry out the policies against the live conversations.",
    discussion: """
      On a terminal apply asks for confirmation unless --yes; without a terminal it needs --yes. \
      `apply --plan FILE` applies a saved plan without asking (like `terraform apply PLANFILE`: the \
      plan was the review), after checking it: format, expiry, workspace, target, every change against \
      the hard caps and the Limits recorded in it, and that no conversation changed since. \
      Exit status: 0 when every planned change was made and confirmed, 1 otherwise.
      """
  )

  @Argument(help: "Policy files or directories.")
  var paths: [String] = ["policies"]

  @Flag(help: "Run the same path but only print the calls that would be made.")
  var dryRun = false

  @Flag(help: "Do not ask for confirmation.")
  var yes = false

  @OptionGroup var tuning: ApplyTuning

  @Option(
    help: "Apply a saved plan (from `plan --out`) exactly, without a prompt, instead of planning again.")
  var plan: String?

  @OptionGroup var run: RunOptions

  @OptionGroup var eventOptions: EventOptions

  func run() async throws {
    if let plan {
      try await applySaved(plan)
      return
    }
    let policiesReadAt = Date().timeIntervalSince1970
    let compiled = PolicyLoader().load(paths)
    var renderer = DiagnosticRenderer.stderr()
    guard let set = compiled.policySet else {
      for d in compiled.diagnostics.prefix(DiagnosticRenderer.maxShown) {
        Terminal.stderr.write(renderer.text(d))
      }
      Terminal.stderr.write("policies are invalid: nothing was applied\n")
      throw ExitCode(1)
    }
    run.report(compiled, paths)
    let interactive = Terminal.stdin.isTerminal && Terminal.stderr.isTerminal
    if !yes && !dryRun && !interactive {
      Terminal.stderr.write(
        "error: not a terminal: pass --yes to apply without confirmation (or --dry-run)\n")
      throw ExitCode(1)
    }
    let hub = try EventHub(eventOptions)
    let stop = RunSignal()
    let signals = ShutdownSignals.listen { stop.stop() }
    defer { signals.cancel() }
    let connection = try await Connection.open(run)
    if let banner = connection.banner { Terminal.stderr.write(banner + "\n") }
    // On SIGINT/SIGTERM nothing new leaves; what is in flight gets a grace, then it is abandoned.
    let budget = connection.client.budget
    stop.onStop { Task { await budget.close() } }
    let outcome: Reconcile.Outcome
    var opened: OpenedState?
    do {
      let state = try await StateBackend.open(run, migrate: !dryRun)
      opened = state
      let clock = state.clock(SystemClock())
      await connection.useClock(clock)
      var reconcile = Reconcile(
        .full(), set: set, wholeSet: run.prunes(paths, set), workspace: run.workspace,
        source: LiveStateReader(client: connection.client), clock: clock, journal: state.journal,
        run: RunId.make())
      reconcile.policiesReadAt = policiesReadAt
      let execution = await Self.execution(
        tuning, run, dryRun: dryRun, client: connection.client, locker: state.locker, hub: hub)
      let (yes, dryRun, full) = (self.yes, self.dryRun, reconcile)
      outcome = try await stop.guarding(grace: RunSignal.grace, on: clock) {
        try await full.run(execution) { plan in
          Terminal.stdout.write(PlanRenderer(style: Style(enabled: Terminal.stdout.colours)).text(plan))
          if yes || dryRun { return true }
          Terminal.stderr.write("Apply these changes? Only 'yes' is accepted: ")
          return readLine()?.trimmingCharacters(in: .whitespaces) == "yes"
        }
      }
    } catch {
      await connection.close()
      await hub.webhook?.flush()
      await opened?.close()
      Terminal.stderr.write("error: \(error)\n")
      throw ExitCode(1)
    }
    let throttled = await connection.client.budget.throttled
    await connection.close()
    await hub.webhook?.flush()
    if let path = eventOptions.metricsFile, !dryRun {
      let leases = (try? await opened?.journal.openLeases(workspace: run.workspace)) ?? []
      let text = hub.metrics.render(
        plan: outcome.plan, report: outcome.report, leases: leases, throttled: throttled,
        now: Date().timeIntervalSince1970)
      do { try AtomicFile.write(text, to: path) } catch {
        Terminal.stderr.write("warning: cannot write metrics to '\(path)': \(error)\n")
      }
    }
    await opened?.close()
    for d in outcome.plan.findings { Terminal.stderr.write(renderer.text(d)) }
    guard let report = outcome.report else {
      if outcome.plan.hasErrors {
        Terminal.stdout.write(PlanRenderer().text(outcome.plan))
        Terminal.stderr.write("\(ApplySummary.whyRefused(outcome.plan)): nothing was applied\n")
        throw ExitCode(1)
      }
      if !outcome.plan.hasChanges {
        Terminal.stdout.write(PlanRenderer.summaryLine(outcome.plan) + "\n")
        if outcome.plan.summary.blocked > 0 || Self.journalDamaged(outcome.plan) { throw ExitCode(1) }
        return
      }
      Terminal.stderr.write("apply cancelled: nothing was changed\n")
      throw ExitCode(1)
    }
    Self.show(report, dryRun: dryRun)
    if !report.ok || Self.journalDamaged(outcome.plan) { throw ExitCode(1) }
  }
}

extension ApplyCommand {
  /// Whether the journal had lines that could not be read: apply reverts what it could, then exits 1.
  static func journalDamaged(_ plan: Plan) -> Bool {
    plan.findings.contains { $0.kind == .journalUnreadable }
  }

  /// What became of a run's changes: lock failures and every change not confirmed on stderr, the
  /// summary line on stdout.
  static func show(_ report: ApplyReport, dryRun: Bool) {
    for (_, reason) in report.lockFailures.sorted(by: { $0.key < $1.key }) {
      Terminal.stderr.write("error: \(reason)\n")
    }
    for item in report.items where item.result != .confirmed && item.result != .dryRun {
      Terminal.stderr.write(
        "  ! \(PlanRenderer.phrase(item.change)): \(item.result.rawValue) — \(item.detail ?? "")\n")
    }
    Terminal.stdout.write(ApplySummary.line(report, dryRun: dryRun) + "\n")
  }

  /// How apply's changes are carried out: the API (or `--dry-run`'s recorder), the state's locks, and
  /// the tuning flags.
  static func execution(
    _ tuning: ApplyTuning, _ run: RunOptions, dryRun: Bool, client: GenesysClient,
    locker: any ConversationLocker,
    hub: EventHub
  ) async -> Reconcile.Execution {
    var e = Reconcile.Execution(
      executor: dryRun ? DryRunExecutor(say: Self.sayDryRun) : GenesysExecutor(client: client),
      locker: locker,
      parallelism: tuning.parallelism)
    e.lockTimeout = tuning.lockTimeout
    e.confirmTimeout = tuning.confirmTimeout
    e.events = Self.progress(hub)
    e.timing = ConfirmationTiming()
    // A mute whose revert the budget cannot promise yet waits up to two windows (its lease then ends
    // in a later, emptier window) before it is reported as waiting.
    e.admissionWait = .seconds(2 * (await client.budget.window))
    e.revertSlack = run.revertSlack
    return e
  }

  /// `--dry-run` says each call it would make.
  @Sendable static func sayDryRun(_ call: String) { Terminal.stdout.write("  would \(call)\n") }

  /// Events go to the webhook and metrics, and each call's outcome to stderr as a progress line.
  static func progress(_ hub: EventHub) -> @Sendable (ApplyEvent) -> Void {
    { event in
      hub.handle(event)
      if case .outcome(let r) = event {
        let tail = r.status == .ok ? "" : " (\(r.error ?? r.status?.rawValue ?? ""))"
        Terminal.stderr.write(
          "  \(r.action.rawValue) \(r.conversation.prefix(8)) \(r.participant ?? r.userId ?? r.address ?? ""): \(r.status?.rawValue ?? "?") in \(r.latencyMs ?? 0)ms\(tail)\n"
        )
      }
    }
  }

  /// `apply --plan FILE`: the saved changes exactly, without a prompt (the plan was the review), after
  /// checking the file (format, unknown fields, expiry, workspace, target, every change against the
  /// hard caps and the plan's Limits), that no conversation changed since the plan was made, that the
  /// plan was not applied before, and that the changes still fit (participants present, capacity,
  /// roles). It runs like `apply`: each conversation is locked only while the run acts on it (and
  /// checked again under its lock), and SIGINT/SIGTERM stop it (nothing new leaves).
  func applySaved(_ path: String) async throws {
    let changes: [PlannedChange]
    let saved: SavedPlan
    do {
      let file = try SavedPlanFile.read(path)
      switch file.signature {
      case .valid, .mismatch: break  // (a mismatch is refused by the read)
      case .unsigned where PlanKey.current != nil:
        throw SavedPlanError(
          "'\(path)' is not signed and PARTYLINE_PLAN_KEY is set: only a plan signed with the key is applied (run plan --out with the key)"
        )
      case .unverified:
        Terminal.stderr.write(
          "note: '\(path)' is signed, but PARTYLINE_PLAN_KEY is not set: the signature is not checked\n")
      case .unsigned: break
      }
      saved = file.plan
      changes = try saved.check(
        now: Date().timeIntervalSince1970, target: run.sandbox ? "sandbox" : try Connection.target(run),
        workspace: run.workspace)
    } catch {
      Terminal.stderr.write("error: \(error)\n")
      throw ExitCode(1)
    }
    let hub = try EventHub(eventOptions)
    let stop = RunSignal()
    let signals = ShutdownSignals.listen { stop.stop() }
    defer { signals.cancel() }
    let connection = try await Connection.open(run)
    if let banner = connection.banner { Terminal.stderr.write(banner + "\n") }
    let budget = connection.client.budget
    stop.onStop { Task { await budget.close() } }
    var report: ApplyReport
    var opened: OpenedState?
    do {
      let state = try await StateBackend.open(run, migrate: !dryRun)
      opened = state
      // The saved changes exactly, checked against the calls and the journal before anything is done
      // and each conversation again under its lock.
      let clock = state.clock(SystemClock())
      await connection.useClock(clock)
      let reconcile = Reconcile.saved(
        saved, changes: changes, workspace: run.workspace, source: LiveStateReader(client: connection.client),
        clock: clock,
        journal: state.journal, run: RunId.make())
      let execution = await Self.execution(
        tuning, run, dryRun: dryRun, client: connection.client, locker: state.locker, hub: hub)
      let outcome = try await stop.guarding(grace: RunSignal.grace, on: reconcile.clock) {
        try await reconcile.run(execution) { plan in
          Terminal.stdout.write(PlanRenderer().text(plan))
          return true
        }
      }
      if outcome.report == nil { Terminal.stdout.write(PlanRenderer().text(outcome.plan)) }
      report = outcome.report ?? ApplyReport()
    } catch {
      await connection.close()
      await hub.webhook?.flush()
      await opened?.close()
      Terminal.stderr.write("error: \(error)\n")
      throw ExitCode(1)
    }
    await connection.close()
    await hub.webhook?.flush()
    await opened?.close()
    Self.show(report, dryRun: dryRun)
    if !report.ok { throw ExitCode(1) }
  }
}
