import ArgumentParser
import Dispatch
import Foundation
import GenesysCloud
import PartylineCore

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
    var renderer = DiagnosticRenderer(style: Style(enabled: Terminal.stderr.colours))
    guard let set = compiled.policySet else {
      for d in compiled.diagnostics.prefix(DiagnosticRenderer.maxShown) {
        Terminal.stderr.write(renderer.text(d))
      }
      Terminal.stderr.write("policies are invalid: not watching\n")
      throw ExitCode(1)
    }
    run.report(compiled, paths)
    let hub = try EventHub(eventOptions)
    let stop = StopSignal()
    stop.install()
    let connection = try await Connection.open(run)
    if let banner = connection.banner { Terminal.stderr.write(banner + "\n") }
    // On SIGINT/SIGTERM nothing new leaves: the budget refuses every request not yet sent.
    let budget = connection.client.budget
    // Gaps in the events and rejected topics ask for a full reconcile at once.
    let kicks = StopSignal()
    stop.onStop = {
      kicks.trigger()
      Task { await budget.close() }
    }
    if stop.stopped { await budget.close() }
    let state: OpenedState
    do {
      state = try await StateBackend.open(run, lockTimeout: tuning.lockTimeout)
    } catch {
      await connection.close()
      Terminal.stderr.write("error: \(error)\n")
      throw ExitCode(1)
    }
    let journal = state.journal
    let locker = InProcessLocker(state.locker, timeout: tuning.lockTimeout)
    Terminal.stderr.write(
      "watching \(set.policies.count) policies; \(events ? "following call events, " : "")full reconcile every \(every)\n"
    )
    let current = CurrentSet(set)
    // Decided for each set read: a pull that empties the directory must not unmute everyone.
    let (wholePaths, allowEmpty) = (PlanCommand.isWholeSet(paths), run.allowEmpty)
    let (workspace, tuning, metricsFile, paths) = (
      run.workspace, self.tuning, eventOptions.metricsFile, self.paths
    )
    let ended = EndedCalls()
    let (timing, ledger, said) = (ConfirmationTiming(), ReadLedger(), SaidOnce())
    @Sendable func reconciler(_ set: PolicySet, focus: Set<String>?, readAt: Double = .infinity) -> Reconciler
    {
      var r = Reconciler(
        set: set, wholeSet: wholePaths && (!set.policies.isEmpty || allowEmpty), workspace: workspace,
        connection: connection,
        journal: journal, locker: locker, parallelism: tuning.parallelism, dryRun: false, run: RunId.make(),
        confirmTimeout: tuning.confirmTimeout, events: { hub.handle($0) }, focus: focus,
        policiesReadAt: readAt)
      r.revertsOnly = focus != nil
      r.ended = ended
      r.timing = timing
      r.ledger = ledger
      return r
    }
    @Sendable func stamp() -> String { Timestamp.iso8601(Date().timeIntervalSince1970) }
    let book = TopicBook()
    let dispatcher = EventDispatcher()
    let latest = LatestCalls()
    let events = self.events
    /// One event's call, planned alone from its snapshot (no read), serialised per call.
    @Sendable func onEvent(_ call: LiveConversation) async {
      guard await dispatcher.offer(call) else { return }  // a reconcile of this call is running: it takes this next
      while let snapshot = await dispatcher.take(call.id) {
        if stop.stopped { break }
        let set = await current.set
        var r = reconciler(set, focus: [call.id])
        r.revertsOnly = false
        r.followAdds = false
        r.snapshots = [call.id: snapshot]
        r.eventCalls = latest
        // A mute the budget cannot promise yet waits on this call's task, up to a window.
        r.admissionWait = await budget.window
        r.given = await book.given(for: call.id, in: set)
        var renderer = DiagnosticRenderer(style: Style(enabled: Terminal.stderr.colours))
        do {
          let outcome = try await r.runOnce()
          if outcome.report != nil || outcome.plan.hasErrors { Self.report(outcome, renderer: &renderer) }
          stop.wake()
        } catch {
          Terminal.stderr.write("\(stamp()) error: \(error)\n")
        }
      }
      if stop.stopped { await dispatcher.abandon(call.id) }
    }

    await withTaskGroup(of: Bool.self) { group in
      // After the signal, what is still in flight gets `StopSignal.grace`; then it is abandoned.
      group.addTask {
        await stop.waitStopped()
        try? await Task.sleep(nanoseconds: UInt64(StopSignal.grace * 1e9))
        return false
      }
      defer { group.cancelAll() }
      // The full reconcile, every --interval, with the policy files read again each time (a pulled
      // commit takes effect without a restart; invalid files leave the last valid set in force, since
      // its leases are promises, and are reported once until they change).
      group.addTask {
        var failures = 0
        var rejected: [Diagnostic] = []
        var renderer = DiagnosticRenderer(style: Style(enabled: Terminal.stderr.colours))
        while !stop.stopped {
          var set = await current.set
          let readAt = Date().timeIntervalSince1970
          let reloaded = PolicyLoader().load(paths)
          if let fresh = reloaded.policySet {
            if fresh != set {
              set = fresh
              await current.replace(fresh)
              Terminal.stderr.write("\(stamp()) policies changed: now \(set.policies.count)\n")
            }
            rejected = []
          } else if reloaded.diagnostics != rejected {
            rejected = reloaded.diagnostics
            for d in rejected.prefix(DiagnosticRenderer.maxShown) { Terminal.stderr.write(renderer.text(d)) }
            Terminal.stderr.write(
              "\(stamp()) policies are invalid: still acting on the last valid set (\(set.policies.count) policies)\n"
            )
          }
          var next = Date().timeIntervalSince1970 + Double(every.seconds)
          do {
            // With invalid files the set in force is older than the files: prune nothing new.
            var full = reconciler(set, focus: nil, readAt: rejected.isEmpty ? readAt : 0)
            // When the budget cannot read every call every interval, read fewer (those with work due,
            // then those read longest ago) rather than starve the changes, and say so once.
            let allowance = await budget.readAllowance(over: Double(every.seconds))
            let calls = Set(Planner.reads(for: set).conversations).count
            if calls > allowance {
              full.readLimit = allowance
              if await said.first("reads") {
                Terminal.stderr.write(
                  "\(stamp()) the rate budget (\(await budget.limit)/min) allows about \(allowance) reads per \(every): each full reconcile reads the calls with work due, then those read longest ago (of \(calls))\n"
                )
              }
            }
            let outcome = try await full.runOnce()
            await book.learn(outcome)
            stop.wake()  // the on-time loop learns of the leases this run opened
            Self.report(outcome, renderer: &renderer)
            if let path = metricsFile {
              let leases = JournalState(try await journal.records(workspace: workspace), workspace: workspace)
                .leases
              let text = hub.metrics.render(
                plan: outcome.plan, report: outcome.report, leases: leases,
                throttled: await connection.client.budget.throttled, now: Date().timeIntervalSince1970)
              try? AtomicFile.write(text, to: path)
            }
            failures = 0
          } catch {
            failures += 1
            Terminal.stderr.write("\(stamp()) error: \(error)\n")
            next = min(next, Date().timeIntervalSince1970 + min(30, Double(1 << min(failures, 5))))
          }
          // Polling where events are unavailable: at least every minute.
          if await book.polling { next = min(next, Date().timeIntervalSince1970 + 60) }
          await kicks.sleep(until: next, wakeable: true)
        }
        return true
      }
      // Events: one channel (per 1,000 topics) for the queues and users the policies name and the
      // users on the calls named by id, kept in step with what the full reconciles learn.
      if events {
        group.addTask {
          // One stream for the whole run: a change of topics is subscribed on its open channels, never
          // a new channel (one that had a socket counts against the 20 until it expires).
          var topics: [String] = []
          var stream: NotificationStream?
          var running: Task<Void, Never>?
          var overflowing = false
          while !stop.stopped {
            let wanted = await book.topics
            if wanted != topics, !wanted.isEmpty {
              topics = wanted
              let s: NotificationStream
              if let stream {
                s = stream
                await s.setTopics(wanted)
              } else {
                s = NotificationStream(client: connection.client, topics: wanted, silence: silence)
                stream = s
              }
              let overflow = await s.overflow.count
              if overflow > 0, !overflowing {
                Terminal.stderr.write(
                  "\(stamp()) notifications: more topics than 20 channels hold; \(overflow) are polled\n"
                )
                await book.setPolling()
              }
              overflowing = overflow > 0
              Terminal.stderr.write("\(stamp()) notifications: following \(wanted.count) topics\n")
              if running == nil {
                running = Task {
                  await s.run { event in
                    switch event {
                    case .call(_, let call):
                      // Published first (a reconcile may be waiting for it to confirm a change), then
                      // planned on its own task: the socket's reader never waits for a reconcile.
                      let live = LiveStateReader.convert(call)
                      await latest.publish(live)
                      Task { await onEvent(live) }
                    case .gap(let why):
                      Terminal.stderr.write("\(stamp()) notifications: \(why): full reconcile now\n")
                      kicks.wake()
                    case .rejected(let rejected):
                      let missing = Set(rejected.flatMap { $0.missingPermissions ?? [] }).sorted()
                      Terminal.stderr.write(
                        "\(stamp()) notifications: \(rejected.count) topics rejected (\(rejected.first?.rejectionReason ?? "rejected")\(missing.isEmpty ? "" : "; missing permissions: " + missing.joined(separator: ", "))): their calls are polled every minute within the rate budget\n"
                      )
                      await book.setPolling()
                      kicks.wake()
                    }
                  }
                }
              }
            }
            await stop.sleep(until: Date().timeIntervalSince1970 + 1)
          }
          running?.cancel()
          return true
        }
      }
      // On time: wake when a lease ends (the journal is read again every two seconds, since scheduled
      // applies open leases too) and reconcile just the conversations whose leases are due, without
      // waiting for a full reconcile in flight, with the rate budget's reserve (RatePriority.urgent).
      // A revert that cannot be done now is retried with backoff.
      group.addTask {
        let running = RunningSet()
        var retryAt: [String: Double] = [:]
        var attempts: [String: Int] = [:]
        await withDiscardingTaskGroup { reverts in
          while !stop.stopped {
            let now = Date().timeIntervalSince1970
            let open: [Lease]
            do {
              open = JournalState(try await journal.records(workspace: workspace), workspace: workspace)
                .leases
                .filter { $0.status == .open }
            } catch {
              Terminal.stderr.write("\(stamp()) error: \(error)\n")
              await stop.sleep(until: now + 2)
              continue
            }
            // Ordinary requests leave room in the rate window for the reverts due before it resets:
            // a read, the unmute and two confirming reads, and one more for a retry: five each.
            await connection.client.budget.expectUrgent(dueAt: open.map(\.endsAt), requestsEach: 5)
            let dueNow = Set(open.filter { $0.endsAt <= now }.map(\.conversation))
            for cid in attempts.keys where !dueNow.contains(cid) {
              attempts[cid] = nil
              retryAt[cid] = nil
            }
            // Each due conversation on its own: one slow revert never holds up another.
            let busy = await running.all
            for cid in dueNow.sorted() where (retryAt[cid] ?? 0) <= now && !busy.contains(cid) {
              attempts[cid, default: 0] += 1
              retryAt[cid] = now + min(30, Double(1 << min(attempts[cid]!, 5)))
              await running.insert(cid)
              let set = await current.set
              reverts.addTask {
                var renderer = DiagnosticRenderer(style: Style(enabled: Terminal.stderr.colours))
                do {
                  let outcome = try await RatePriority.$urgent.withValue(true) {
                    try await reconciler(set, focus: [cid]).runOnce()
                  }
                  Self.report(outcome, renderer: &renderer)
                } catch {
                  Terminal.stderr.write("\(stamp()) error: \(error)\n")
                }
                await running.remove(cid)
                stop.wake()
              }
            }
            let upcoming = open.map(\.endsAt).filter { $0 > now }.min() ?? .infinity
            let retry = retryAt.values.filter { $0 > now }.min() ?? .infinity
            await stop.sleep(until: min(upcoming, retry, now + 2), wakeable: true)
          }
        }
        return true
      }
      var done = 0
      while let finished = await group.next() {
        if !finished {
          group.cancelAll()  // the grace is over: abandon what is in flight
        } else {
          done += 1
          if done == (events ? 3 : 2) { break }
        }
      }
    }
    await connection.close()
    await hub.webhook?.flush()
    let open =
      ((try? await journal.records(workspace: workspace)).map {
        JournalState($0, workspace: workspace).leases
      } ?? [])
      .filter { $0.status == .open }
    await state.close()
    if let next = open.map(\.endsAt).min() {
      Terminal.stderr.write(
        "watch stopped; \(open.count) open \(open.count == 1 ? "lease is" : "leases are") left for the next run (the next ends at \(Timestamp.iso8601(next, milliseconds: false)))\n"
      )
    } else {
      Terminal.stderr.write("watch stopped\n")
    }
  }

  static func report(_ outcome: Reconciler.Outcome, renderer: inout DiagnosticRenderer) {
    let stamp = Timestamp.iso8601(Date().timeIntervalSince1970)
    if let report = outcome.report {
      for (_, reason) in report.lockFailures.sorted(by: { $0.key < $1.key }) {
        Terminal.stderr.write("\(stamp) error: \(reason)\n")
      }
      Terminal.stdout.write("\(stamp) \(Reconciler.summary(report, dryRun: false))\n")
    } else if outcome.plan.hasErrors {
      for d in outcome.plan.findings where d.severity == .error {
        Terminal.stderr.write(renderer.text(d))
      }
      Terminal.stderr.write("\(stamp) \(ApplyCommand.whyRefused(outcome.plan)): nothing applied\n")
    }
  }
}

