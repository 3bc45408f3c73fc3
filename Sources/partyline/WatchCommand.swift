import ArgumentParser
import Dispatch
import Foundation
import GenesysCloud
import Logging
import PartylineCore
import PartylineGenesys
import PartylineLocal
import PartylineViews
import PartylineWebhook
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

  @Option(
    help: ArgumentHelp(
      "Serve /metrics, /healthz and /readyz on this address, e.g. 127.0.0.1:9464 (:9464 for every address).",
      valueName: "address"))
  var listen: String?

  @Option(help: "How watch writes its log: text (lines for people) or json (one JSON object per line).")
  var logFormat: WatchLog.Format = .text

  @OptionGroup var tuning: ApplyTuning

  @OptionGroup var run: RunOptions

  @OptionGroup var eventOptions: EventOptions

  func validate() throws {
    if let listen, WatchEndpoints.parse(listen) == nil {
      throw ValidationError("--listen '\(listen)' is not an address: use host:port, e.g. 127.0.0.1:9464")
    }
  }

  func run() async throws {
    WatchLog.use(logFormat)
    let (every, silence) = (self.every, eventSilence.seconds)
    let compiled = PolicyLoader().load(paths)
    guard let set = compiled.policySet else {
      for d in compiled.diagnostics.prefix(DiagnosticRenderer.maxShown) { WatchLog.say(d) }
      WatchLog.say("policies are invalid: not watching", level: .error, stamped: false)
      throw ExitCode(1)
    }
    if WatchLog.json {
      for d in compiled.diagnostics where d.severity != .error { WatchLog.say(d) }
    } else {
      run.report(compiled, paths)
    }
    let hub = try EventHub(eventOptions)
    let stop = RunSignal()
    let signals = ShutdownSignals.listen { stop.stop() }
    defer { signals.cancel() }
    // The first connection checks the configuration before anything waits; it serves the first term.
    let spare = Spare(try await Connection.open(run))
    if let banner = await spare.banner { WatchLog.say(banner, stamped: false) }
    let state: OpenedState
    do {
      state = try await StateBackend.open(run) { level, text in
        WatchLog.say(text, level: level == "warning" ? .warning : .notice, stamped: false)
      }
    } catch {
      await spare.close()
      WatchLog.say("\(error)", level: .error, stamped: false)
      throw ExitCode(1)
    }
    // With a local state directory one watcher runs per workspace (DESIGN §4).
    var watchLock: LocalWatchLock?
    if state.leader == nil, let directory = state.directory {
      do {
        watchLock = try LocalWatchLock(
          directory: directory, workspace: run.workspace,
          holder: StateBackend.holder(workspace: run.workspace))
      } catch {
        await spare.close()
        await state.close()
        WatchLog.say("\(error)", level: .error, stamped: false)
        throw ExitCode(1)
      }
    }
    defer { withExtendedLifetime(watchLock) {} }
    // Monotonic: a step of the wall clock while watch runs moves no revert (DESIGN §5, clocks).
    // With PostgreSQL, the database server's time (DESIGN §5, clocks).
    let clock = state.clock(SteadyClock())
    // Reverts never wait for the state: with the database gone they are sent, and journalled once it is
    // back; mutes and adds wait for it.
    let journal = OutageJournal(state.journal, patience: .seconds(1), clock: clock)
    let (paths, events, run, tuning, eventOptions) = (
      self.paths, self.events, self.run, self.tuning, self.eventOptions
    )
    let workspace = run.workspace
    let status = WatchStatus(role: state.leader == nil ? .single : .starting, events: events)
    let metrics = WatchMetrics()
    if state.leader == nil { metrics.single() }
    let currentBudget = Current<RateBudget>()
    var endpoints: WatchEndpoints?
    if let listen, let (host, port) = WatchEndpoints.parse(listen) {
      do {
        endpoints = try await WatchEndpoints.start(
          host: host, port: port,
          sources: .init(
            status: status, metrics: metrics, workspace: workspace,
            leases: { (try? await journal.openLeases(workspace: workspace)) ?? [] },
            budget: { await currentBudget.value.map(RateBudgetRef.init) },
            stateReachable: { journal.outageSince == nil }, now: { clock.now() }))
        WatchLog.say("serving /metrics, /healthz and /readyz on \(host):\(endpoints!.port)", stamped: false)
      } catch {
        await spare.close()
        await state.close()
        WatchLog.say("\(error)", level: .error, stamped: false)
        throw ExitCode(1)
      }
    }
    WatchLog.say(
      "watching \(set.policies.count) policies; \(events ? "following call events, " : "")full reconcile every \(every)",
      stamped: false)
    // One term of watching: until `signal` stops (the process's stop, or a lost lead).
    let term: @Sendable (RunSignal) async -> Void = { signal in
      let connection: Connection
      do {
        if let first = await spare.take() {
          connection = first
        } else {
          connection = try await Connection.open(run)
        }
      } catch {
        WatchLog.say("\(error)", level: .error)
        await signal.sleep(until: clock.now() + 5, on: clock)
        return
      }
      let client = connection.client
      await connection.useClock(clock)
      await currentBudget.set(client.budget)
      let latest = LatestCalls()
      var watcher = Watcher(
        workspace: workspace, clock: clock,
        source: LiveStateReader(client: client, ended: EndedCalls(), ledger: ReadLedger()),
        executor: GenesysExecutor(client: client),
        eventExecutor: GenesysExecutor(client: client, events: latest),
        journal: journal, locker: InProcessLocker(state.locker, clock: clock),
        budget: GenesysBudget(client.budget),
        events: events ? NotificationEvents(client: client, latest: latest, silence: silence) : nil,
        interval: every.length, reload: { PolicyLoader().load(paths) }, runId: { RunId.make() })
      watcher.parallelism = tuning.parallelism
      watcher.revertSlack = run.revertSlack
      watcher.lockTimeout = tuning.lockTimeout
      watcher.confirmTimeout = tuning.confirmTimeout
      // Decided for each set read: a pull that empties the directory must not unmute everyone.
      (watcher.wholePaths, watcher.allowEmpty) = (PlanCommand.isWholeSet(paths), run.allowEmpty)
      watcher.applyEvents = { event in
        hub.handle(event)
        metrics.note(event)
      }
      let (metricsFile, budget) = (eventOptions.metricsFile, client.budget)
      watcher.notify = { notice in
        Self.show(notice)
        status.note(notice)
        metrics.note(notice)
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
      await watcher.run(set, signal: signal)
      await metrics.fold(client.budget)
      await currentBudget.set(nil)
      await connection.close()
      // Reverts made while the database was gone: written now if it is back (under this term's epoch).
      let unwritten = await journal.flushBuffered()
      if unwritten > 0 {
        WatchLog.say(
          "\(unwritten) journal records of reverts made while the state database was unreachable could not be written; the next run finds those participants unmuted and closes their leases",
          level: .warning, stamped: false)
      }
    }
    if let lease = state.leader {
      // PostgreSQL: one watcher leads the workspace, the others stand by (DESIGN §4).
      var campaign = Campaign(lease: lease, clock: clock)
      campaign.notify = { notice in
        Self.show(notice, workspace: workspace)
        status.note(notice)
        metrics.note(notice)
      }
      await campaign.run(signal: stop) { _, signal in await term(signal) }
    } else {
      await term(stop)
    }
    await spare.close()
    await hub.webhook?.flush()
    await endpoints?.stop()
    let open = (try? await journal.openLeases(workspace: workspace)) ?? []
    await state.close()
    if let next = open.map(\.endsAt).min() {
      WatchLog.say(
        "watch stopped; \(open.count) open \(open.count == 1 ? "lease is" : "leases are") left for the next run (the next ends at \(Timestamp.iso8601(next, milliseconds: false)))",
        stamped: false)
    } else {
      WatchLog.say("watch stopped", stamped: false)
    }
  }

  /// A value the terms replace (the current client's budget, for the endpoints).
  actor Current<T: Sendable> {
    private(set) var value: T?
    func set(_ v: T?) { value = v }
  }

  /// The first connection, until a term takes it.
  actor Spare {
    private var connection: Connection?
    init(_ connection: Connection) { self.connection = connection }
    var banner: String? { connection?.banner }
    func take() -> Connection? {
      defer { connection = nil }
      return connection
    }
    func close() async {
      await connection?.close()
      connection = nil
    }
  }

  /// What the campaign for the lead says.
  @Sendable static func show(_ notice: LeaderNotice, workspace: String) {
    let fields = [("workspace", workspace)]
    switch notice {
    case .standingBy(let leader, let epoch):
      WatchLog.say(
        "standing by: workspace '\(workspace)' is led by \(UntrustedText.clean(leader)) (epoch \(epoch)); taking over when its lease lapses",
        fields + [("role", "standby"), ("epoch", "\(epoch)")])
    case .leading(let epoch):
      WatchLog.say(
        "leading workspace '\(workspace)' (epoch \(epoch))",
        fields + [("role", "leader"), ("epoch", "\(epoch)")])
    case .renewalFailing(let epoch, let error):
      WatchLog.say(
        "cannot renew the lead of workspace '\(workspace)' (epoch \(epoch)): \(error); reverting only, until the lease would lapse",
        level: .warning, fields + [("epoch", "\(epoch)")])
    case .lost(let epoch, let why):
      WatchLog.say(
        "lost the lead of workspace '\(workspace)' (epoch \(epoch)): \(why); sending nothing more, standing by",
        level: .warning, fields + [("role", "standby"), ("epoch", "\(epoch)")])
    case .resigned(let epoch):
      WatchLog.say(
        "resigned the lead of workspace '\(workspace)' (epoch \(epoch))", fields + [("epoch", "\(epoch)")])
    case .unreachable(let error):
      WatchLog.say(
        "cannot campaign for the lead of workspace '\(workspace)': \(error)", level: .error, fields)
    }
  }

  /// What the watcher says (apply summaries on stdout in text).
  @Sendable static func show(_ notice: WatchNotice) {
    switch notice {
    case .reconciled(let outcome, let loop):
      report(outcome, loop)
    case .compacted(let r):
      if r.dropped > 0 {
        WatchLog.say(
          "journal compacted: \(r.dropped) records of \(r.conversations) ended conversations dropped, \(r.kept) kept"
        )
      }
    case .failed(let error):
      WatchLog.say(error, level: .error)
    case .policiesChanged(let count):
      WatchLog.say("policies changed: now \(count)")
    case .policiesInvalid(let diagnostics, let inForce):
      for d in diagnostics.prefix(DiagnosticRenderer.maxShown) { WatchLog.say(d) }
      WatchLog.say("policies are invalid: still acting on the last valid set (\(inForce) policies)")
    case .readsLimited(let allowance, let limit, let interval, let calls):
      WatchLog.say(
        "the rate budget (\(limit)/min) allows about \(allowance) reads per \(FlagDuration(interval)): each full reconcile reads the calls with work due, then those read longest ago (of \(calls))"
      )
    case .following(let count):
      WatchLog.say("notifications: following \(count) topics")
    case .overflow(let count):
      WatchLog.say("notifications: more topics than 20 channels hold; \(count) are polled")
    case .gap(let why):
      WatchLog.say("notifications: \(why): full reconcile now")
    case .rejected(let count, let reason, let missing):
      WatchLog.say(
        "notifications: \(count) topics rejected (\(reason)\(missing.isEmpty ? "" : "; missing permissions: " + missing.joined(separator: ", "))): their calls are polled every minute within the rate budget"
      )
    }
  }

  /// Findings about faults around a run that watch repeats at every full reconcile, so a log shows
  /// them while they last: unreadable journal lines, stuck reverts, a writer's clock ahead.
  static let faultFindings: Set<DiagnosticID> = [.journalUnreadable, .revertStuck, .clockSkew]

  static func report(_ outcome: Reconcile.Outcome, _ loop: WatchNotice.Loop = .full) {
    if loop == .full {
      for d in outcome.plan.findings where faultFindings.contains(d.kind) { WatchLog.say(d, stamped: true) }
    }
    if let report = outcome.report {
      for (_, reason) in report.lockFailures.sorted(by: { $0.key < $1.key }) {
        WatchLog.say(reason, level: .error)
      }
      WatchLog.say(ApplySummary.line(report, dryRun: false), summary: true)
    } else if outcome.plan.hasErrors {
      for d in outcome.plan.findings where d.severity == .error { WatchLog.say(d) }
      WatchLog.say("\(ApplySummary.whyRefused(outcome.plan)): nothing applied")
    }
  }
}

extension WatchLog.Format: ExpressibleByArgument {}
