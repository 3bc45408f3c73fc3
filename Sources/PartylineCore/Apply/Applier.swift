import Foundation
import Synchronization
import WireTime

/// Carries out a plan: actions in order within a conversation (reverts first), conversations in
/// parallel, an intent journalled before each call and its outcome after, every effect confirmed by
/// re-reading the conversation.
public struct Applier: Sendable {
  /// What makes the calls.
  public var executor: any ApplyExecutor
  /// Where intents and outcomes are written; nil writes nothing (a dry run).
  public var journal: (any Journal)?
  /// The workspace the journal records belong to.
  public var workspace: String
  /// The run's id, in every journal record it writes.
  public var run: String
  /// For `apply --plan`: the saved plan's id, in every intent the run journals.
  public var planId: String? = nil
  /// How many conversations are worked on at once (at least 1).
  public var parallelism: Int
  /// How long to poll for effects to show.
  public var confirmTimeout: Duration
  /// The wait before the first confirming read when there is no `timing`; later waits double, up to
  /// 2 s.
  public var pollInterval: Duration
  /// What the applier reads the time from and sleeps on.
  public var clock: any RuntimeClock
  /// Told each outcome as it is journalled and each change's confirmation (not in a dry run).
  public var events: @Sendable (ApplyEvent) -> Void
  /// `--dry-run`: the same path with an executor that only records (nothing to confirm or journal).
  public var dryRun: Bool { executor.recordsOnly }
  /// Runs before a conversation's changes: locks it and checks them under the lock (see
  /// `ConversationGuard`). The lock is released when the conversation's changes are done, so a run
  /// holds a conversation only while it acts on it.
  public var guarding: (any ConversationGuard)?
  /// Shared by the conversations of a run: when the confirming read should come.
  public var timing: ConfirmationTiming? = nil
  /// How long a mute may wait for the rate budget to promise its revert before it is reported as
  /// waiting (apply: two windows; watch: none, its next reconcile or event tries again).
  public var admissionWait: Duration = .zero
  /// Watch on events: whether a newer event of the conversation came. A mute held back stops waiting
  /// for admission then: it would go out on a stale snapshot (the call may have ended), and the newer
  /// event plans the call again at once.
  public var superseded: (@Sendable (String) async -> Bool)? = nil
  /// The most a revert may be promised before its lease's end (`--revert-slack`; see
  /// `Lease.revertSlack`).
  public var revertSlack = Lease.defaultRevertSlack
  /// Whether the run serves reverts due now (watch's on-time loop): its calls go as reverts.
  public var urgent = false

  /// An applier; the optional parts are set as properties.
  public init(
    executor: any ApplyExecutor, journal: (any Journal)?, workspace: String, run: String,
    parallelism: Int = 8,
    confirmTimeout: Duration = .seconds(15), pollInterval: Duration = .milliseconds(250),
    clock: any RuntimeClock,
    events: @escaping @Sendable (ApplyEvent) -> Void = { _ in }
  ) {
    self.executor = executor
    self.journal = journal
    self.workspace = workspace
    self.run = run
    self.parallelism = max(1, parallelism)
    self.confirmTimeout = confirmTimeout
    self.pollInterval = pollInterval
    self.clock = clock
    self.events = events
  }

  func now() -> Double { clock.now() }

  /// Carries out the plan's unblocked changes and reports every change, blocked ones included. It
  /// never throws: what failed is in the report.
  public func apply(_ plan: Plan) async -> ApplyReport {
    var report = ApplyReport()
    var groups: [ConversationId: [PlannedChange]] = [:]
    var order: [ConversationId] = []
    for c in plan.changes where c.isChange {
      if c.blocked != nil {
        report.items.append(.init(change: c, result: .blocked, detail: c.blocked))
        if c.isStuck && !dryRun { events(.stuck(c)) }
        continue
      }
      if groups[c.conversation] == nil { order.append(c.conversation) }
      groups[c.conversation, default: []].append(c)
    }
    let batch = AdmissionBatch(groups.values.reduce(0) { $0 + $1.count { $0.effect.opensLease } })
    let work = order.map { cid in
      (
        cid,
        groups[cid]!.enumerated().sorted {
          ($0.element.action.applyOrder, $0.offset) < ($1.element.action.applyOrder, $1.offset)
        }.map(\.element)
      )
    }
    await withTaskGroup(of: (items: [ApplyReport.Item], lockFailure: (ConversationId, String)?).self) {
      group in
      var next = 0
      func start() {
        guard next < work.count else { return }
        let (cid, changes) = work[next]
        next += 1
        group.addTask { await self.prepareAndApply(cid, changes, batch: batch) }
      }
      for _ in 0..<min(parallelism, work.count) { start() }
      while let done = await group.next() {
        report.items.append(contentsOf: done.items)
        if let (cid, reason) = done.lockFailure { report.lockFailures[cid.rawValue] = reason }
        start()
      }
    }
    return report
  }

