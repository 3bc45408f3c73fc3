import Foundation
public import WireTime

/// What happened to a call: the API answered (status, correlation id, latency) or it did not.
public struct CallResult: Sendable {
  public var status: Int
  public var correlationId: String?
  public var latency: Double

  public init(status: Int, correlationId: String?, latency: Double) {
    self.status = status
    self.correlationId = correlationId
    self.latency = latency
  }
}

public enum CallFailure: Error, Sendable {
  /// The API refused the call: it did not take effect.
  case refused(status: Int, message: String, correlationId: String?)
  /// No answer: it may or may not have taken effect.
  case unknown(String)
  /// Never sent (the run is stopping): it did not take effect.
  case notSent(String)
}

/// What the applier's calls are for, so an executor can give them their priority (reverts first,
/// then changes, then the reads that confirm them).
public enum CallPurpose: Sendable, Equatable {
  case change(PlannedChange.Action)
  case confirmation
}

/// The purpose of the call a task is making, set by the applier around each call.
public enum ApplyContext {
  @TaskLocal public static var purpose: CallPurpose? = nil
  /// For a mute: the call must not leave after this time (its lease would be over before it
  /// starts); an executor that cannot send it by then does not send it (`CallFailure.notSent`).
  @TaskLocal public static var notAfter: Double? = nil
  /// The slot `ApplyExecutor.reserve` took for the call being made.
  @TaskLocal public static var reservation: (any Sendable)? = nil
}

/// How long after its 202 a change tends to show on a re-read, learned over a run, so that the one
/// confirming read per conversation comes when the change is likely visible.
public actor ConfirmationTiming {
  public private(set) var estimate: Double
  let floor: Double

  public init(initial: Double = 0.25, floor: Double = 0.05) {
    estimate = initial
    self.floor = floor
  }

  /// The change was seen on the first read, `after` seconds from the last change's answer.
  func seenFirst(after: Double) { estimate = max(floor, min(2, 0.8 * estimate + 0.2 * after)) }

  /// The first read came too early (it was seen `after` seconds from the answer, on a later read).
  func missedFirst(after: Double) { estimate = max(floor, min(2, max(estimate * 1.25, 0.9 * after))) }
}

/// The side effects the applier needs: Genesys Cloud, or a recorder for `--dry-run`.
public protocol ApplyExecutor: Sendable {
  func setMuted(_ muted: Bool, conversation: String, participant: String, actingUser: String) async throws
    -> CallResult
  func add(_ target: AddTarget, conversation: String, actingUser: String) async throws -> CallResult
  /// Re-reads a conversation to confirm effects.
  func read(conversation: String) async throws -> LiveConversation?
  /// Whether the revert of a mute whose lease ends at `leaseEnd` can be served when it falls due (the
  /// rate budget's promise). A mute that is not admitted is held back and reported as waiting.
  func admit(leaseEnd: Double) async -> Bool
  /// A promised revert's end moved later (the mute left later than promised).
  func movePromise(from: Double, to: Double) async
  /// Takes the call's slot of the rate budget before it is journalled (the call made next, under
  /// `ApplyContext.reservation`, spends it), so a lease is timed from when its mute can leave, not
  /// from before a wait. Throws `CallFailure.notSent` when the run is stopping.
  func reserve() async throws -> (any Sendable)?
  /// Gives back a slot that was not spent.
  func refund(_ reservation: (any Sendable)?) async
}

extension ApplyExecutor {
  public func admit(leaseEnd: Double) async -> Bool { true }
  public func movePromise(from: Double, to: Double) async {}
  public func reserve() async throws -> (any Sendable)? { nil }
  public func refund(_ reservation: (any Sendable)?) async {}
}

/// Locks a conversation for the time a run acts on it.
public protocol ConversationLocker: Sendable {
  func lock(_ conversation: String) async throws -> any ConversationLock
}

public protocol ConversationLock: Sendable {
  func release() async
}

/// A conversation made ready to act on: the changes still due once it is locked, and its lock.
public struct PreparedConversation: Sendable {
  public var changes: [PlannedChange]
  public var lock: (any ConversationLock)?

  public init(changes: [PlannedChange], lock: (any ConversationLock)?) {
    self.changes = changes
    self.lock = lock
  }
}

