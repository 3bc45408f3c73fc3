import WireTime
import YAMLReader

/// One reconcile: lock the conversations, read the journal and the live state, plan, and (unless the
/// plan breaks a limit) apply. Shared by `plan` (the planning step only), `apply` and `watch`.
public struct Reconciler: Sendable {
  /// The policy set, select policies unbound.
  public var set: PolicySet
  /// Whether the set is every policy (only then are leases of policies gone pruned).
  public var wholeSet: Bool
  /// The workspace whose leases the run plans and journals.
  public var workspace: String
  /// Where the live state is read from.
  public var source: any LiveStateSource
  /// What carries the changes out (the API, or a dry run's recorder).
  public var executor: any ApplyExecutor
  /// What the run reads the time from and sleeps on.
  public var clock: any RuntimeClock
  /// Where leases are read from and records written; nil: no leases, nothing journalled.
  public var journal: (any Journal)?
  /// Locks each conversation while the run acts on it; nil: no locks.
  public var locker: (any ConversationLocker)?
  /// How many conversations are acted on at once.
  public var parallelism: Int
  /// `--dry-run`: nothing is locked or journalled (the executor is expected only to record).
  public var dryRun: Bool
  /// The run's id, in every journal record it writes.
  public var run: String
  /// How long to poll for effects to show, in seconds (see `Applier.confirmTimeout`).
  public var confirmTimeout: Double = 15
  /// The applier's events (see `Applier.events`).
  public var events: @Sendable (ApplyEvent) -> Void = { _ in }
  /// Only these conversations (watch's on-time reverts): their policies and open leases, nothing else,
  /// and never a prune (the run does not see the whole set).
  public var focus: Set<String>?
  /// When the policy files were read (see `Planner.policiesReadAt`).
  public var policiesReadAt: Double = .infinity
  /// Only reverts and prunes, joining a conversation another reconcile of this process holds (watch's
  /// on-time loop: see `InProcessLocker.lockOrJoin`).
  public var revertsOnly = false
  /// Only these actions (the follow-up that mutes added observers once they connect).
  public var onlyActions: Set<PlannedChange.Action>? = nil
  /// When the confirming read should come, learned over the run (shared by watch's runs).
  public var timing: ConfirmationTiming? = nil
  /// At most this many conversation reads (watch's full reconcile, when the rate budget cannot read
  /// every call every interval).
  public var readLimit: Int? = nil
  /// Watch's events: the calls' snapshots the events carried (not read again) and the discovery
  /// they are bound with (no query).
  public var snapshots: [String: LiveConversation] = [:]
  /// The discovery an event's call is bound with, instead of a query (see `snapshots`).
  public var given: DiscoveredCalls? = nil
  /// Whether to poll added parties of muted roles until they connect (watch on events learns that
  /// from the call's next event instead).
  public var followAdds = true
  /// How long a mute may wait for admission (see `Applier.admissionWait`).
  public var admissionWait: Double = 0
  /// The most a revert may be promised before its lease's end (see `Applier.revertSlack`).
  public var revertSlack = Lease.defaultRevertSlack
  /// Whether a newer event of the conversation came (see `Applier.superseded`).
  public var superseded: (@Sendable (String) async -> Bool)? = nil

