import WireTime
import YAMLReader

/// One reconcile of a scope: read the journal and the live state the scope needs, plan (or, for a
/// saved plan, check), and — given an `Execution` — lock each conversation while acting on it and carry
/// the changes out. `plan` plans only; `apply`, `apply --plan` and `watch` run.
public struct Reconcile: Sendable {
  /// What the reconcile covers.
  public var scope: ReconcileScope
  /// The policy set, select policies unbound.
  public var set: PolicySet
  /// Whether the set is every policy (only then, and only in a full scope, are leases of policies gone
  /// pruned).
  public var wholeSet: Bool
  /// The workspace whose leases the run plans and journals.
  public var workspace: String
  /// Where the live state is read from.
  public var source: any LiveStateSource
  /// What the run reads the time from and sleeps on.
  public var clock: any RuntimeClock
  /// Where leases are read from and records written; nil: no leases, nothing journalled.
  public var journal: (any Journal)?
  /// The run's id, in every journal record it writes.
  public var run: String
  /// When the policy files were read (see `Planner.policiesReadAt`).
  public var policiesReadAt: Double = .infinity

  /// A reconcile of `scope`; `policiesReadAt` is set as a property.
  public init(
    _ scope: ReconcileScope, set: PolicySet, wholeSet: Bool, workspace: String, source: any LiveStateSource,
    clock: any RuntimeClock, journal: (any Journal)?, run: String
  ) {
    self.scope = scope
    self.set = set
    self.wholeSet = wholeSet
    self.workspace = workspace
    self.source = source
    self.clock = clock
    self.journal = journal
    self.run = run
  }

  /// How a reconcile's changes are carried out.
  public struct Execution: Sendable {
    /// What carries the changes out (the API, or a dry run's recorder: then nothing is locked or
    /// journalled).
    public var executor: any ApplyExecutor
    /// Locks each conversation while the run acts on it; nil: no locks.
    public var locker: (any ConversationLocker)?
    /// How many conversations are acted on at once.
    public var parallelism: Int
    /// How long to wait for a conversation's lock (`--lock-timeout`).
    public var lockTimeout = Self.defaultLockTimeout
    /// The default `--lock-timeout`.
    public static let defaultLockTimeout: Duration = .seconds(30)
    /// How long to poll for effects to show (see `Applier.confirmTimeout`).
    public var confirmTimeout: Duration = .seconds(15)
    /// The applier's events (see `Applier.events`).
    public var events: @Sendable (ApplyEvent) -> Void = { _ in }
    /// When the confirming read should come, learned over the run (shared by watch's runs).
    public var timing: ConfirmationTiming? = nil
    /// How long a mute may wait for admission (see `Applier.admissionWait`).
    public var admissionWait: Duration = .zero
    /// The most a revert may be promised before its lease's end (see `Applier.revertSlack`).
    public var revertSlack = Lease.defaultRevertSlack
    /// Whether a newer event of the conversation came (see `Applier.superseded`).
    public var superseded: (@Sendable (String) async -> Bool)? = nil

    /// An execution; the optional parts are set as properties.
    public init(executor: any ApplyExecutor, locker: (any ConversationLocker)?, parallelism: Int) {
      self.executor = executor
      self.locker = locker
      self.parallelism = parallelism
    }

    /// `--dry-run`: the executor only records.
    public var dryRun: Bool { executor.recordsOnly }
  }

  /// What a reconcile saw and did.
  public struct Outcome: Sendable {
    /// The plan made.
    public var plan: Plan
    /// nil when nothing was applied (no changes, errors, or refused).
    public var report: ApplyReport?
    /// What the run read and how its select policies were bound (watch keeps its topics from it).
    public var live = LiveState()
    /// The set as planned, its select policies bound to the calls found.
    public var set: PolicySet? = nil
    /// The discovery done (see `LiveRead.discovery`).
    public var discovery = DiscoveredCalls()

    /// An outcome.
    public init(
      plan: Plan, report: ApplyReport?, live: LiveState = LiveState(), set: PolicySet? = nil,
      discovery: DiscoveredCalls = DiscoveredCalls()
    ) {
      self.plan = plan
      self.report = report
      self.live = live
      self.set = set
      self.discovery = discovery
    }
  }

  /// What the planning step found: the plan, the read it was made from, and the journal's records of
  /// the conversations concerned with their counts (a conversation whose count differs under its lock
  /// was acted on since).
  public struct Planned: Sendable {
    /// The plan (for a saved scope: its changes, checked).
    public var plan: Plan
    /// What was read and how the select policies were bound.
    public var read: LiveRead
    /// The journal's records of the conversations concerned.
    public var slice: JournalSlice
  }

