import YAMLReader
import WireTime

extension PlanRun {
  /// The lease pass of one call, before its policies are planned: each open lease that has ended is
  /// reverted, each whose directive is gone is pruned (or left to a changed directive to replace),
  /// each whose participant left is closed. Reverts are the promise, so they come first.
  mutating func planLeases(_ call: inout CallPlanning) {
    let byId = Dictionary(call.conv.participants.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
    for lease in leases where lease.conversation == call.cid.rawValue && lease.status == .open {
      let policy = set.policies.first { $0.name == lease.policy }
      let gone = isGone(lease)
      // A lease ends at the latest when its policy's window closes or at its until: one opened under
      // an older calendar (the policy's until moved earlier since) is due now.
      let windowClosed: Bool
      if let policy, case .active = policy.activity(at: now) {
        windowClosed = false
      } else {
        windowClosed = policy?.calendar != nil
      }
      let expired = now >= lease.endsAt || windowClosed
      if lease.kind == .pauseRecording {
        let prunable = gone && planner.wholeSet && lease.startedAt < planner.policiesReadAt
        planPauseLease(lease, policy, expired: expired, prunable: prunable, call)
        continue
      }
      // Only a participant seen disconnected (or the call read as ended) closes a lease: one missing
      // from a body (a partial event) says nothing, and the lease waits for a later read.
      guard let participant = byId[lease.participant] else {
        if !expired { noteLeaseEnd(lease.endsAt) }
        continue
      }
      if participant.hasLeft {
        closedLeases.append(ClosedLease(lease: lease, reason: "the participant left"))
        continue
      }
      let prunable = gone && planner.wholeSet && lease.startedAt < planner.policiesReadAt
      if !expired && !prunable {
        noteLeaseEnd(lease.endsAt)
        continue
      }
      // Another lease on this participant still runs (it replaced this one): that lease unmutes at its
      // end; this one is done without an unmute.
      if let other = leases.first(where: {
        $0.conversation == call.cid.rawValue && $0.participant == lease.participant && $0.status == .open
          && $0.key != lease.key && now < $0.endsAt && !isGone($0)
      }) {
        closedLeases.append(
          ClosedLease(
            lease: lease,
            reason: "replaced by the lease of directive \(other.directive) of policy '\(other.policy)'"))
        continue
      }
      if !expired {
        replaceable[participant.id] = lease
        continue
      }
      let acting = revertActingUser(policy, call.conv)
      call.handled.insert(participant.id)
      let action: PlannedChange.Action = expired ? .revert : .prune
      // A mute still on its way (no outcome yet, from a run that may still be sending it): neither
      // closed as "already unmuted" nor reverted now, lest it land after the unmute; a later plan decides.
      if !participant.muted && !lease.outcomeKnown && now - lease.startedAt < 300 {
        noteLeaseEnd(now + 1)
        continue
      }
      if !participant.muted {
        closedLeases.append(
          ClosedLease(
            lease: lease, reason: expired ? "lease ended; already unmuted" : "policy gone; already unmuted"))
        changes.append(
          PlannedChange(
            .noop(participant: participant.id), conversation: call.cid, subject: describe(participant),
            policy: lease.policy, directive: lease.directive, location: policy?.location, before: "unmuted",
            after: "unmuted", explanation: "lease ended; already unmuted"))
        continue
      }
      guard let pid = ParticipantId(participant.id) else {
        stuck(describe(participant), lease, "refused: its participant id is not a UUID", policy)
        continue
      }
      if let reason = acting.blocked { stuck(describe(participant), lease, reason, policy) }
      changes.append(
        PlannedChange(
          action == .revert
            ? .revert(participant: pid, dueAt: lease.endsAt)
            : .prune(participant: pid, dueAt: lease.endsAt),
          conversation: call.cid, subject: describe(participant), actingUser: acting.user,
          policy: lease.policy,
          directive: lease.directive, location: policy?.location, before: "muted", after: "unmuted",
          explanation: expired
            ? (now >= lease.endsAt
              ? "lease ended at \(Timestamp.iso8601(lease.endsAt))"
              : "policy '\(lease.policy)' is outside its window: the lease ends now")
            : "policy '\(lease.policy)' no longer holds this mute", blocked: acting.blocked))
    }
  }

  /// Whether a lease's directive is gone from the policy set.
  func isGone(_ lease: Lease) -> Bool {
    guard let policy = set.policies.first(where: { $0.name == lease.policy }) else { return true }
    return !DirectiveKinds.all.contains {
      $0.leaseDigests(policy, limits: set.limits).contains(lease.directive)
    }
  }

  /// Leases whose directive is gone: pruned (unmuted), unless a changed directive muted the same
  /// participant again in this plan (then the lease stays until the new one is open, and a later run
  /// closes it without an unmute).
  mutating func planPrunes(_ call: CallPlanning) {
    let (cid, conv) = (call.cid, call.conv)
    let byId = Dictionary(conv.participants.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
    for (pid, lease) in replaceable.sorted(by: { $0.key < $1.key }) {
      if pid == Lease.wholeCall, !replaced.contains(pid) {
        planResume(lease, set.policies.first { $0.name == lease.policy }, call, pruned: true)
        continue
      }
      guard !replaced.contains(pid), let participant = byId[pid] else { continue }
      // A directive of the set unmutes this participant now: that unmute is the one call.
      if changes.contains(where: { $0.conversation == cid && $0.participant == pid && $0.action == .unmute })
      {
        continue
      }
      let policy = set.policies.first { $0.name == lease.policy }
      if !participant.muted {
        closedLeases.append(ClosedLease(lease: lease, reason: "policy gone; already unmuted"))
        changes.append(
          PlannedChange(
            .noop(participant: pid), conversation: cid, subject: describe(participant), policy: lease.policy,
            directive: lease.directive, location: policy?.location, before: "unmuted", after: "unmuted",
            explanation: "lease ended; already unmuted"))
        continue
      }
      let acting = revertActingUser(policy, conv)
      guard let checked = ParticipantId(pid) else {
        stuck(describe(participant), lease, "refused: its participant id is not a UUID", policy)
        continue
      }
      if let reason = acting.blocked { stuck(describe(participant), lease, reason, policy) }
      changes.append(
        PlannedChange(
          .prune(participant: checked, dueAt: lease.endsAt), conversation: cid,
          subject: describe(participant),
          actingUser: acting.user, policy: lease.policy, directive: lease.directive,
          location: policy?.location, before: "muted", after: "unmuted",
          explanation: "policy '\(lease.policy)' no longer holds this mute", blocked: acting.blocked))
    }
    replaceable = [:]
    replaced = []
  }
}