/// The applier's account of a run.
public struct ApplyReport: Sendable {
  public struct Item: Sendable {
    public enum Result: String, Sendable {
      case confirmed, unconfirmed, failed, unknown, blocked, dryRun = "dry-run"
      /// A mute held back: the rate budget could not promise its revert when the lease ends.
      case waiting
    }
    public var change: PlannedChange
    public var result: Result
    public var detail: String?

    /// One change's result.
    public init(change: PlannedChange, result: Result, detail: String?) {
      self.change = change
      self.result = result
      self.detail = detail
    }
  }

  /// An empty account.
  public init() {}

  public var items: [Item] = []
  /// Conversations that could not be locked, with the reason.
  public var lockFailures: [String: String] = [:]

  public var ok: Bool {
    lockFailures.isEmpty && items.allSatisfy { $0.result == .confirmed || $0.result == .dryRun }
  }

  public func count(_ r: Item.Result) -> Int { items.filter { $0.result == r }.count }
}

/// Events for progress, webhooks and metrics.
public enum ApplyEvent: Sendable {
  case outcome(JournalRecord)
  case confirmed(PlannedChange, Bool)
}

/// Carries out a plan: actions in order within a conversation (reverts first), conversations in
/// parallel, an intent journalled before each call and its outcome after, every effect confirmed by
/// re-reading the conversation.
public struct Applier: Sendable {
  public var executor: any ApplyExecutor
  public var journal: (any Journal)?
  public var workspace: String
  public var run: String
  public var parallelism: Int
  /// How long to poll for effects to show.
  public var confirmTimeout: Double
  public var pollInterval: Double
  /// What the applier reads the time from and sleeps on.
  public var clock: any RuntimeClock
  public var events: @Sendable (ApplyEvent) -> Void
  /// `--dry-run`: the same path, with an executor that records; nothing to confirm.
  public var dryRun = false
  /// Runs before a conversation's changes: locks it and re-plans it under the lock (another run may
  /// have acted since the plan was made). A throw leaves the conversation alone and is reported in
  /// `lockFailures`. The lock is released when the conversation's changes are done, so a run holds a
  /// conversation only while it acts on it.
  public var prepare: (@Sendable (String, [PlannedChange]) async throws -> PreparedConversation)?
  /// Shared by the conversations of a run: when the confirming read should come.
  public var timing: ConfirmationTiming? = nil
  /// How long a mute may wait for the rate budget to promise its revert before it is reported as
  /// waiting (apply: two windows; watch: none, its next reconcile or event tries again).
  public var admissionWait: Double = 0

