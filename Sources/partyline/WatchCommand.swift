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
      A full plan and apply every --interval; in between it wakes when each lease ends and reverts \
      on time. SIGINT or SIGTERM finishes the reconcile in flight and exits 0. Starting it is the \
      consent: it never asks.
      """
  )

  @Argument(help: "Policy files or directories.")
  var paths: [String] = ["policies"]

  @Option(help: "Time between full reconciles, e.g. 60s.")
  var interval: String = "60s"

  @OptionGroup var tuning: ApplyTuning

  @OptionGroup var run: RunOptions

  @OptionGroup var eventOptions: EventOptions

  func validate() throws {
    guard case .success = Grammar.duration(interval) else {
      throw ValidationError(
        "invalid --interval '\(interval)': \(Grammar.durationHint(interval, example: "60s"))")
    }
  }

  func run() async throws {
    guard case .success(let every) = Grammar.duration(interval) else {
      throw ValidationError("invalid --interval '\(interval)': use a duration such as 60s")
    }
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
    Terminal.stderr.write("watching \(set.policies.count) policies; full reconcile every \(every)\n")
    let current = CurrentSet(set)
    // Decided for each set read: a pull that empties the directory must not unmute everyone.
    let (wholePaths, allowEmpty) = (PlanCommand.isWholeSet(paths), run.allowEmpty)
    let (workspace, tuning, metricsFile, paths) = (
      run.workspace, self.tuning, eventOptions.metricsFile, self.paths
    )
    let ended = EndedCalls()
    func reconciler(_ set: PolicySet, focus: Set<String>?, readAt: Double = .infinity) -> Reconciler {
      var r = Reconciler(
        set: set, wholeSet: wholePaths && (!set.policies.isEmpty || allowEmpty), workspace: workspace,
        connection: connection,
        journal: journal, locker: locker, parallelism: tuning.parallelism, dryRun: false, run: RunId.make(),
        confirmTimeout: tuning.confirmTimeout, events: { hub.handle($0) }, focus: focus,
        policiesReadAt: readAt)
      r.revertsOnly = focus != nil
      r.ended = ended
      return r
    }
    func stamp() -> String { Timestamp.iso8601(Date().timeIntervalSince1970) }

    await withTaskGroup(of: Void.self) { group in
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
            let outcome = try await reconciler(set, focus: nil, readAt: rejected.isEmpty ? readAt : 0)
              .runOnce()
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
          await stop.sleep(until: next)
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
      }
    }
    await connection.close()
    await hub.webhook?.flush()
    await state.close()
    Terminal.stderr.write("watch stopped\n")
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
    let all: [CheckedContinuation<Void, Never>] = lock.withLock {
      flag = true
      defer { waiters = [:] }
      return Array(waiters.values)
    }
    for w in all { w.resume() }
  }

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
