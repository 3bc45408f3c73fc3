import ArgumentParser
import Dispatch
import Foundation
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
    let (journal, locker) = (state.journal, state.locker)
    Terminal.stderr.write("watching \(set.policies.count) policies; full reconcile every \(every)\n")
    var failures = 0
    while !stop.stopped {
      let reconciler = Reconciler(
        set: set, wholeSet: PlanCommand.isWholeSet(paths), workspace: run.workspace, connection: connection,
        journal: journal, locker: locker, parallelism: tuning.parallelism, dryRun: false, run: RunId.make(),
        confirmTimeout: tuning.confirmTimeout, events: { hub.handle($0) })
      var next = Date().timeIntervalSince1970 + Double(every.seconds)
      do {
        let outcome = try await reconciler.runOnce()
        let stamp = Timestamp.iso8601(Date().timeIntervalSince1970)
        if let report = outcome.report {
          Terminal.stdout.write("\(stamp) \(Reconciler.summary(report, dryRun: false))\n")
        } else if outcome.plan.hasErrors {
          for d in outcome.plan.findings where d.severity == .error {
            Terminal.stderr.write(renderer.text(d))
          }
          Terminal.stderr.write("\(stamp) the plan breaks a limit: nothing applied\n")
        }
        if let path = eventOptions.metricsFile {
          let leases = JournalState(
            try await journal.records(workspace: run.workspace), workspace: run.workspace
          ).leases
          let text = hub.metrics.render(
            plan: outcome.plan, report: outcome.report, leases: leases,
            throttled: await connection.client.budget.throttled, now: Date().timeIntervalSince1970)
          try? SavedPlan.writeText(text, to: path)
        }
        if let end = outcome.plan.nextLeaseEnd {
          next = min(next, max(end, Date().timeIntervalSince1970 + 0.05))
        }
        failures = 0
      } catch {
        failures += 1
        Terminal.stderr.write("\(Timestamp.iso8601(Date().timeIntervalSince1970)) error: \(error)\n")
        next = min(next, Date().timeIntervalSince1970 + min(30, Double(1 << min(failures, 5))))
      }
      await stop.sleep(until: next)
    }
    await connection.close()
    await hub.webhook?.flush()
    await state.close()
    Terminal.stderr.write("watch stopped\n")
  }
}

/// SIGINT/SIGTERM: stop after the reconcile in flight; wakes a sleeping loop at once.
final class StopSignal: @unchecked Sendable {
  private let lock = NSLock()
  private var flag = false
  private var sources: [DispatchSourceSignal] = []
  private var waiter: CheckedContinuation<Void, Never>?

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
    let w: CheckedContinuation<Void, Never>? = lock.withLock {
      flag = true
      defer { waiter = nil }
      return waiter
    }
    w?.resume()
  }

  /// Sleeps until `deadline` (epoch seconds) or a stop signal, whichever comes first.
  func sleep(until deadline: Double) async {
    while !stopped {
      let left = deadline - Date().timeIntervalSince1970
      if left <= 0 { return }
      await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
        let resumeNow: Bool = lock.withLock {
          if flag { return true }
          waiter = c
          return false
        }
        if resumeNow {
          c.resume()
          return
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + min(left, 1)) { [weak self] in
          guard let self else { return }
          let w: CheckedContinuation<Void, Never>? = self.lock.withLock {
            defer { self.waiter = nil }
            return self.waiter
          }
          w?.resume()
        }
      }
    }
  }
}