  func prepareAndApply(_ cid: ConversationId, _ planned: [PlannedChange], batch: AdmissionBatch) async -> (
    items: [ApplyReport.Item], lockFailure: (ConversationId, String)?
  ) {
    guard let guarding else { return (await applyConversation(cid, planned, batch: batch), nil) }
    let prepared: PreparedConversation
    do { prepared = try await guarding.prepare(cid.rawValue, planned) } catch {
      batch.leave(planned.count { $0.effect.opensLease })
      return ([], (cid, "\(error)"))
    }
    var items: [ApplyReport.Item] = []
    var due: [PlannedChange] = []
    for c in prepared.changes where c.isChange {
      if c.blocked != nil {
        items.append(.init(change: c, result: .blocked, detail: c.blocked))
        if c.isStuck && !dryRun { events(.stuck(c)) }
      } else {
        due.append(c)
      }
    }
    due = due.enumerated().sorted {
      ($0.element.action.applyOrder, $0.offset) < ($1.element.action.applyOrder, $1.offset)
    }.map(\.element)
    // The lock's second look may have changed the conversation's changes: the batch counts them again.
    batch.leave(planned.count { $0.effect.opensLease } - due.count { $0.effect.opensLease })
    if !due.isEmpty { items += await applyConversation(cid, due, batch: batch) }
    await prepared.lock?.release()
    return (items, nil)
  }

  /// The change's slot of the rate budget, taken before its intent is journalled.
  func reserve(for action: PlannedChange.Action) async throws -> (any Sendable)? {
    let executor = self.executor
    return try await executor.reserve(for: CallContext(.change(action), urgent: urgent))
  }

  /// A change's ids, checked once before anything is journalled or sent (its participant is checked
  /// in its effect already).
  struct CheckedIds {
    var conversation: ConversationId
    /// nil for a change made without one (the recording's pause).
    var actingUser: UserId?

    /// nil when an id the change's call would carry is not a UUID (an add's user included).
    init?(_ c: PlannedChange, actingUser: String?) {
      if let actingUser {
        guard let acting = UserId(actingUser) else { return nil }
        self.actingUser = acting
      }
      if case .add(.user(let ref), _) = c.effect, UserId("\(ref)") == nil { return nil }
      conversation = c.conversation
    }
  }

  /// Makes one change's call with the budget's slot reserved for it; nil for a no-op. A mute that
  /// waited (for the rate budget) until its lease is nearly over is not sent.
  func send(
    _ c: PlannedChange, ids: CheckedIds, leaseEnd: Double?, _ reservation: (any Sendable)?
  ) async throws -> CallResult? {
    let executor = self.executor
    let notAfter = c.effect.opensLease ? (leaseEnd ?? .infinity) - PlanRun.windowMargin.inSeconds : nil
    return try await executor.perform(
      c.effect, on: ids.conversation, actingAs: ids.actingUser,
      context: CallContext(.change(c.action), urgent: urgent, notAfter: notAfter, reservation: reservation))
  }

