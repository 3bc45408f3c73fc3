import Backoff
import YAMLReader
import WireTime

/// `watch`'s runtime: a full reconcile every interval (the policy files read again each time), the
/// events of the calls its policies concern planned one call at a time, and the on-time loop that
/// reverts each lease when it ends. Everything runs on the injected clock, so a test drives it with a
/// manual clock.
public struct Watcher: Sendable {
  /// The workspace whose leases the watcher keeps.
  public var workspace: String
  /// What every loop reads the time from and sleeps on.
  public var clock: any RuntimeClock
  /// Reads the live state of the full and the on-time reconciles.
  public var source: any LiveStateSource
  /// Carries out the changes of the full and the on-time reconciles.
  public var executor: any ApplyExecutor
  /// Carries out the changes of event reconciles (a confirmation waits for the call's next event).
  public var eventExecutor: any ApplyExecutor
  /// Where leases are read from and records written; the on-time loop reads it every two seconds.
  public var journal: any Journal
  /// The conversation locks, shared by the loops, so on-time reverts can join a held conversation.
  public var locker: InProcessLocker
  /// The rate budget: the reads a full reconcile may make, the room kept for reverts, the stop.
  public var budget: any RequestBudget
  /// The call events; nil polls every interval (`--no-events`).
  public var events: (any CallEventSource)?
  /// The time between full reconciles.
  public var interval: Duration
  /// How many conversations a reconcile acts on at once.
  public var parallelism = 8
  /// How long to wait for a conversation's lock (`--lock-timeout`).
  public var lockTimeout = Reconcile.Execution.defaultLockTimeout
  /// How long to poll for effects to show.
  public var confirmTimeout: Duration = .seconds(15)
  /// Whether the paths are whole directories (only then are leases of policies gone pruned), and
  /// whether an empty set may still prune (`--allow-empty`).
  public var wholePaths = true
  /// Whether an empty policy set may still prune (`--allow-empty`).
  public var allowEmpty = false
  /// The most a revert may be promised before its lease's end (`--revert-slack`).
  public var revertSlack = Lease.defaultRevertSlack
  /// What in-flight work gets after the stop before it is abandoned.
  public var grace: Duration = RunSignal.grace
  /// The policy files, read again before every full reconcile.
  public var reload: @Sendable () -> CompileResult
  /// A fresh run id for each reconcile.
  public var runId: @Sendable () -> String
  /// The applier's events (journal records as they are written, for the webhook and the metrics).
  public var applyEvents: @Sendable (ApplyEvent) -> Void = { _ in }
  /// What the watcher has to say.
  public var notify: @Sendable (WatchNotice) async -> Void = { _ in }
  /// How often the journal is compacted (see `Journal.compact(cutoff:)`); nil: never.
  public var compactEvery: Duration? = .seconds(86_400)
  /// What a compaction keeps: history younger than this.
  public var keep: Duration = JournalCompaction.defaultKeep

  /// A watcher; the optional parts are set as properties.
  public init(
    workspace: String, clock: any RuntimeClock, source: any LiveStateSource, executor: any ApplyExecutor,
    eventExecutor: any ApplyExecutor, journal: any Journal, locker: InProcessLocker,
    budget: any RequestBudget, events: (any CallEventSource)?, interval: Duration,
    reload: @escaping @Sendable () -> CompileResult, runId: @escaping @Sendable () -> String
  ) {
    self.workspace = workspace
    self.clock = clock
    self.source = source
    self.executor = executor
    self.eventExecutor = eventExecutor
    self.journal = journal
    self.locker = locker
    self.budget = budget
    self.events = events
    self.interval = interval
    self.reload = reload
    self.runId = runId
  }

  /// A reconcile of this watcher.
  func reconcile(_ scope: ReconcileScope, _ set: PolicySet, readAt: Double = .infinity) -> Reconcile {
    var r = Reconcile(
      scope, set: set, wholeSet: wholePaths && (!set.policies.isEmpty || allowEmpty), workspace: workspace,
      source: source, clock: clock, journal: journal, run: runId())
    r.policiesReadAt = readAt
    return r
  }