  /// The planning step: read what the scope, the set and the open leases need, bind the select
  /// policies, and plan against the journal's records of the conversations concerned. It writes
  /// nothing.
  ///
  /// The journal is read in two slices, never whole: first the conversations the set names and those
  /// with an open lease (the live read must include them), then the calls the live read found. Each
  /// slice's counts are taken with its records (see ``JournalSlice``).
  public func plan() async throws -> Planned {
    if case .saved(let saved, let changes) = scope { return try await check(saved, changes) }
    var set = self.set
    let focus = scope.focus
    let named = Set(set.policies.map(\.conversation).filter { !$0.isEmpty })
    var slice: JournalSlice
    if let focus {
      // (Select policies stay: bound to an event's call through `given`, or for their leases' sake.)
      set.policies = set.policies.filter { focus.contains($0.conversation) || $0.selects }
      slice =
        try await journal?.slice(workspace: workspace, conversations: focus, open: false) ?? JournalSlice()
    } else {
      slice =
        try await journal?.slice(workspace: workspace, conversations: named, open: true) ?? JournalSlice()
    }
    // Leases dated in the future (a writer's clock ahead) are re-timed from now: a finding each, and
    // the re-timing is journalled by the run so it does not slide.
    let derive = { [workspace, run, clock] (records: [JournalRecord]) in
      let state = JournalState(records, workspace: workspace)
      let retimes = state.retimes(now: clock.now(), workspace: workspace, run: run)
      return retimes.isEmpty
        ? (state, retimes) : (JournalState(records + retimes.map(\.record), workspace: workspace), retimes)
    }
    var (state, retimes) = derive(slice.records)
    let openLeaseConversations = state.leases.filter { $0.status == .open }.map(\.conversation)
    var request = LiveReadRequest(set: set)
    // A lease whose conversation id is not a UUID (a journal is input) is not read; a change planned
    // for it is blocked by the applier's id check.
    request.extraConversations = openLeaseConversations.compactMap(ConversationId.init)
    request.discover = scope.discovers
    request.given = scope.given
    request.snapshots = scope.snapshots
    request.limit = scope.readLimit
    request.urgent = scope.urgent
    let soon = clock.now() + 120
    request.due = Set(
      state.leases.filter { $0.status == .open && $0.endsAt <= soon }.compactMap {
        ConversationId($0.conversation)
      })
    let read = try await source.read(request)
    // The calls found that the first slice did not hold: their history decides too (a directive
    // already served on a call does not act on it again).
    let found = Set(read.live.conversations.keys).union(read.set.policies.map(\.conversation))
      .subtracting(slice.conversations).filter { !$0.isEmpty }
    if let journal, !found.isEmpty {
      slice = slice.merging(try await journal.slice(workspace: workspace, conversations: found, open: false))
    }
    if !found.isEmpty { (state, retimes) = derive(slice.records) }
    var plan = planner(state).plan(read.set, live: read.live, leases: state.leases, now: clock.now())
    // Journal lines that could not be read were skipped: said on every run, never a reason to stop.
    let unreadable = await journal?.unreadable() ?? []
    let skew = retimes.map { lease, record in
      var d = Diagnostic(
        .warning, id: .clockSkew,
        message:
          "the mute of participant \(lease.participant) in conversation \(lease.conversation) (policy '\(lease.policy)') is \(record.reason ?? "dated in the future"): a writer's clock is ahead; its lease now ends at \(Timestamp.iso8601(record.leaseEnds ?? 0))",
        range: SourceRange(file: "journal", line: 1, column: 1))
      d.quotesSource = false
      return d
    }
    plan.findings = unreadable.map(\.finding) + skew + read.findings + plan.findings
    plan.retimes = retimes.map(\.record)
    plan.changes = plan.changes.filter { scope.keeps($0.action) }
    return Planned(plan: plan, read: read, slice: slice)
  }

  /// The planner of this reconcile, over the journal's `state`.
  func planner(_ state: JournalState) -> Planner {
    var planner = Planner(
      workspace: workspace, wholeSet: wholeSet && scope.seesWholeSet, addedRoles: state.addedRoles)
    planner.policiesReadAt = policiesReadAt
    planner.skipUnread = scope.readLimit != nil
    return planner
  }