  func applyConversation(_ conversation: ConversationId, _ changes: [PlannedChange], batch: AdmissionBatch)
    async
    -> [ApplyReport.Item]
  {
    var items: [ApplyReport.Item] = []
    var sent: [PlannedChange] = []
    var unknownAdds: [PlannedChange] = []
    // The batch's mutes of this conversation that never ask (not sent, or the run stopped) leave it.
    var asked = 0
    defer { batch.leave(changes.count { $0.effect.opensLease } - asked) }
    for (n, planned) in changes.enumerated() {
      var c = planned
      let acting = c.actingUser
      if acting == nil && c.effect.needsActingUser {
        items.append(.init(change: c, result: .blocked, detail: "no acting user"))
        continue
      }
      // Ids are checked before anything is journalled or sent: the calls take only checked ids.
      guard let ids = CheckedIds(c, actingUser: acting) else {
        items.append(
          .init(change: c, result: .blocked, detail: "an id of this change is not a UUID: not sent"))
        continue
      }
      let id = "\(run)-\(conversation)-\(n)"
      let promised: Double?
      if c.effect.opensLease { asked += 1 }
      switch await admit(c, batch: batch) {
      case .success(let end):
        promised = end?.at
        // Promised early: the lease ends then (`for` is an upper bound).
        if let end { c = c.endingEarly(by: end.lease - end.at) }
      case .failure(let held):
        items.append(held.item)
        if held.dropped, !dryRun { await journalDropped(c, id: id, why: held.item.detail ?? "dropped") }
        continue
      }
      var reservation: (any Sendable)? = nil
      if !dryRun, c.action != .noop {
        do {
          reservation = try await reserve(for: c.action)
        } catch CallFailure.notSent(let message) {
          // Stopping before anything was journalled or sent: nothing after it in this conversation goes.
          items.append(.init(change: c, result: .failed, detail: message))
          break
        } catch {
          reservation = nil  // the call asks the budget itself
        }
      }
      let started = now()
      if let promised, c.dueAt == nil {
        // The slot took a while: the promise moves with the lease's end.
        let end = started + Double(c.duration?.seconds ?? 0)
        if end - promised > 1 { await executor.movePromise(c.budgetKey, from: promised, to: end) }
      }
      let intent = JournalRecord(
        intent: c, id: id, at: started, workspace: workspace, run: run, plan: planId, actingUser: acting)
      do {
        try await journal?.append([intent])
      } catch {
        await executor.refund(reservation)
        items.append(.init(change: c, result: .failed, detail: "cannot write the journal: \(error)"))
        break  // never act without a journal record
      }
      var outcome = intent
      outcome.kind = .outcome
      do {
        let result = try await send(c, ids: ids, leaseEnd: intent.leaseEnds, reservation)
        guard let result else { continue }
        outcome.status = .ok
        outcome.httpStatus = result.status
        outcome.correlationId = result.correlationId
        outcome.latencyMs = Int(result.latency.inSeconds * 1000)
        sent.append(c)
        if !dryRun { events(.sent(c, at: started)) }
      } catch CallFailure.refused(let status, let message, let correlationId) {
        outcome.status = .failed
        outcome.httpStatus = status
        outcome.correlationId = correlationId
        outcome.error = message
        items.append(.init(change: c, result: .failed, detail: message))
      } catch CallFailure.notSent(let message) {
        // Stopping: this call never left, and nothing after it in this conversation will.
        outcome.status = .failed
        outcome.error = message
        items.append(.init(change: c, result: .failed, detail: message))
        outcome.at = now()
        try? await journal?.append([outcome])
        break
      } catch {
        outcome.status = .unknown
        outcome.error = "\(error)"
        if c.action == .add {
          unknownAdds.append(c)  // never re-sent blindly: the re-read below decides
        } else {
          sent.append(c)  // a mute is idempotent; the re-read confirms it or not
        }
      }
      outcome.at = now()
      if outcome.latencyMs == nil { outcome.latencyMs = Int((outcome.at - started) * 1000) }
      try? await journal?.append([outcome])
      if !dryRun { events(.outcome(outcome)) }
    }
    guard !(sent + unknownAdds).isEmpty else { return items }
    return items + (await confirm(sent: sent, unknownAdds: unknownAdds, in: conversation))
  }

  /// A mute the rate budget cannot promise to revert, held back.
  struct HeldBack: Error {
    var item: ApplyReport.Item
    /// Held back until its fixed window passed (`from: connect`): dropped for good, never sent late,
    /// and journalled so (an intent and its failed outcome: a reader of any version skips it).
    var dropped = false

    /// The change reported as waiting, and why.
    init(_ c: PlannedChange, _ why: String, dropped: Bool = false) {
      item = .init(change: c, result: .waiting, detail: why)
      self.dropped = dropped
    }
  }

  /// Journals a mute dropped unsent (its window passed while it was held back): its intent and a
  /// failed outcome saying why, so the journal, the metrics and the webhook count it, and no lease is
  /// read from it. A journal that cannot be written loses only this note: nothing was sent.
  func journalDropped(_ c: PlannedChange, id: String, why: String) async {
    let at = now()
    let intent = JournalRecord(
      intent: c, id: id, at: at, workspace: workspace, run: run, plan: planId, actingUser: c.actingUser)
    var outcome = intent
    outcome.kind = .outcome
    outcome.status = .failed
    outcome.error = "not sent: \(why)"
    outcome.latencyMs = 0
    do {
      try await journal?.append([intent, outcome])
      events(.outcome(outcome))
    } catch {}
  }