  public init(
    executor: any ApplyExecutor, journal: (any Journal)?, workspace: String, run: String,
    parallelism: Int = 8,
    confirmTimeout: Double = 15, pollInterval: Double = 0.25,
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

  static func order(_ a: PlannedChange.Action) -> Int {
    switch a {
    case .revert, .prune: return 0
    case .unmute: return 1
    case .mute: return 2
    case .add: return 3
    case .noop: return 4
    }
  }

  public func apply(_ plan: Plan) async -> ApplyReport {
    var report = ApplyReport()
    var groups: [String: [PlannedChange]] = [:]
    var order: [String] = []
    for c in plan.changes where c.isChange {
      if c.blocked != nil {
        report.items.append(.init(change: c, result: .blocked, detail: c.blocked))
        continue
      }
      if groups[c.conversation] == nil { order.append(c.conversation) }
      groups[c.conversation, default: []].append(c)
    }
    let work = order.map { cid in
      (
        cid,
        groups[cid]!.enumerated().sorted {
          (Self.order($0.element.action), $0.offset) < (Self.order($1.element.action), $1.offset)
        }.map(\.element)
      )
    }
    await withTaskGroup(of: (items: [ApplyReport.Item], lockFailure: (String, String)?).self) { group in
      var next = 0
      func start() {
        guard next < work.count else { return }
        let (cid, changes) = work[next]
        next += 1
        group.addTask { await self.prepareAndApply(cid, changes) }
      }
      for _ in 0..<min(parallelism, work.count) { start() }
      while let done = await group.next() {
        report.items.append(contentsOf: done.items)
        if let (cid, reason) = done.lockFailure { report.lockFailures[cid] = reason }
        start()
      }
    }
    return report
  }

  func prepareAndApply(_ cid: String, _ planned: [PlannedChange]) async -> (
    items: [ApplyReport.Item], lockFailure: (String, String)?
  ) {
    guard let prepare else { return (await applyConversation(cid, planned), nil) }
    let prepared: PreparedConversation
    do { prepared = try await prepare(cid, planned) } catch { return ([], (cid, "\(error)")) }
    var items: [ApplyReport.Item] = []
    var due: [PlannedChange] = []
    for c in prepared.changes where c.isChange {
      if c.blocked != nil {
        items.append(.init(change: c, result: .blocked, detail: c.blocked))
      } else {
        due.append(c)
      }
    }
    due = due.enumerated().sorted {
      (Self.order($0.element.action), $0.offset) < (Self.order($1.element.action), $1.offset)
    }.map(\.element)
    if !due.isEmpty { items += await applyConversation(cid, due) }
    await prepared.lock?.release()
    return (items, nil)
  }

  /// The change's slot of the rate budget, taken before its intent is journalled.
  func reserve(for action: PlannedChange.Action) async throws -> (any Sendable)? {
    let executor = self.executor
    return try await ApplyContext.$purpose.withValue(.change(action)) { try await executor.reserve() }
  }

  /// Makes one change's call; nil for a no-op.
  func send(
    _ c: PlannedChange, cid: String, acting: String, leaseEnd: Double?, _ reservation: (any Sendable)?
  ) async throws -> CallResult? {
    let executor = self.executor
    return try await ApplyContext.$reservation.withValue(reservation) {
      try await send(c, cid: cid, acting: acting, leaseEnd: leaseEnd, executor)
    }
  }

  func send(
    _ c: PlannedChange, cid: String, acting: String, leaseEnd: Double?, _ executor: any ApplyExecutor
  ) async throws -> CallResult? {
    try await ApplyContext.$purpose.withValue(.change(c.action)) {
      switch c.action {
      case .mute:
        // A mute that waited (for the rate budget) until its lease is nearly over is not sent.
        return try await ApplyContext.$notAfter.withValue((leaseEnd ?? .infinity) - 1) {
          try await executor.setMuted(
            true, conversation: cid, participant: c.participant!, actingUser: acting)
        }
      case .unmute, .revert, .prune:
        return try await executor.setMuted(
          false, conversation: cid, participant: c.participant!, actingUser: acting)
      case .add:
        return try await executor.add(c.addTarget!, conversation: cid, actingUser: acting)
      case .noop:
        return nil
      }
    }
  }

  func applyConversation(_ cid: String, _ changes: [PlannedChange]) async -> [ApplyReport.Item] {
    var items: [ApplyReport.Item] = []
    var sent: [PlannedChange] = []
    var unknownAdds: [PlannedChange] = []
    for (n, c) in changes.enumerated() {
      guard let acting = c.actingUser else {
        items.append(.init(change: c, result: .blocked, detail: "no acting user"))
        continue
      }
      let id = "\(run)-\(cid)-\(n)"
      // Admission first: a mute whose revert the budget cannot promise now may be promised a little
      // later (its lease then ends in a later window); wait for that up to `admissionWait`.
      var promised: Double? = nil
      if c.action == .mute, !dryRun {
        let giveUp = now() + admissionWait
        var end = c.dueAt ?? now() + Double(c.duration?.seconds ?? 0)
        var admitted = await executor.admit(leaseEnd: end)
        while !admitted, now() < giveUp, !Task.isCancelled, c.dueAt == nil {
          try? await clock.sleep(for: 1)
          end = now() + Double(c.duration?.seconds ?? 0)
          admitted = await executor.admit(leaseEnd: end)
        }
        guard admitted else {
          items.append(
            .init(
              change: c, result: .waiting,
              detail:
                "held back: the rate budget cannot promise its revert at \(Timestamp.iso8601(end, milliseconds: false)); a later run mutes it"
            ))
          continue
        }
        promised = end
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
        if end - promised > 1 { await executor.movePromise(from: promised, to: end) }
      }
      var target: (String?, String?) = (nil, nil)
      if case .user(let ref)? = c.addTarget { target.0 = "\(ref)" }
      if case .address(let a)? = c.addTarget { target.1 = a }
      let intent = JournalRecord(
        kind: .intent, id: id, at: started, workspace: workspace, run: run, action: c.action,
        conversation: cid,
        participant: c.participant, policy: c.policy, directive: c.directive, role: c.role, userId: target.0,
        address: target.1, actingUser: acting, reason: c.reason,
        leaseEnds: c.action == .mute ? (c.dueAt ?? started + Double(c.duration?.seconds ?? 0)) : nil)
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
        let result = try await send(c, cid: cid, acting: acting, leaseEnd: intent.leaseEnds, reservation)
        guard let result else { continue }
        outcome.status = .ok
        outcome.httpStatus = result.status
        outcome.correlationId = result.correlationId
        outcome.latencyMs = Int(result.latency * 1000)
        sent.append(c)
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
    // Confirm by re-reading the conversation: one read per round, polling briefly. The API accepts a
    // change (202) before it makes it, so the first read waits one interval; later ones wait twice as
    // long each time, up to 2 s, and the polling stops once nothing pending can still show (the
    // participant left, the call ended): every read spends the rate budget that reverts need.
    let pending = sent + unknownAdds
    if pending.isEmpty { return items }
    if dryRun { return items + pending.map { .init(change: $0, result: .dryRun, detail: nil) } }
    let answered = now()
    let deadline = answered + confirmTimeout
    var confirmed = Set<Int>()
    var moot = Set<Int>()
    var interval = await timing?.estimate ?? pollInterval
    var reads = 0
    let executor = self.executor
    while !Task.isCancelled {
      try? await clock.sleep(until: min(now() + interval, deadline))
      interval = min(max(interval, pollInterval) * 2, 2)
      reads += 1
      let read: LiveConversation?
      do {
        read = try await ApplyContext.$purpose.withValue(.confirmation) {
          try await executor.read(conversation: cid)
        }
      } catch CallFailure.notSent {
        break  // stopping: no more reads; what is unconfirmed is reported so
      } catch {
        read = nil
      }
      if let conv = read {
        for (i, c) in pending.enumerated() where !confirmed.contains(i) {
          if Self.effectVisible(c, in: conv) {
            confirmed.insert(i)
          } else if !Self.canStillShow(c, in: conv) {
            moot.insert(i)
          }
        }
      }
      if confirmed.count + moot.count == pending.count || now() >= deadline { break }
    }
    if let timing, !confirmed.isEmpty {
      if reads == 1 {
        await timing.seenFirst(after: now() - answered)
      } else {
        await timing.missedFirst(after: now() - answered)
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
            : "not seen on a re-read within \(Int(confirmTimeout))s"
      items.append(
        .init(change: c, result: ok ? .confirmed : (isUnknownAdd ? .unknown : .unconfirmed), detail: detail))
      events(.confirmed(c, ok))
    }
    return items
  }

  /// Whether a change not yet visible still can be: a mute needs its participant still there, an add
  /// a call still going.
  static func canStillShow(_ c: PlannedChange, in conv: LiveConversation) -> Bool {
    guard conv.status == .found, conv.isLive else { return false }
    switch c.action {
    case .mute:
      return conv.participants.contains { $0.id == c.participant && !$0.hasLeft }
    default:
      return true
    }
  }

  /// Whether a re-read shows the change: muted as asked, or the added party present.
  public static func effectVisible(_ c: PlannedChange, in conv: LiveConversation) -> Bool {
    switch c.action {
    case .mute:
      return conv.participants.contains { $0.id == c.participant && $0.muted }
    case .unmute, .revert, .prune:
      return conv.participants.contains { $0.id == c.participant && (!$0.muted || $0.hasLeft) }
    case .add:
      switch c.addTarget {
      case .user(let ref)?:
        return conv.participants.contains { $0.userId == "\(ref)" && !$0.hasLeft }
      case .address(let a)?:
        return conv.participants.contains { $0.hasNumber(a) && !$0.hasLeft }
      case nil: return false
      }
    case .noop: return true
    }
  }
}
