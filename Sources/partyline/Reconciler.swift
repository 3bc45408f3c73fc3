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

  struct Outcome {
    var plan: Plan
    var report: ApplyReport?
  }

  /// `approve` sees the plan before anything is done and may refuse it.
  func runOnce(approve: (Plan) async throws -> Bool = { _ in true }) async throws -> Outcome {
    let records = try await journal?.records(workspace: workspace) ?? []
    let before = JournalState(records, workspace: workspace)
    var conversations = Set(Planner.reads(for: set).conversations)
    for l in before.leases where l.status == .open { conversations.insert(l.conversation) }
    var held: [any ConversationLock] = []
    defer {
      let toRelease = held
      Task { for h in toRelease { await h.release() } }
    }
    if let locker, !dryRun {
      for cid in conversations.sorted() { held.append(try await locker.lock(cid)) }
    }
    // Re-read the journal under the locks: another run may have acted while we waited.
    let state =
      locker == nil || dryRun
      ? before : JournalState(try await journal?.records(workspace: workspace) ?? [], workspace: workspace)
    let openLeaseConversations = state.leases.filter { $0.status == .open }.map(\.conversation)
    let live = try await LiveStateReader(client: connection.client).read(
      set, extraConversations: openLeaseConversations)
    let plan = Planner(workspace: workspace, wholeSet: wholeSet, addedRoles: state.addedRoles).plan(
      set, live: live, leases: state.leases, now: Date().timeIntervalSince1970)
    if plan.hasErrors || !plan.hasChanges {
      for h in held { await h.release() }
      held = []
      return Outcome(plan: plan, report: nil)
    }
    guard try await approve(plan) else {
      for h in held { await h.release() }
      held = []
      return Outcome(plan: plan, report: nil)
    }
    let executor: any ApplyExecutor = dryRun ? DryRunExecutor() : GenesysExecutor(client: connection.client)
    var applier = Applier(
      executor: executor, journal: dryRun ? nil : journal, workspace: workspace, run: run,
      parallelism: parallelism,
      confirmTimeout: confirmTimeout, events: events)
    applier.dryRun = dryRun
    let report = await applier.apply(plan)
    for h in held { await h.release() }
    held = []
    return Outcome(plan: plan, report: report)
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
    ].filter { $0.0 > 0 }
    if !problems.isEmpty { s += " " + problems.map { "\($0.0) \($0.1)" }.joined(separator: ", ") + "." }
    return s
  }
}