  /// Admission first: a mute whose revert the budget cannot promise now may be promised a little
  /// later (its lease then ends in a later window); it waits for that up to `admissionWait`. Returns
  /// the lease's end and the instant its revert was promised for, at most the slack before it (nil
  /// for changes that open no lease, and in a dry run).
  func admit(_ c: PlannedChange, batch: AdmissionBatch) async -> Result<
    (lease: Double, at: Double)?, HeldBack
  > {
    guard c.effect.opensLease else { return .success(nil) }
    defer { batch.leave(1) }
    guard !dryRun else { return .success(nil) }
    let giveUp = now() + admissionWait.inSeconds
    var end = c.dueAt ?? now() + Double(c.duration?.seconds ?? 0)
    let slack = { [revertSlack] in Lease.revertSlack(forLease: .between(self.now(), end), limit: revertSlack)
    }
    var admitted = await executor.admit(c.budgetKey, leaseEnd: end, slack: slack(), behind: batch.behind)
    // A lease with a fixed end (`from: connect`, a drift re-mute) waits as long as its window lasts.
    while admitted == nil, now() < min(giveUp, (c.dueAt ?? .infinity) - PlanRun.windowMargin.inSeconds),
      !Task.isCancelled
    {
      try? await clock.sleep(for: .seconds(1))
      if await superseded?(c.conversation.rawValue) == true {
        return .failure(
          HeldBack(
            c, "held back, then dropped: a newer event of the call came while it waited and plans it again"))
      }
      if let due = c.dueAt, now() >= due - PlanRun.windowMargin.inSeconds { break }
      end = c.dueAt ?? now() + Double(c.duration?.seconds ?? 0)
      admitted = await executor.admit(c.budgetKey, leaseEnd: end, slack: slack(), behind: batch.behind)
    }
    guard let admitted else {
      if let due = c.dueAt, now() >= due - PlanRun.windowMargin.inSeconds {
        return .failure(
          HeldBack(
            c,
            "held back until its window passed (it ends \(Timestamp.iso8601(due, milliseconds: false))): dropped, never sent late",
            dropped: true))
      }
      return .failure(
        HeldBack(
          c,
          "held back: the rate budget cannot promise its revert at \(Timestamp.iso8601(end, milliseconds: false)); a later run mutes it"
        ))
    }
    return .success((end, admitted))
  }

  /// Confirms the changes sent (and the adds whose outcome is unknown) by re-reading the
  /// conversation.
  func confirm(sent: [PlannedChange], unknownAdds: [PlannedChange], in conversation: ConversationId) async
    -> [ApplyReport.Item]
  {
    var items: [ApplyReport.Item] = []
    let pending = sent + unknownAdds
    if dryRun { return pending.map { .init(change: $0, result: .dryRun, detail: nil) } }
    // Confirm by re-reading the conversation: one read per round, polling briefly. The API accepts a
    // change (202) before it makes it, so the first read waits one interval; later ones wait twice as
    // long each time, up to 2 s, and the polling stops once nothing pending can still show (the
    // participant left, the call ended): every read spends the rate budget that reverts need.
    let answered = now()
    let deadline = answered + confirmTimeout.inSeconds
    var confirmed = Set<Int>()
    var moot = Set<Int>()
    var interval = await timing?.estimate ?? pollInterval
    var reads = 0
    // The waits chosen here, without the time a read waited for the rate budget: that wait says
    // nothing of when the change shows, and learned from, it made every later read wait 2 s.
    var slept = Duration.zero
    let executor = self.executor
    while !Task.isCancelled {
      let wake = min(now() + interval.inSeconds, deadline)
      slept += .between(now(), wake)
      try? await clock.sleep(until: wake)
      interval = min(max(interval, pollInterval) * 2, .seconds(2))
      reads += 1
      let read: LiveConversation?
      do {
        read = try await executor.read(
          conversation: conversation, context: CallContext(.confirmation, urgent: urgent))
      } catch CallFailure.notSent {
        break  // stopping: no more reads; what is unconfirmed is reported so
      } catch {
        read = nil
      }
      if let conv = read {
        for (i, c) in pending.enumerated() where !confirmed.contains(i) {
          if c.effect.isVisible(in: conv) {
            confirmed.insert(i)
          } else if !c.effect.canStillShow(in: conv) {
            moot.insert(i)
          }
        }
      }
      if confirmed.count + moot.count == pending.count || now() >= deadline { break }
    }
    if let timing, !confirmed.isEmpty {
      if reads == 1 {
        await timing.seenFirst(after: slept)
      } else {
        await timing.missedFirst(after: slept)
      }
    }
    for (i, c) in pending.enumerated() {
      let ok = confirmed.contains(i)
      let isUnknownAdd = i >= sent.count
      let detail: String? =
        ok
        ? nil
        : isUnknownAdd
          ? "outcome unknown and not seen on a re-read"
          : moot.contains(i)
            ? "not seen on a re-read: the participant left or the call ended"
            : "not seen on a re-read within \(Int(confirmTimeout.inSeconds))s"
      items.append(
        .init(change: c, result: ok ? .confirmed : (isUnknownAdd ? .unknown : .unconfirmed), detail: detail))
      events(.confirmed(c, ok))
    }
    return items
  }
}

/// The mutes of one `apply` of a plan still to ask for admission: the budget spreads the reverts of
/// a burst it knows is coming (`ApplyExecutor.admit`'s `behind`).
final class AdmissionBatch: Sendable {
  private let left: Mutex<Int>
  init(_ count: Int) { left = Mutex(count) }
  /// How many besides the one asking now.
  var behind: Int { left.withLock { max(0, $0 - 1) } }
  /// `n` asked (or will not ask).
  func leave(_ n: Int) { left.withLock { $0 = max(0, $0 - n) } }
}
