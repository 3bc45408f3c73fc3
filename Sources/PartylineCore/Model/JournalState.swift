import OrderedJSON
import WireTime

/// What the journal says: leases (mute until T) and the roles Partyline added.
public struct JournalState: Sendable {
  /// Every lease the workspace's records opened, open or served, ordered by when they end.
  public var leases: [Lease]
  /// How many parties of each role Partyline added, by conversation, then role (adds that did
  /// not fail).
  public var addedRoles: [String: [String: Int]]

  /// The state of `workspace` in `records`, read in the order written; an intent without an outcome
  /// counts as possibly done.
  ///
  /// A mute intent never vanishes: one sent under the key of a lease that is already served (a saved
  /// plan applied again, a stray writer) opens a lease of its own, so it is reverted like any other.
  /// A mute within an open lease (a drift re-mute) stays in that lease. A lease never ends later than
  /// its intent's time plus the hard cap (``PolicyDuration/hardMaxMute``; ``PolicyDuration/hardMaxPause``
  /// for a recording pause), whatever its record says.
  public init(_ records: [JournalRecord], workspace: String) {
    // An outcome pairs with its conversation's intent of the same id: the state of one conversation
    // is read from its records alone (a run reads a slice), and another conversation's record never
    // decides it.
    struct Pair: Hashable {
      var conversation: String
      var id: String
    }
    var outcomes: [Pair: JournalRecord.Status] = [:]
    for r in records where r.kind == .outcome {
      if let s = r.status { outcomes[Pair(conversation: r.conversation, id: r.id)] = s }
    }
    var current: [Lease.Key: Lease] = [:]  // the latest lease of each key
    var done: [Lease] = []  // served leases a later mute under the same key superseded
    var roles: [String: [String: Int]] = [:]
    let cap = Double(PolicyDuration.hardMaxMute.seconds)
    for r in records where r.workspace == workspace {
      switch r.kind {
      case .outcome:
        continue
      case .close:
        let pid = r.participant ?? Lease.wholeCall
        let key = Lease.Key(
          policy: r.policy, directive: r.directive, conversation: r.conversation, participant: pid)
        current[key]?.status = .served
        continue
      case .retime:
        // A lease dated in the future (its writer's clock ahead), re-timed from when it was first read.
        guard let ends = r.leaseEnds else { continue }
        let key = Lease.Key(
          policy: r.policy, directive: r.directive, conversation: r.conversation,
          participant: r.participant ?? Lease.wholeCall)
        guard let lease = current[key], lease.status == .open, lease.startedAt > r.at else { continue }
        current[key]?.startedAt = r.at
        current[key]?.endsAt = min(ends, r.at + cap)
        continue
      case .intent:
        break
      }
      // nil: crashed before the outcome — it may have happened
      let outcome = outcomes[Pair(conversation: r.conversation, id: r.id)]
      if outcome == .failed { continue }
      switch r.action {
      case .mute, .pause:
        // A pause is a lease on the call itself: no participant.
        let pid = r.action == .pause ? Lease.wholeCall : r.participant
        guard let pid, let ends = r.leaseEnds else { continue }
        var lease = Lease(
          workspace: r.workspace, policy: r.policy, directive: r.directive, conversation: r.conversation,
          participant: pid, startedAt: r.at,
          endsAt: min(ends, r.at + (r.action == .pause ? Double(PolicyDuration.hardMaxPause.seconds) : cap)),
          status: .open)
        lease.outcomeKnown = outcome != nil
        lease.kind = r.action == .pause ? .pauseRecording : .mute
        if let existing = current[lease.key] {
          // A re-mute within an open lease (drift, onDrift: reconcile) belongs to it: keep the first.
          if existing.status == .open { continue }
          done.append(existing)
        }
        current[lease.key] = lease
      case .revert, .prune:
        guard outcome == .ok else { continue }
        let key = Lease.Key(
          policy: r.policy, directive: r.directive, conversation: r.conversation,
          participant: r.participant ?? Lease.wholeCall)
        current[key]?.status = .served
      case .add:
        if let role = r.role { roles[r.conversation, default: [:]][role, default: 0] += 1 }
      case .unmute, .noop:
        break
      }
    }
    self.leases = (done + current.values).sorted {
      ($0.endsAt, $0.participant, $0.startedAt) < ($1.endsAt, $1.participant, $1.startedAt)
    }
    self.addedRoles = roles
  }

  /// How far in the reader's future a lease may start before it is a clock-skew finding.
  public static let maxSkew: Duration = .seconds(60)

  /// Open leases whose mute is dated more than ``maxSkew`` after `now` (a writer's clock ahead), with
  /// the `retime` records that end each as long after `now` as it was meant to last (at most the hard
  /// cap). Journalled, the re-timing holds: it does not slide with later reads.
  public func retimes(now: Double, workspace: String, run: String) -> [(lease: Lease, record: JournalRecord)]
  {
    let cap = Double(PolicyDuration.hardMaxMute.seconds)
    return leases.filter { $0.status == .open && $0.startedAt > now + Self.maxSkew.inSeconds }.enumerated()
      .map {
        n, l in
        (
          l,
          JournalRecord(
            kind: .retime, id: "\(run)-retime-\(n)", at: now, workspace: workspace, run: run,
            action: l.kind == .mute ? .mute : .pause, conversation: l.conversation,
            participant: l.kind == .mute ? l.participant : nil, policy: l.policy, directive: l.directive,
            reason: "dated \(Timestamp.iso8601(l.startedAt)), \(Int(l.startedAt - now)) s after it was read",
            leaseEnds: now + min(max(0, l.endsAt - l.startedAt), cap))
        )
      }
  }

  /// The lease of `key` that decides what its directive does next: the open one if any, else the
  /// latest served one.
  public func lease(_ key: Lease.Key) -> Lease? {
    Self.lease(key, in: leases)
  }

  /// The lease of `key` among `leases` that decides what its directive does next (see `lease(_:)`).
  public static func lease(_ key: Lease.Key, in leases: [Lease]) -> Lease? {
    var found: Lease?
    for l in leases where l.key == key {
      if l.status == .open { return l }
      if found == nil || l.startedAt >= found!.startedAt { found = l }
    }
    return found
  }
}

extension JournalState {
  /// The conversations of `records` with an open lease in `workspace`, or in any workspace when nil:
  /// which conversations a run must read, a compaction must keep and an index lists.
  public static func openConversations(_ records: [JournalRecord], workspace: String? = nil) -> Set<String> {
    let workspaces = workspace.map { [$0] } ?? Array(Set(records.map(\.workspace)))
    var out = Set<String>()
    for w in workspaces {
      for lease in JournalState(records, workspace: w).leases where lease.status == .open {
        out.insert(lease.conversation)
      }
    }
    return out
  }
}