  /// Plans, then (unless the plan breaks a limit, has nothing to do, or `approve` refuses it) carries
  /// the changes out with `execution`.
  ///
  /// The plan is made without locks, from one read of everything. Each conversation with changes is
  /// then locked only while the run acts on it; under its lock the journal is read again, and when
  /// another run has acted on that conversation since, it is re-read and planned again, so nothing is
  /// done twice. `watch` and scheduled applies therefore wait for each other one conversation at a
  /// time, never for a whole run.
  public func run(
    _ execution: Execution, approve: (Plan) async throws -> Bool = { _ in true }
  ) async throws -> Outcome {
    let planned = try await plan()
    let (plan, read) = (planned.plan, planned.read)
    let writes = execution.dryRun ? nil : journal
    if let writes, !plan.retimes.isEmpty { try await writes.append(plan.retimes) }
    if let writes, !plan.closedLeases.isEmpty {
      let at = clock.now()
      try await writes.append(
        plan.closedLeases.enumerated().map { n, c in
          JournalRecord(
            kind: .close, id: "\(run)-close-\(n)", at: at, workspace: workspace, run: run, action: .revert,
            conversation: c.lease.conversation, participant: c.lease.journalParticipant,
            policy: c.lease.policy,
            directive: c.lease.directive, reason: c.reason)
        })
    }
    let seen = Outcome(plan: plan, report: nil, live: read.live, set: read.set, discovery: read.discovery)
    if plan.hasErrors || !plan.hasChanges { return seen }
    guard try await approve(plan) else { return seen }
    var applier = Applier(
      executor: execution.executor, journal: writes, workspace: workspace, run: run,
      parallelism: execution.parallelism, confirmTimeout: execution.confirmTimeout, clock: clock,
      events: execution.events)
    applier.timing = execution.timing
    applier.admissionWait = execution.admissionWait
    applier.superseded = execution.superseded
    applier.revertSlack = execution.revertSlack
    applier.urgent = scope.urgent
    if case .saved(let saved, _) = scope { applier.planId = saved.planId }
    if let locker = execution.locker, let journal = writes {
      applier.guarding =
        if case .saved(let saved, _) = scope {
          SavedPlanGuard(
            reconcile: self, locker: locker, lockTimeout: execution.lockTimeout, journal: journal,
            planId: saved.planId, snapshots: saved.snapshots)
        } else {
          Replanning(
            reconcile: self, locker: locker, lockTimeout: execution.lockTimeout, journal: journal,
            counts: planned.slice.counts, read: read)
        }
    }
    var report = await applier.apply(plan)
    if scope.followsAdds,
      let more = try await muteAddedPartiesOnceConnected(
        addsOfMutedRoles(report), bound: read.set, execution: execution)
    {
      report.items += more.items
      report.lockFailures.merge(more.lockFailures) { a, _ in a }
    }
    var outcome = seen
    outcome.report = report
    return outcome
  }
}

/// A reconcile's conversation under its lock: when its journal count differs from the plan's, another
/// run acted on it since, so it is read and planned again (only what the scope keeps).
struct Replanning: ConversationGuard {
  var reconcile: Reconcile
  var locker: any ConversationLocker
  var lockTimeout: Duration
  var journal: any Journal
  /// Each conversation's journal count when the plan was made.
  var counts: [String: Int]
  /// The read the plan was made from (a re-plan changes only its conversation).
  var read: LiveRead

  func prepare(_ cid: String, _ planned: [PlannedChange]) async throws -> PreparedConversation {
    let lock =
      if reconcile.scope.joinsHeldLocks, let inProcess = locker as? InProcessLocker {
        try await inProcess.lockOrJoin(cid, within: lockTimeout)
      } else {
        try await locker.lock(cid, within: lockTimeout)
      }
    do {
      if try await journal.recordCount(conversation: cid) == counts[cid, default: 0] {
        return PreparedConversation(changes: planned, lock: lock)
      }
      // Another run acted on this conversation since the plan: read it again and plan it again.
      let workspace = reconcile.workspace
      let state = JournalState(
        try await journal.slice(workspace: workspace, conversations: [cid], open: false).records,
        workspace: workspace)
      var fresh = read.live
      let reread: LiveConversation? =
        if let id = ConversationId(cid) {
          try await reconcile.source.conversation(id, urgent: reconcile.scope.urgent)
        } else {
          nil
        }
      fresh.conversations[cid] = reread ?? LiveConversation(id: cid, status: .notFound)
      let replanned = reconcile.planner(state).plan(
        read.set, live: fresh, leases: state.leases, now: reconcile.clock.now())
      return PreparedConversation(
        changes: replanned.changes.filter {
          $0.conversation.rawValue == cid && reconcile.scope.keeps($0.action)
        },
        lock: lock)
    } catch {
      await lock.release()
      throw error
    }
  }
}