  /// How this watcher's reconciles carry out their changes (`executor`: the event executor for a
  /// reconcile from an event's snapshot, confirmed by the call's next event).
  func execution(_ executor: (any ApplyExecutor)? = nil) -> Reconcile.Execution {
    var e = Reconcile.Execution(executor: executor ?? self.executor, locker: locker, parallelism: parallelism)
    e.lockTimeout = lockTimeout
    e.confirmTimeout = confirmTimeout
    e.events = applyEvents
    e.timing = timing
    e.revertSlack = revertSlack
    return e
  }

  private let timing = ConfirmationTiming()

  /// Runs until `signal` stops it: then nothing new is sent, what is in flight gets `grace`, and it
  /// returns.
  public func run(_ initial: PolicySet, signal: RunSignal) async {
    let budget = self.budget
    let current = CurrentSet(initial)
    let book = TopicBook()
    let dispatcher = EventDispatcher()
    // Gaps in the events and rejected topics ask for a full reconcile at once.
    let kicks = RunSignal()
    signal.onStop { [budget] in
      kicks.stop()
      Task { await budget.close() }
    }
    await withTaskGroup(of: Bool.self) { group in
      // After the stop, what is still in flight gets `grace`; then it is abandoned.
      group.addTask {
        await signal.waitStopped()
        try? await clock.sleep(for: grace)
        return false
      }
      group.addTask {
        await fullReconciles(current: current, book: book, signal: signal, kicks: kicks)
        return true
      }
      if let events {
        group.addTask {
          await follow(
            events, current: current, book: book, dispatcher: dispatcher, signal: signal, kicks: kicks)
          return true
        }
      }
      group.addTask {
        await onTime(current: current, signal: signal)
        return true
      }
      var done = 0
      while let finished = await group.next() {
        if !finished {
          group.cancelAll()  // the grace is over: abandon what is in flight
        } else {
          done += 1
          if done == (events == nil ? 2 : 3) { break }
        }
      }
      group.cancelAll()
    }
  }

  /// The full reconcile, every interval, with the policy files read again each time (a pulled commit
  /// takes effect without a restart; invalid files leave the last valid set in force, since its
  /// leases are promises, and are reported once until they change).
  func fullReconciles(current: CurrentSet, book: TopicBook, signal: RunSignal, kicks: RunSignal) async {
    var failures = 0
    var rejected: [Diagnostic] = []
    var saidReads = false
    var compactAt = clock.now()  // the first full reconcile compacts, then once every compactEvery
    while !signal.stopped {
      if let every = compactEvery, clock.now() >= compactAt {
        compactAt = clock.now() + every.inSeconds
        do {
          await notify(.compacted(try await journal.compact(cutoff: clock.now() - keep.inSeconds)))
        } catch {
          await notify(.failed("compacting the journal: \(error)"))
        }
      }
      var set = await current.set
      let readAt = clock.now()
      let reloaded = reload()
      if let fresh = reloaded.policySet {
        if fresh != set {
          set = fresh
          await current.replace(fresh)
          await notify(.policiesChanged(set.policies.count))
        }
        rejected = []
      } else if reloaded.diagnostics != rejected {
        rejected = reloaded.diagnostics
        await notify(.policiesInvalid(rejected, inForce: set.policies.count))
      }
      var next = clock.now() + interval.inSeconds
      do {
        // With invalid files the set in force is older than the files: prune nothing new.
        // When the budget cannot read every call every interval, read fewer (those with work due,
        // then those read longest ago) rather than starve the changes, and say so once.
        let allowance = await budget.readAllowance(over: interval)
        let calls = Set(Planner.reads(for: set).conversations).count
        let limit = calls > allowance ? allowance : nil
        // With invalid files the set in force is older than the files: prune nothing new.
        let full = reconcile(.full(readLimit: limit), set, readAt: rejected.isEmpty ? readAt : 0)
        if limit != nil, !saidReads {
          saidReads = true
          await notify(
            .readsLimited(allowance: allowance, limit: await budget.limit(), interval: interval, calls: calls)
          )
        }
        let outcome = try await full.run(execution())
        await book.learn(outcome)
        signal.wake()  // the on-time loop learns of the leases this run opened
        await notify(.reconciled(outcome, .full))
        failures = 0
      } catch {
        failures += 1
        await notify(.failed("\(error)"))
        next = min(next, clock.now() + Backoff.watch.delay(attempt: failures))
      }
      // A policy whose window opens before the next interval: reconcile then (calls already under way
      // send no event when it opens).
      if let opens = set.nextWindowStart(after: clock.now()) { next = min(next, opens + 0.5) }
      // Polling where events are unavailable: at least every minute.
      if await book.polling { next = min(next, clock.now() + 60) }
      await kicks.sleep(until: next, on: clock, wakeable: true)
    }
  }

