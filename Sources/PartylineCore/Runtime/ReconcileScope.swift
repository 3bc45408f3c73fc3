/// What one reconcile covers. Every way Partyline reconciles is one of these: `plan` and `apply` (a
/// full reconcile), `apply --plan` (a saved plan), and watch's three loops (full, one event's call, the
/// reverts due on a call) with apply's follow-up of added observers. What a reconcile reads, which
/// actions it keeps and how it locks follow from its scope alone.
public enum ReconcileScope: Sendable {
  /// Every policy and every open lease: select policies look for their calls, and leases of policies
  /// gone are pruned when the set is whole. At most `readLimit` calls are read (watch's full reconcile
  /// when the rate budget cannot read every call every interval): those with work due, then those
  /// read longest ago.
  case full(readLimit: Int? = nil)
  /// One call of watch's events: its policies and open leases, planned from the event's `snapshot`
  /// (nil: read once), its select policies bound with `given` (the event's call as every selector's
  /// candidate; nothing is queried). Never a prune (the run does not see the whole set).
  case call(String, snapshot: LiveConversation?, given: DiscoveredCalls?)
  /// The reverts and prunes due on one conversation (watch's on-time loop), from its current
  /// `snapshot` when the events give one; it joins a reconcile of this process that holds the
  /// conversation (see `InProcessLocker.lockOrJoin`) rather than wait for it.
  case dueReverts(String, snapshot: LiveConversation?)
  /// The mutes of parties of muted roles that this run added, once they connected (see
  /// `Reconcile.muteAddedPartiesOnceConnected`): nothing else, on these conversations.
  case addedParties(Set<String>)
  /// A saved plan's changes exactly (`apply --plan`): checked against the live calls and the journal
  /// instead of planned, and applied once.
  case saved(SavedPlan, changes: [PlannedChange])

  /// The conversations the reconcile is limited to; nil: all the set names or finds.
  var focus: Set<String>? {
    switch self {
    case .full: nil
    case .call(let cid, _, _), .dueReverts(let cid, _): [cid]
    case .addedParties(let cids): cids
    case .saved(let plan, let changes): Set(plan.snapshots.keys).union(changes.map(\.conversation.rawValue))
    }
  }

  /// Whether select policies look for their calls with a query.
  var discovers: Bool { if case .full = self { true } else { false } }
  /// Whether everything the reconcile sends serves a revert due now (watch's on-time loop): its
  /// reads and its calls go in the rate budget's revert class, with the short time limits of a revert.
  var urgent: Bool { if case .dueReverts = self { true } else { false } }

  /// Whether the set the reconcile plans is the whole set (only then are leases of policies gone
  /// pruned).
  var seesWholeSet: Bool { discovers }

  /// The most calls read, when limited.
  var readLimit: Int? { if case .full(let limit) = self { limit } else { nil } }

  /// Calls already known: not read again.
  var snapshots: [String: LiveConversation] {
    switch self {
    case .call(let cid, let snapshot?, _), .dueReverts(let cid, let snapshot?): [cid: snapshot]
    default: [:]
    }
  }

  /// The discovery an event's call is bound with.
  var given: DiscoveredCalls? { if case .call(_, _, let given) = self { given } else { nil } }

  /// Whether the reconcile carries out an action of this kind.
  func keeps(_ action: PlannedChange.Action) -> Bool {
    switch self {
    case .dueReverts: action == .revert || action == .prune
    case .addedParties: action == .mute
    case .full, .call, .saved: true
    }
  }

  /// Whether the reconcile waits for added parties of muted roles to connect and mutes them (apply and
  /// watch's full reconcile; watch's events learn of the connection from the call's next event).
  var followsAdds: Bool { discovers }

  /// Whether the reconcile joins a conversation another reconcile of this process holds.
  var joinsHeldLocks: Bool { if case .dueReverts = self { true } else { false } }
}