/// What watch's events need from its full reconciles: the topics to follow (the selected queues and
/// users, and the users on the calls named by id) and the discovery to bind an event's call with.
actor TopicBook {
  private(set) var topics: [String] = []
  private var discovery = CallDiscovery.Result()
  private(set) var polling = false

  func setPolling() { polling = true }

  func learn(_ outcome: Reconciler.Outcome) {
    guard let set = outcome.set else { return }
    discovery = outcome.discovery
    var queues = Set(discovery.discovery.queues.values)
    var users = Set(discovery.seed.emails.values)
    let source = set.policies
    for p in source {
      if case .id(let q)? = p.select?.queue { queues.insert(q) }
      if case .id(let u)? = p.select?.user { users.insert(u) }
      // A call named by id (or a selected call already bound): its users' topics carry its events.
      if p.select == nil, p.boundBy == nil, let call = outcome.live.conversations[p.conversation] {
        for party in call.participants where !party.hasLeft { if let u = party.userId { users.insert(u) } }
      }
    }
    topics =
      queues.sorted().map(NotificationStream.queueTopic) + users.sorted().map(NotificationStream.userTopic)
  }

  /// Discovery for one event's call: every selector's candidate is that call.
  func given(for cid: String, in set: PolicySet) -> CallDiscovery.Result {
    var out = discovery
    out.discovery.candidates = Dictionary(uniqueKeysWithValues: set.selectors.map { ($0.key, [cid]) })
    out.discovery.findings = []
    return out
  }
}

