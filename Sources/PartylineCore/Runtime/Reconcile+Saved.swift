/// `apply --plan`: a saved plan's changes exactly, after checking that they are still what was
/// reviewed. The file's own checks (format, signature, expiry, workspace, target, the hard caps and
/// the plan's Limits) are `SavedPlanFile.read` and `SavedPlan.check`'s, done before the reconcile.
extension Reconcile {
  /// A reconcile of a saved plan's `changes` (already checked by `SavedPlan.check`): it has no policy
  /// set of its own.
  public static func saved(
    _ saved: SavedPlan, changes: [PlannedChange], workspace: String, source: any LiveStateSource,
    clock: any RuntimeClock, journal: (any Journal)?, run: String
  ) -> Reconcile {
    Reconcile(
      .saved(saved, changes: changes), set: PolicySet(policies: [], limits: .defaults, files: []),
      wholeSet: false, workspace: workspace, source: source, clock: clock, journal: journal, run: run)
  }

  /// Checks a saved plan against the live calls and the journal, before anything is done (the whole
  /// plan is refused, or applied): no conversation changed since the plan was made, the plan was not
  /// applied before, and its changes still fit (participants present, capacity, roles).
  func check(_ saved: SavedPlan, _ changes: [PlannedChange]) async throws -> Planned {
    var live = LiveState()
    for cid in saved.snapshots.keys.sorted() { live.conversations[cid] = try await current(cid) }
    let changed = SavedPlanGuard.changed(live.conversations, from: saved.snapshots)
    if !changed.isEmpty { throw SavedPlanError.changed(changed) }
    // The plan's conversations are all it touches: their records say whether it was applied before.
    let slice =
      try await journal?.slice(workspace: workspace, conversations: scope.focus ?? [], open: false)
      ?? JournalSlice()
    // A saved plan applies once: applied again (after its mutes were reverted, say), it would mute anew.
    if let prior = slice.records.first(where: { $0.plan == saved.planId }) {
      throw SavedPlanError.applied(saved.planId, prior)
    }
    try saved.checkAgainst(
      changes, live: live.conversations,
      addedRoles: JournalState(slice.records, workspace: workspace).addedRoles)
    let plan = Plan(
      changes: changes, findings: [], createdAt: saved.createdAt, policySetDigest: saved.policySetDigest,
      snapshots: saved.snapshots)
    return Planned(
      plan: plan, read: LiveRead(set: set, live: live, findings: [], discovery: DiscoveredCalls()),
      slice: slice)
  }

  /// The call as it is now; a call that is gone is `notFound`.
  func current(_ cid: String) async throws -> LiveConversation {
    let read: LiveConversation? =
      if let id = ConversationId(cid) { try await source.conversation(id, urgent: false) } else { nil }
    return read ?? LiveConversation(id: cid, status: .notFound)
  }
}

/// A saved plan's conversation under its lock: no other run applied this plan meanwhile, and the
/// conversation is still as planned.
struct SavedPlanGuard: ConversationGuard {
  var reconcile: Reconcile
  var locker: any ConversationLocker
  var lockTimeout: Duration
  var journal: any Journal
  var planId: String
  /// Each conversation's snapshot hash when the plan was made.
  var snapshots: [String: String]

  /// The conversations whose snapshot is not the plan's, in order.
  static func changed(_ live: [String: LiveConversation], from snapshots: [String: String]) -> [String] {
    live.keys.sorted().filter { live[$0]?.snapshotHash != snapshots[$0] }
  }

  func prepare(_ cid: String, _ planned: [PlannedChange]) async throws -> PreparedConversation {
    let lock = try await locker.lock(cid, within: lockTimeout)
    do {
      if let prior = try await journal.slice(
        workspace: reconcile.workspace, conversations: [cid], open: false
      ).records.first(where: { $0.plan == planId && $0.run != reconcile.run }) {
        throw SavedPlanError.applied(planId, prior)
      }
      let changed = Self.changed([cid: try await reconcile.current(cid)], from: snapshots)
      if !changed.isEmpty { throw SavedPlanError.changed(changed) }
      return PreparedConversation(changes: planned, lock: lock)
    } catch {
      await lock.release()
      throw error
    }
  }
}