  /// Events: the queues and users the policies name and the users on the calls named by id, kept in
  /// step with what the full reconciles learn. Each call's event is planned alone from its snapshot.
  func follow(
    _ events: any CallEventSource, current: CurrentSet, book: TopicBook, dispatcher: EventDispatcher,
    signal: RunSignal, kicks: RunSignal
  ) async {
    let stream = Task {
      await events.run { event in
        switch event {
        case .call(let call):
          // Planned on a worker of its own: the source's reader never waits for a reconcile.
          await dispatch(
            call.id, .snapshot(call), current: current, book: book, dispatcher: dispatcher, signal: signal)
        case .partial(let cid):
          // Read, not concluded from the body: one read of the call, planned like an event's.
          await dispatch(cid, .read, current: current, book: book, dispatcher: dispatcher, signal: signal)
        case .gap(let why):
          await notify(.gap(why))
          kicks.wake()
        case .rejected(let count, let reason, let missing):
          await notify(.rejected(count: count, reason: reason, missingPermissions: missing))
          await book.setPolling()
          kicks.wake()
        }
      }
    }
    var topics: [WatchTopic] = []
    var overflowing = false
    while !signal.stopped {
      let wanted = await book.topics
      if wanted != topics, !wanted.isEmpty {
        topics = wanted
        let overflow = await events.follow(wanted)
        if overflow > 0, !overflowing {
          await notify(.overflow(overflow))
          await book.setPolling()
        }
        overflowing = overflow > 0
        await notify(.following(wanted.count))
      }
      await signal.sleep(until: clock.now() + 1, on: clock)
    }
    stream.cancel()
  }

  /// An event's work for a call: kept by the dispatcher, and a worker started when the call has none
  /// and a worker is free (at most `EventDispatcher.limit` at once). The worker plans the call, then
  /// its newer work, then the calls that waited for a worker, until none is left.
  func dispatch(
    _ cid: String, _ work: EventDispatcher.Work, current: CurrentSet, book: TopicBook,
    dispatcher: EventDispatcher, signal: RunSignal
  ) async {
    guard await dispatcher.offer(cid, work) else { return }  // a worker takes it
    Task {
      var cid = cid
      while let (next, work) = await dispatcher.next(after: cid) {
        if signal.stopped { break }
        cid = next
        switch work {
        case .snapshot(let call):
          await reconcileCall(
            cid, snapshot: call, current: current, book: book, dispatcher: dispatcher, signal: signal)
        case .read:
          await reconcileCall(
            cid, snapshot: nil, current: current, book: book, dispatcher: dispatcher, signal: signal)
        }
      }
      if signal.stopped { await dispatcher.abandon() }
    }
  }

  /// One call planned alone, from an event's `snapshot` (confirmed by the call's next event) or, without
  /// one, from a read.
  func reconcileCall(
    _ cid: String, snapshot: LiveConversation?, current: CurrentSet, book: TopicBook,
    dispatcher: EventDispatcher, signal: RunSignal
  ) async {
    let set = await current.set
    let r = reconcile(.call(cid, snapshot: snapshot, given: await book.given(for: cid, in: set)), set)
    var e = execution(snapshot == nil ? nil : eventExecutor)
    // A mute the budget cannot promise yet waits on this call's task, up to a window, in line with
    // the others held back (oldest first); a newer event of the call ends the wait and plans again.
    e.admissionWait = await budget.window()
    e.superseded = { await dispatcher.hasNewer($0) }
    do {
      let outcome = try await r.run(e)
      await notify(.reconciled(outcome, .event))
      signal.wake()
    } catch {
      await notify(.failed("\(error)"))
    }
  }