  /// A reconcile of `set`; the optional parts are set as properties.
  public init(
    set: PolicySet, wholeSet: Bool, workspace: String, source: any LiveStateSource,
    executor: any ApplyExecutor, clock: any RuntimeClock, journal: (any Journal)?,
    locker: (any ConversationLocker)?, parallelism: Int, dryRun: Bool, run: String
  ) {
    self.set = set
    self.wholeSet = wholeSet
    self.workspace = workspace
    self.source = source
    self.executor = executor
    self.clock = clock
    self.journal = journal
    self.locker = locker
    self.parallelism = parallelism
    self.dryRun = dryRun
    self.run = run
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

  /// The planning step `plan` and `apply` share: read what the set and the open leases need, bind
  /// the select policies, and plan against the journal's records of the conversations concerned.
  ///
  /// The journal is read in two slices, never whole: first the conversations the set names and those
  /// with an open lease (the live read must include them), then the calls the live read found. Each
  /// slice's counts are taken with its records (see ``JournalSlice``).
  public func plan(journal: (any Journal)?) async throws -> (
    plan: Plan, read: LiveRead, state: JournalState, slice: JournalSlice
  ) {
    var set = self.set
    var wholeSet = self.wholeSet
    let named = Set(set.policies.map(\.conversation).filter { !$0.isEmpty })
    var slice: JournalSlice
    if let focus {
      // (Select policies stay: bound to an event's call through `given`, or for their leases' sake.)
      set.policies = set.policies.filter { focus.contains($0.conversation) || $0.selects }
      wholeSet = false
      slice =
        try await journal?.slice(workspace: workspace, conversations: focus, open: false) ?? JournalSlice()
    } else {
      slice =
        try await journal?.slice(workspace: workspace, conversations: named, open: true) ?? JournalSlice()
    }
    // Leases dated in the future (a writer's clock ahead) are re-timed from now: a finding each, and
    // the re-timing is journalled by runOnce so it does not slide.
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
    request.discover = focus == nil && !revertsOnly
    request.given = given
    request.snapshots = snapshots
    request.limit = readLimit
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
    var planner = Planner(workspace: workspace, wholeSet: wholeSet, addedRoles: state.addedRoles)
    planner.policiesReadAt = policiesReadAt
    planner.skipUnread = readLimit != nil
    var plan = planner.plan(read.set, live: read.live, leases: state.leases, now: clock.now())
    // Journal lines that could not be read were skipped: said on every run, never a reason to stop.
    let unreadable = await journal?.unreadable() ?? []
    let skew = retimes.map { lease, record in
      var d = Diagnostic(
        .warning, id: "clock_skew",
        message:
          "the mute of participant \(lease.participant) in conversation \(lease.conversation) (policy '\(lease.policy)') is \(record.reason ?? "dated in the future"): a writer's clock is ahead; its lease now ends at \(Timestamp.iso8601(record.leaseEnds ?? 0))",
        range: SourceRange(file: "journal", line: 1, column: 1))
      d.quotesSource = false
      return d
    }
    plan.findings = unreadable.map(\.finding) + skew + read.findings + plan.findings
    plan.retimes = retimes.map(\.record)
    if revertsOnly { plan.changes = plan.changes.filter { $0.action == .revert || $0.action == .prune } }
    if let onlyActions { plan.changes = plan.changes.filter { onlyActions.contains($0.action) } }
    return (plan, read, state, slice)
  }

  /// `approve` sees the plan before anything is done and may refuse it.
  ///
  /// The plan is made without locks, from one read of everything. Each conversation with changes is
  /// then locked only while the run acts on it; under its lock the journal is read again, and when
  /// another run has acted on that conversation since, it is re-read and planned again, so nothing is
  /// done twice. `watch` and scheduled applies therefore wait for each other one conversation at a
  /// time, never for a whole run.
  public func runOnce(approve: (Plan) async throws -> Bool = { _ in true }) async throws -> Outcome {
    // Counted as the records are read: a conversation whose count differs under its lock was acted on
    // since, by some run of any workspace.
    let (plan, read, _, slice) = try await self.plan(journal: journal)
    let counts = slice.counts
    if let journal, !dryRun, !plan.retimes.isEmpty { try await journal.append(plan.retimes) }
    if let journal, !dryRun, !plan.closedLeases.isEmpty {
      let at = clock.now()
      try await journal.append(
        plan.closedLeases.enumerated().map { n, c in
          JournalRecord(
            kind: .close, id: "\(run)-close-\(n)", at: at, workspace: workspace, run: run, action: .revert,
            conversation: c.lease.conversation, participant: c.lease.participant, policy: c.lease.policy,
            directive: c.lease.directive, reason: c.reason)
        })
    }
    let seen = Outcome(plan: plan, report: nil, live: read.live, set: read.set, discovery: read.discovery)
    if plan.hasErrors || !plan.hasChanges { return seen }
    guard try await approve(plan) else { return seen }
    var applier = Applier(
      executor: executor, journal: dryRun ? nil : journal, workspace: workspace, run: run,
      parallelism: parallelism, confirmTimeout: confirmTimeout, clock: clock, events: events)
    applier.dryRun = dryRun
    applier.timing = timing
    applier.admissionWait = admissionWait
    applier.superseded = superseded
    applier.revertSlack = revertSlack
    if let locker, let journal, !dryRun {
      let (workspace, source, clock) = (self.workspace, self.source, self.clock)
      let (revertsOnly, onlyActions, live) = (self.revertsOnly, self.onlyActions, read.live)
      applier.prepare = { [set = read.set, wholeSet, policiesReadAt] cid, planned in
        let lock =
          if revertsOnly, let inProcess = locker as? InProcessLocker {
            try await inProcess.lockOrJoin(cid)
          } else {
            try await locker.lock(cid)
          }
        do {
          if try await journal.recordCount(conversation: cid) == counts[cid, default: 0] {
            return PreparedConversation(changes: planned, lock: lock)
          }
          // Another run acted on this conversation since the plan: read it again and plan it again.
          let state = JournalState(
            try await journal.slice(workspace: workspace, conversations: [cid], open: false).records,
            workspace: workspace)
          var fresh = live
          let reread: LiveConversation? =
            if let id = ConversationId(cid) { try await source.conversation(id) } else { nil }
          fresh.conversations[cid] = reread ?? LiveConversation(id: cid, status: .notFound)
          var planner = Planner(workspace: workspace, wholeSet: wholeSet, addedRoles: state.addedRoles)
          planner.policiesReadAt = policiesReadAt
          let replanned = planner.plan(set, live: fresh, leases: state.leases, now: clock.now())
          return PreparedConversation(
            changes: replanned.changes.filter {
              $0.conversation == cid && (!revertsOnly || $0.action == .revert || $0.action == .prune)
                && (onlyActions?.contains($0.action) ?? true)
            }, lock: lock)
        } catch {
          await lock.release()
          throw error
        }
      }
    }
    var report = await applier.apply(plan)
    if !revertsOnly && onlyActions == nil && followAdds,
      let more = try await muteAddedPartiesOnceConnected(addsOfMutedRoles(report), bound: read.set)
    {
      report.items += more.items
      report.lockFailures.merge(more.lockFailures) { a, _ in a }
    }
    var outcome = seen
    outcome.report = report
    return outcome
  }
}
