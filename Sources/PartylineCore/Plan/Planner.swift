import YAMLReader
import WireTime

/// Plans a policy set against live state and leases: a pure function, no I/O.
public struct Planner: Sendable {
  /// The workspace whose leases are planned (other workspaces' leases are ignored).
  public var workspace: String
  /// Whether the run was given the workspace's whole policy set (only then are leases pruned).
  public var wholeSet: Bool
  /// Roles Partyline already added, per conversation (from the journal).
  public var addedRoles: [String: [String: Int]]
  /// When the run read its policy files: a lease opened after that (by another run, from files this
  /// run has not seen) is never pruned by it.
  public var policiesReadAt: Double = .infinity
  /// When the run read only some conversations (the rate budget could not afford them all): the
  /// others are left out of this plan, neither found nor missing.
  public var skipUnread = false

  /// A planner of `workspace`; by default for the whole set, with no roles added yet.
  public init(workspace: String = "default", wholeSet: Bool = true, addedRoles: [String: [String: Int]] = [:])
  {
    self.workspace = workspace
    self.wholeSet = wholeSet
    self.addedRoles = addedRoles
  }

  /// The conversations and users a policy set needs read: what the live read fetches.
  public static func reads(for set: PolicySet) -> (
    conversations: [String], userIds: [String], emails: [String]
  ) {
    var conversations = Set<String>()
    var ids = Set<String>()
    var emails = Set<String>()
    func note(_ ref: UserRef) {
      switch ref {
      case .id(let id): ids.insert(id)
      case .email(let e): emails.insert(e)
      }
    }
    for p in set.policies {
      if !p.conversation.isEmpty { conversations.insert(p.conversation) }
      if let a = p.actAs { note(a) }
      if let u = p.select?.user { note(u) }
      for kind in DirectiveKinds.all { kind.users(of: p).forEach(note) }
    }
    return (conversations.sorted(), ids.sorted(), emails.sorted())
  }

  /// The plan for `set` at `now` (seconds since 1970): for each conversation, the reverts and prunes
  /// of its leases first, then what its policies want.
  public func plan(_ set: PolicySet, live: LiveState, leases: [Lease], now: Double) -> Plan {
    var run = PlanRun(planner: self, set: set, live: live, now: now)
    run.leases = leases.filter { $0.workspace == workspace }
    // Conversations in the order of their first policy's name; leases of conversations no policy
    // names any more come after.
    var order: [String] = []
    var seen = Set<String>()
    // (A select policy not bound to calls has no conversation: it plans nothing.)
    for p in set.policies where !p.conversation.isEmpty && seen.insert(p.conversation).inserted {
      order.append(p.conversation)
    }
    for l in run.leases.sorted(by: { ($0.conversation, $0.participant) < ($1.conversation, $1.participant) })
    where l.status == .open && seen.insert(l.conversation).inserted {
      order.append(l.conversation)
    }
    run.sayInactive()
    for cid in order { run.planConversation(cid) }
    var snapshots: [String: String] = [:]
    for cid in order { if let c = live.conversations[cid] { snapshots[cid] = c.snapshotHash } }
    return Plan(
      changes: run.changes, findings: run.findings, createdAt: now, policySetDigest: set.digest,
      snapshots: snapshots, nextLeaseEnd: run.nextLeaseEnd, closedLeases: run.closedLeases)
  }
}

extension PolicySet {
  /// A digest over the compiled policies and limits, for saved plans.
  public var digest: String {
    if let sourceDigest { return sourceDigest }
    var text = "limits|\(limits.maxMute.seconds)|\(limits.maxParticipants)"
    for r in limits.roles { text += "|\(r.name),\(r.max.map(String.init) ?? "-"),\(r.muted)" }
    for p in policies {
      text += "\npolicy|\(p.name)|\(p.conversation)|\(p.actAs.map { "\($0)" } ?? "-")|\(p.onDrift.rawValue)"
      if let s = p.select { text += "|select:\(s.key)" }
      for kind in DirectiveKinds.all { text += kind.digestText(of: p) }
      if let c = p.calendar { text += c.digestText }
    }
    return Digest.sha256Hex(text)
  }
}