  /// Whether the leases' reverts can go from the call's snapshot: it shows every participant still
  /// muted and connected (then the unmute is due whatever happened since; anything else is read).
  static func revertable(_ leases: [Lease], from snapshot: LiveConversation) -> Bool {
    leases.allSatisfy { lease in
      switch lease.kind {
      case .mute:
        snapshot.participants.contains { $0.id == lease.participant && $0.muted && $0.isConnected }
      case .pauseRecording:
        snapshot.securePause == true && snapshot.isLive
      }
    }
  }

  /// On time: wake when a lease ends (the journal is read again every two seconds, since scheduled
  /// applies open leases too) and reconcile just the conversations whose leases are due, without
  /// waiting for a full reconcile in flight, with the rate budget's reserve. A revert that cannot be
  /// done now is retried with backoff.
  func onTime(current: CurrentSet, signal: RunSignal) async {
    let running = RunningSet()
    var retryAt: [String: Double] = [:]
    var attempts: [String: Int] = [:]
    await withDiscardingTaskGroup { reverts in
      while !signal.stopped {
        let now = clock.now()
        let open: [Lease]
        do {
          // Only the conversations with an open lease are read: an idle watch does no work proportional
          // to the journal every two seconds.
          let slice = try await journal.slice(workspace: workspace, conversations: [], open: true)
          open = JournalState(slice.records, workspace: workspace).leases.filter { $0.status == .open }
        } catch {
          await notify(.failed("\(error)"))
          await signal.sleep(until: now + 2, on: clock)
          continue
        }
        // Ordinary requests leave room in the rate window for the reverts due before it resets: the
        // unmute alone for a call whose current snapshot can be reverted from.
        var cheap = Set<String>()
        if let events {
          for (cid, leases) in Dictionary(grouping: open, by: \.conversation) {
            if let snapshot = await events.current(cid), Self.revertable(leases, from: snapshot) {
              cheap.formUnion(leases.map(\.budgetKey))
            }
          }
        }
        await budget.expectUrgent(
          open.reduce(into: [:]) { due, l in due[l.budgetKey] = min(due[l.budgetKey] ?? l.endsAt, l.endsAt) },
          fromSnapshot: cheap)
        let dueNow = Set(open.filter { $0.endsAt <= now }.map(\.conversation))
        for cid in attempts.keys where !dueNow.contains(cid) {
          attempts[cid] = nil
          retryAt[cid] = nil
        }
        // Each due conversation on its own: one slow revert never holds up another.
        let busy = await running.all
        for cid in dueNow.sorted() where (retryAt[cid] ?? 0) <= now && !busy.contains(cid) {
          attempts[cid, default: 0] += 1
          retryAt[cid] = now + Backoff.watch.delay(attempt: attempts[cid]!)
          await running.insert(cid)
          let set = await current.set
          // At the floor: a call whose latest event (no gap since) shows every participant due still
          // muted and connected is reverted from that snapshot, and confirmed by its next event — the
          // revert costs its unmute alone. A stale snapshot can only make the unmute go out (which is
          // due anyway); a retry reads the call.
          var snapshot: LiveConversation? = nil
          if attempts[cid] == 1, let current = await events?.current(cid),
            Self.revertable(open.filter { $0.conversation == cid && $0.endsAt <= now }, from: current)
          {
            snapshot = current
          }
          let r = reconcile(.dueReverts(cid, snapshot: snapshot), set)
          let e = execution(snapshot == nil ? nil : eventExecutor)
          reverts.addTask {
            do {
              let outcome = try await r.run(e)  // (its scope sends everything as a revert)
              await notify(.reconciled(outcome, .revert))
            } catch {
              await notify(.failed("\(error)"))
            }
            await running.remove(cid)
            signal.wake()
          }
        }
        let upcoming = open.map(\.endsAt).filter { $0 > now }.min() ?? .infinity
        let retry = retryAt.values.filter { $0 > now }.min() ?? .infinity
        await signal.sleep(until: min(upcoming, retry, now + 2), on: clock, wakeable: true)
      }
    }
  }
}