/// Serialises the reconciles of one call's events: while one runs, the latest snapshot waits.
actor EventDispatcher {
  private var latest: [String: LiveConversation] = [:]
  private var running = Set<String>()

  /// Keeps the snapshot; true when the caller should start reconciling this call.
  func offer(_ call: LiveConversation) -> Bool {
    latest[call.id] = call
    return running.insert(call.id).inserted
  }

  /// The next snapshot to reconcile; nil (and the call no longer running) when there is none.
  func take(_ cid: String) -> LiveConversation? {
    if let next = latest.removeValue(forKey: cid) { return next }
    running.remove(cid)
    return nil
  }

  /// The reconciles stopped early (the run is stopping).
  func abandon(_ cid: String) {
    latest[cid] = nil
    running.remove(cid)
  }
}

/// The conversations the on-time loop is reverting now.
actor RunningSet {
  private(set) var all: Set<String> = []
  func insert(_ cid: String) { all.insert(cid) }
  func remove(_ cid: String) { all.remove(cid) }
}

/// The policy set in force, replaced when the files change.
actor CurrentSet {
  private(set) var set: PolicySet
  init(_ set: PolicySet) { self.set = set }
  func replace(_ new: PolicySet) { set = new }
}

/// SIGINT/SIGTERM: stop after the reconcile in flight; wakes every sleeping loop at once.
final class StopSignal: @unchecked Sendable {
  private let lock = NSLock()
  private var flag = false
  private var sources: [DispatchSourceSignal] = []
  private var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
  private var nextId = 0
  private var generation = 0

