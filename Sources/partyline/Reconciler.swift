import Foundation
import GenesysCloud
import PartylineCore

/// One reconcile: lock the conversations, read the journal and the live state, plan, and (unless the
/// plan breaks a limit) apply. Shared by `apply` and `watch`.
struct Reconciler {
  var set: PolicySet
  var wholeSet: Bool
  var workspace: String
  var connection: Connection
  var journal: (any Journal)?
  var locker: (any ConversationLocker)?
  var parallelism: Int
  var dryRun: Bool
  var run: String
  var confirmTimeout: Double = 15
  var events: @Sendable (ApplyEvent) -> Void = { _ in }
  /// Only these conversations (watch's on-time reverts): their policies and open leases, nothing else,
  /// and never a prune (the run does not see the whole set).
  var focus: Set<String>?
  /// When the policy files were read (see `Planner.policiesReadAt`).
  var policiesReadAt: Double = .infinity
  /// Only reverts and prunes, joining a conversation another reconcile of this process holds (watch's
  /// on-time loop: see `InProcessLocker.lockOrJoin`).
  var revertsOnly = false
  /// `watch`'s memory of ended calls, shared by its runs.
  var ended: EndedCalls? = nil
  /// Only these actions (the follow-up that mutes added observers once they connect).
  var onlyActions: Set<PlannedChange.Action>? = nil
  /// When the confirming read should come, learned over the run (shared by watch's runs).
  var timing: ConfirmationTiming? = nil
  /// At most this many conversation reads (watch's full reconcile, when the rate budget cannot read
  /// every call every interval), chosen through `ledger`.
  var readLimit: Int? = nil
  var ledger: ReadLedger? = nil
  /// Watch's events: the calls' snapshots the events carried (not read again) and the discovery
  /// they are bound with (no query).
  var snapshots: [String: LiveConversation] = [:]
  var given: CallDiscovery.Result? = nil
  /// Whether to poll added parties of muted roles until they connect (watch on events learns that
  /// from the call's next event instead).
  var followAdds = true
  /// Watch on events: confirmations wait for the call's next event before reading it again.
  var eventCalls: LatestCalls? = nil
  /// How long a mute may wait for admission (see `Applier.admissionWait`).
  var admissionWait: Double = 0

  struct Outcome {
    var plan: Plan
    var report: ApplyReport?
    /// What the run read and how its select policies were bound (watch keeps its topics from it).
    var live = LiveState()
    var set: PolicySet? = nil
    var discovery = CallDiscovery.Result()
  }

