import Foundation
public import OrderedJSON
public import WireTime

/// What the journal says: leases (mute until T) and the roles Partyline added.
public struct JournalState: Sendable {
  /// Every lease the workspace's records opened, open or served, ordered by when they end.
  public var leases: [Lease]
  /// How many parties of each role Partyline added, by conversation, then role (adds that did
  /// not fail).
  public var addedRoles: [String: [String: Int]]

  /// The state of `workspace` in `records`; an intent without an outcome counts as possibly done.
  public init(_ records: [JournalRecord], workspace: String) {
    var outcomes: [String: JournalRecord.Status] = [:]
    for r in records where r.kind == .outcome { if let s = r.status { outcomes[r.id] = s } }
    var leases: [Lease.Key: Lease] = [:]
    var roles: [String: [String: Int]] = [:]
    var closed = Set<Lease.Key>()
    for r in records where r.kind == .close && r.workspace == workspace {
      guard let pid = r.participant else { continue }
      closed.insert(
        Lease.Key(policy: r.policy, directive: r.directive, conversation: r.conversation, participant: pid))
    }
    for r in records where r.kind == .intent && r.workspace == workspace {
      let outcome = outcomes[r.id]  // nil: crashed before the outcome — it may have happened
      if outcome == .failed { continue }
      switch r.action {
      case .mute:
        guard let pid = r.participant, let ends = r.leaseEnds else { continue }
        var lease = Lease(
          workspace: r.workspace, policy: r.policy, directive: r.directive, conversation: r.conversation,
          participant: pid, startedAt: r.at, endsAt: ends, status: .open)
        lease.outcomeKnown = outcome != nil
        // A reconcile re-mute stays within the lease it belongs to: keep the first.
        if leases[lease.key] == nil {
          leases[lease.key] = lease
          if closed.contains(lease.key) { leases[lease.key]?.status = .served }
        }
      case .revert, .prune:
        guard outcome == .ok, let pid = r.participant else { continue }
        let key = Lease.Key(
          policy: r.policy, directive: r.directive, conversation: r.conversation, participant: pid)
        leases[key]?.status = .served
      case .add:
        if let role = r.role { roles[r.conversation, default: [:]][role, default: 0] += 1 }
      case .unmute, .noop:
        break
      }
    }
    self.leases = leases.values.sorted { ($0.endsAt, $0.participant) < ($1.endsAt, $1.participant) }
    self.addedRoles = roles
  }
}