  var stopped: Bool { lock.withLock { flag } }
  /// Runs once, when the signal comes: the run sends nothing new from then on.
  var onStop: (@Sendable () -> Void)? {
    get { lock.withLock { stopHook } }
    set { lock.withLock { stopHook = newValue } }
  }
  private var stopHook: (@Sendable () -> Void)?

  private var stopWaiters: [Int: CheckedContinuation<Void, Never>] = [:]
  private var cancelledWaits = Set<Int>()

  /// Returns when the signal has come, or at once when the task is cancelled.
  func waitStopped() async {
    let id: Int? = lock.withLock {
      if flag { return nil }
      nextId += 1
      return nextId
    }
    guard let id else { return }
    await withTaskCancellationHandler {
      await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
        let now: Bool = lock.withLock {
          if flag || cancelledWaits.contains(id) { return true }
          stopWaiters[id] = c
          return false
        }
        if now { c.resume() }
      }
    } onCancel: {
      let c: CheckedContinuation<Void, Never>? = lock.withLock {
        cancelledWaits.insert(id)
        return stopWaiters.removeValue(forKey: id)
      }
      c?.resume()
    }
  }

  func install() {
    for sig in [SIGINT, SIGTERM] {
      signal(sig, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
      source.setEventHandler { [weak self] in self?.trigger() }
      source.resume()
      sources.append(source)
    }
  }

  func trigger() {
    let (all, hook): ([CheckedContinuation<Void, Never>], (@Sendable () -> Void)?) = lock.withLock {
      let first = !flag
      flag = true
      defer {
        waiters = [:]
        stopWaiters = [:]
      }
      return (Array(waiters.values) + Array(stopWaiters.values), first ? stopHook : nil)
    }
    hook?()
    for w in all { w.resume() }
  }

  /// Runs `operation`; once the signal has come it gets `grace` seconds, then it is cancelled (what is
  /// in flight is abandoned and journalled as of unknown outcome).
  func guarding<T: Sendable>(_ operation: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
      group.addTask { try await operation() }
      group.addTask {
        await self.waitStopped()
        try? await Task.sleep(nanoseconds: UInt64(Self.grace * 1e9))
        return nil
      }
      while let next = try await group.next() {
        if let value = next {
          group.cancelAll()
          return value
        }
        group.cancelAll()
      }
      throw CancellationError()
    }
  }

  /// How long a run may take to stop after the signal: then what is still in flight is abandoned
  /// (and journalled as of unknown outcome), so it exits within 5 s.
  static let grace: Double = 4

  /// Ends the sleeps that asked to be woken (`wakeable`); the others sleep on.
  func wake() {
    let all: [CheckedContinuation<Void, Never>] = lock.withLock {
      generation += 1
      defer { waiters = [:] }
      return Array(waiters.values)
    }
    for w in all { w.resume() }
  }

  /// Sleeps until `deadline` (epoch seconds) or a stop signal, whichever comes first; a `wakeable`
  /// sleep also ends at `wake()`.
  func sleep(until deadline: Double, wakeable: Bool = false) async {
    let start = lock.withLock { generation }
    while !stopped {
      if wakeable && lock.withLock({ generation }) != start { return }
      let left = deadline - Date().timeIntervalSince1970
      if left <= 0 { return }
      await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
        let id: Int? = lock.withLock {
          if flag || (wakeable && generation != start) { return nil }
          nextId += 1
          waiters[nextId] = c
          return nextId
        }
        guard let id else {
          c.resume()
          return
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + min(left, 1)) { [weak self] in
          guard let self else { return }
          let w = self.lock.withLock { self.waiters.removeValue(forKey: id) }
          w?.resume()
        }
      }
    }
  }
}

/// Messages said once per run.
actor SaidOnce {
  private var said = Set<String>()
  func first(_ key: String) -> Bool { said.insert(key).inserted }
}