  /// `approve` sees the plan before anything is done and may refuse it.
  ///
  /// The plan is made without locks, from one read of everything. Each conversation with changes is
  /// then locked only while the run acts on it; under its lock the journal is read again, and when
  /// another run has acted on that conversation since, it is re-read and planned again, so nothing is
  /// done twice. `watch` and scheduled applies therefore wait for each other one conversation at a
  /// time, never for a whole run.
  func runOnce(approve: (Plan) async throws -> Bool = { _ in true }) async throws -> Outcome {
    // Counted before anything is read: a conversation whose count differs under its lock was acted on
    // since, by some run of any workspace.
    let counts = dryRun || locker == nil ? [:] : try await journal?.recordCounts() ?? [:]
    let records = try await journal?.records(workspace: workspace) ?? []
    let state = JournalState(records, workspace: workspace)
    var set = self.set
    var wholeSet = self.wholeSet
    var openLeaseConversations = state.leases.filter { $0.status == .open }.map(\.conversation)
    if let focus {
      // (Select policies stay: bound to an event's call through `given`, or for their leases' sake.)
      set.policies = set.policies.filter { focus.contains($0.conversation) || $0.selects }
      wholeSet = false
      openLeaseConversations = openLeaseConversations.filter { focus.contains($0) }
    }
    var reader = LiveStateReader(client: connection.client, ended: ended)
    reader.limit = readLimit
    reader.ledger = ledger
    let soon = Date().timeIntervalSince1970 + 120
    reader.due = Set(state.leases.filter { $0.status == .open && $0.endsAt <= soon }.map(\.conversation))
    // Select policies find their calls first (not in watch's on-time loop, which only reverts).
    reader.seed.conversations = snapshots
    let read = try await reader.readBound(
      set, extraConversations: openLeaseConversations, discover: focus == nil && !revertsOnly, given: given)
    let live = read.live
    set = read.set
    var planner = Planner(workspace: workspace, wholeSet: wholeSet, addedRoles: state.addedRoles)
    planner.policiesReadAt = policiesReadAt
    planner.skipUnread = readLimit != nil
    var plan = planner.plan(set, live: live, leases: state.leases, now: Date().timeIntervalSince1970)
    plan.findings = read.findings + plan.findings
    if revertsOnly { plan.changes = plan.changes.filter { $0.action == .revert || $0.action == .prune } }
    if let onlyActions { plan.changes = plan.changes.filter { onlyActions.contains($0.action) } }
    if let journal, !dryRun, !plan.closedLeases.isEmpty {
      let at = Date().timeIntervalSince1970
      try await journal.append(
        plan.closedLeases.enumerated().map { n, c in
          JournalRecord(
            kind: .close, id: "\(run)-close-\(n)", at: at, workspace: workspace, run: run, action: .revert,
            conversation: c.lease.conversation, participant: c.lease.participant, policy: c.lease.policy,
            directive: c.lease.directive, reason: c.reason)
        })
    }
    let seen = (live: live, set: set, discovery: read.discovery)
    if plan.hasErrors || !plan.hasChanges {
      return Outcome(plan: plan, report: nil, live: seen.live, set: seen.set, discovery: seen.discovery)
    }
    guard try await approve(plan) else {
      return Outcome(plan: plan, report: nil, live: seen.live, set: seen.set, discovery: seen.discovery)
    }
    let executor: any ApplyExecutor =
      dryRun ? DryRunExecutor() : GenesysExecutor(client: connection.client, events: eventCalls)
    var applier = Applier(
      executor: executor, journal: dryRun ? nil : journal, workspace: workspace, run: run,
      parallelism: parallelism,
      confirmTimeout: confirmTimeout, events: events)
    applier.dryRun = dryRun
    applier.timing = timing
    applier.admissionWait = admissionWait
    if let locker, let journal, !dryRun {
      let (workspace, client) = (self.workspace, connection.client)
      let (revertsOnly, onlyActions) = (self.revertsOnly, self.onlyActions)
      applier.prepare = { [set, wholeSet, policiesReadAt] cid, planned in
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
          let state = JournalState(try await journal.records(workspace: workspace), workspace: workspace)
          var fresh = live
          fresh.conversations[cid] =
            try await client.callConversation(cid).map(LiveStateReader.convert)
            ?? LiveConversation(id: cid, status: .notFound)
          var planner = Planner(workspace: workspace, wholeSet: wholeSet, addedRoles: state.addedRoles)
          planner.policiesReadAt = policiesReadAt
          let replanned = planner.plan(
            set, live: fresh, leases: state.leases, now: Date().timeIntervalSince1970)
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
      let more = try await muteAddedPartiesOnceConnected(addsOfMutedRoles(report), bound: set)
    {
      report.items += more.items
      report.lockFailures.merge(more.lockFailures) { a, _ in a }
    }
    return Outcome(plan: plan, report: report, live: seen.live, set: seen.set, discovery: seen.discovery)
  }

  static func summary(_ report: ApplyReport, dryRun: Bool) -> String {
    if dryRun { return "Dry run: \(report.count(.dryRun)) calls would be made; nothing was changed." }
    var done: [PlannedChange.Action: Int] = [:]
    for i in report.items where i.result == .confirmed { done[i.change.action, default: 0] += 1 }
    var s =
      "Apply complete: \(done[.add] ?? 0) added, \(done[.mute] ?? 0) muted, \(done[.unmute] ?? 0) unmuted, "
      + "\((done[.revert] ?? 0) + (done[.prune] ?? 0)) reverted."
    let problems = [
      (report.count(.failed), "failed"), (report.count(.unconfirmed), "unconfirmed"),
      (report.count(.unknown), "with unknown outcome"), (report.count(.blocked), "blocked"),
      (report.count(.waiting), "waiting (held back until the rate budget can promise their reverts)"),
      (
        report.lockFailures.count,
        report.lockFailures.count == 1 ? "conversation not locked" : "conversations not locked"
      ),
    ].filter { $0.0 > 0 }
    if !problems.isEmpty { s += " " + problems.map { "\($0.0) \($0.1)" }.joined(separator: ", ") + "." }
    return s
  }
}
