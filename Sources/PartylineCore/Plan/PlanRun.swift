public import YAMLReader
public import WireTime

struct PlanRun {
  let planner: Planner
  let set: PolicySet
  let live: LiveState
  let now: Double
  var leases: [Lease] = []
  var changes: [PlannedChange] = []
  var findings: [Diagnostic] = []
  var nextLeaseEnd: Double?
  var closedLeases: [ClosedLease] = []
  /// Leases whose directive is gone, decided after the policies: a changed directive on the same
  /// participant replaces the lease (no unmute in between) instead of pruning it.
  var replaceable: [String: Lease] = [:]
  /// Participants whose lease a changed directive's new mute replaces in this plan.
  var replaced = Set<String>()

  init(planner: Planner, set: PolicySet, live: LiveState, now: Double) {
    self.planner = planner
    self.set = set
    self.live = live
    self.now = now
  }

  mutating func finding(
    _ severity: Diagnostic.Severity, _ id: String, _ message: String, _ at: SourceRange?,
    related: [Diagnostic.Related] = []
  ) {
    let range = at ?? SourceRange(file: set.files.first ?? "policies", line: 1, column: 1)
    findings.append(Diagnostic(severity, id: id, message: message, range: range, related: related))
  }

  mutating func noteLeaseEnd(_ t: Double) { nextLeaseEnd = min(nextLeaseEnd ?? t, t) }

  func describe(_ p: LiveParticipant) -> String {
    if let uid = p.userId, let u = live.users[uid] { return u.email ?? u.name ?? uid }
    if let name = p.name, !name.isEmpty { return name }
    if let a = p.address { return p.phoneNumber ?? a }
    return p.id
  }

  /// A drift re-mute is not sent this close to its lease's end (seconds): it could land after the revert.
  static let driftMargin = 5.0

  static func place(_ r: SourceRange) -> String { "\(r.file):\(r.start.line):\(r.start.column)" }

  mutating func planConversation(_ cid: String) {
    if planner.skipUnread && live.conversations[cid] == nil { return }
    let policies = set.policies.filter { $0.conversation == cid }
    // Leases of a conversation that was read and is gone or over need no revert: close them. (A
    // conversation that was not read says nothing.)
    if let conv = live.conversations[cid], conv.status == .notFound || !conv.isLive {
      for lease in leases where lease.conversation == cid && lease.status == .open {
        closedLeases.append(
          ClosedLease(
            lease: lease,
            reason: conv.status == .notFound ? "the conversation was not found" : "the conversation has ended"
          ))
      }
    }
    guard let conv = live.conversations[cid], conv.status == .found else {
      for p in policies {
        changes.append(
          PlannedChange(
            .noop(participant: nil), conversation: cid, subject: "conversation \(cid)", policy: p.name,
            directive: "", location: p.location, before: "unknown", after: "unknown",
            explanation: "conversation not found", blocked: "conversation \(cid) was not found"))
        finding(
          .error, "conversation_not_found", "conversation \(cid) was not found",
          p.conversationLocation ?? p.location)
      }
      return
    }
    if !conv.isLive {
      for p in policies {
        changes.append(
          PlannedChange(
            .noop(participant: nil), conversation: cid, subject: "conversation \(cid)", policy: p.name,
            directive: "", location: p.location, before: "ended", after: "ended",
            explanation: "the conversation has ended"))
      }
      return
    }
    let byId = Dictionary(conv.participants.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
    var handled = Set<String>()  // participants a revert or prune already takes care of

    // Leases first: reverts are the promise.
    for lease in leases where lease.conversation == cid && lease.status == .open {
      let policy = set.policies.first { $0.name == lease.policy }
      let directiveExists =
        policy.map { p in
          p.mute.contains { Planner.directiveDigest($0) == lease.directive }
            || p.add.contains { Planner.observerDigest($0, maxMute: set.limits.maxMute) == lease.directive }
        } ?? false
      let gone = policy == nil || !directiveExists
      let expired = now >= lease.endsAt
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
        $0.conversation == cid && $0.participant == lease.participant && $0.status == .open
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
      let acting = revertActingUser(policy, conv)
      handled.insert(participant.id)
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
            .noop(participant: participant.id), conversation: cid, subject: describe(participant),
            policy: lease.policy, directive: lease.directive, location: policy?.location, before: "unmuted",
            after: "unmuted", explanation: "lease ended; already unmuted"))
        continue
      }
      if let reason = acting.blocked { stuck(describe(participant), lease, reason, policy) }
      changes.append(
        PlannedChange(
          action == .revert
            ? .revert(participant: participant.id, dueAt: lease.endsAt)
            : .prune(participant: participant.id, dueAt: lease.endsAt),
          conversation: cid, subject: describe(participant), actingUser: acting.user, policy: lease.policy,
          directive: lease.directive, location: policy?.location, before: "muted", after: "unmuted",
          explanation: expired
            ? "lease ended at \(Timestamp.iso8601(lease.endsAt))"
            : "policy '\(lease.policy)' no longer holds this mute", blocked: acting.blocked))
    }

    var mutedBy: [String: (MuteDirective, String)] = [:]  // participant → directive, policy
    var unmutedBy: [String: (UnmuteDirective, String)] = [:]
    var admission = Admission(
      limits: set.limits, conversationMax: conv.maxParticipants,
      present: conv.participants.filter { !$0.hasLeft }.count, roles: planner.addedRoles[cid] ?? [:])

    for p in policies {
      let acting = actingUser(p, conv)
      // A selected call nobody has answered yet (it waits in the queue, or the actAs user is not on
      // it): the normal way a call starts, not a failure. Pending, like a participant still ringing;
      // the call's next event or reconcile acts once someone is connected.
      if p.boundBy != nil, let reason = acting.blocked {
        finding(
          .warning, "call_unanswered", "policy '\(p.name)': \(reason); acting once someone is connected",
          p.boundBy?.location ?? p.location)
        changes.append(
          PlannedChange(
            .noop(participant: nil), conversation: cid, subject: "conversation \(cid)", policy: p.name,
            directive: "", location: p.location, before: "unanswered", after: "unanswered",
            explanation: "pending: \(reason)"))
        continue
      }
      if let reason = acting.blocked {
        finding(
          .warning, "acting_user_unavailable", "policy '\(p.name)': \(reason)",
          p.actAsLocation ?? p.conversationLocation ?? p.location)
      }
      // Mutes.
      for m in p.mute {
        let digest = Planner.directiveDigest(m)
        for target in resolve(m.selector, conv, location: m.location, policy: p.name) {
          if let (other, otherPolicy) = mutedBy[target.id] {
            if other.duration != m.duration {
              finding(
                .error, "conflicting_mute",
                "\(describe(target)) is muted for '\(m.duration)' here and for '\(other.duration)' by policy '\(otherPolicy)' at \(Self.place(other.location))",
                m.location, related: [.init(message: "other mute", range: other.location)])
            }
            continue
          }
          mutedBy[target.id] = (m, p.name)
          if handled.contains(target.id) { continue }
          planMute(
            target, policy: p, acting: acting, digest: digest, duration: m.duration, reason: m.reason,
            location: m.location, conv: conv, reasonText: "mute for \(m.duration)")
        }
      }
      // Unmutes.
      for u in p.unmute {
        for target in resolve(u.selector, conv, location: u.location, policy: p.name) {
          if let (m, otherPolicy) = mutedBy[target.id] {
            finding(
              .error, "mute_unmute_conflict",
              "\(describe(target)) is unmuted here and muted by policy '\(otherPolicy)' at \(Self.place(m.location))"
                + (p.boundBy != nil ? " (in call \(cid), which both select)" : ""),
              u.location, related: [.init(message: "muted here", range: m.location)])
            continue
          }
          if unmutedBy[target.id] != nil || handled.contains(target.id) { continue }
          unmutedBy[target.id] = (u, p.name)
          if target.isPending {
            pending(target, p, u.location)
            continue
          }
          if !target.muted {
            changes.append(
              noop(target, p, "", u.location, state: "unmuted", why: "already unmuted"))
            continue
          }
          changes.append(
            PlannedChange(
              .unmute(participant: target.id), conversation: cid, subject: describe(target),
              actingUser: acting.user, policy: p.name, directive: "", location: u.location, before: "muted",
              after: "unmuted", explanation: "unmute", blocked: acting.blocked))
        }
      }
      // Adds.
      for a in p.add {
        let rule = set.limits.role(named: a.role)
        let existing: LiveParticipant?
        var subject: String
        switch a.target {
        case .user(let ref):
          subject = "\(ref)"
          guard let uid = live.userId(ref) else {
            finding(.error, "user_not_found", "user '\(ref)' was not found in the directory", a.location)
            changes.append(
              PlannedChange(
                .add(a.target, role: a.role), conversation: cid, subject: subject, policy: p.name,
                directive: "", location: a.location, before: "absent", after: "absent",
                explanation: "add as \(a.role)", blocked: "user '\(ref)' was not found in the directory"))
            continue
          }
          existing = conv.participants.first { $0.userId == uid && !$0.hasLeft }
          subject = live.users[uid]?.email ?? subject
        case .address(let address):
          subject = address
          existing = conv.participants.first { $0.hasNumber(address) && !$0.hasLeft }
        }
        if let existing {
          changes.append(
            noop(
              existing, p, "", a.location, state: existing.state, why: "already present (\(existing.state))"))
          if existing.isConnected, let rule, rule.muted {
            let digest = Planner.observerDigest(a, maxMute: set.limits.maxMute)
            if !handled.contains(existing.id) && mutedBy[existing.id] == nil {
              planMute(
                existing, policy: p, acting: acting, digest: digest, duration: set.limits.maxMute,
                reason: "role '\(a.role)' joins muted", location: a.location, conv: conv,
                reasonText: "role '\(a.role)' is muted once connected, for maxMute \(set.limits.maxMute)")
            }
          } else if existing.isPending {
            pending(existing, p, a.location)
          }
          continue
        }
        var blocked = acting.blocked
        // A blocked change's reason is its finding's message, so views that show both can tell.
        for refusal in admission.refusals(role: a.role) {
          switch refusal {
          case .roleMax(_, let max):
            let why =
              "adding '\(subject)' as '\(a.role)' would exceed the role's max of \(max) in conversation \(cid)"
            finding(.error, "role_max_exceeded", why, a.roleLocation)
            blocked = why
          case .capacity(let count, let capacity):
            let limitText =
              conv.maxParticipants.map {
                "conversation maxParticipants \($0), Limits maxParticipants \(set.limits.maxParticipants)"
              }
              ?? "Limits maxParticipants \(set.limits.maxParticipants)"
            let why =
              "adding '\(subject)' would make \(count) participants, more than \(capacity) (\(limitText))"
            finding(.error, "capacity_exceeded", why, a.location)
            blocked = blocked ?? why
          }
        }
        if blocked == nil { admission.admit(role: a.role) }
        changes.append(
          PlannedChange(
            .add(resolvedTarget(a.target), role: a.role), conversation: cid, subject: subject,
            actingUser: acting.user, policy: p.name, directive: "", location: a.location, before: "absent",
            after: "alerting", explanation: "add as \(a.role)", blocked: blocked))
      }
    }
    planPrunes(cid, conv)

  }

  /// Whether a lease's directive is gone from the policy set.
  func isGone(_ lease: Lease) -> Bool {
    guard let policy = set.policies.first(where: { $0.name == lease.policy }) else { return true }
    return
      !(policy.mute.contains { Planner.directiveDigest($0) == lease.directive }
      || policy.add.contains { Planner.observerDigest($0, maxMute: set.limits.maxMute) == lease.directive })
  }

  /// Leases whose directive is gone: pruned (unmuted), unless a changed directive muted the same
  /// participant again in this plan (then the lease stays until the new one is open, and a later run
  /// closes it without an unmute).
  mutating func planPrunes(_ cid: String, _ conv: LiveConversation) {
    let byId = Dictionary(conv.participants.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
    for (pid, lease) in replaceable.sorted(by: { $0.key < $1.key }) {
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
      if let reason = acting.blocked { stuck(describe(participant), lease, reason, policy) }
      changes.append(
        PlannedChange(
          .prune(participant: pid, dueAt: lease.endsAt), conversation: cid, subject: describe(participant),
          actingUser: acting.user, policy: lease.policy, directive: lease.directive,
          location: policy?.location, before: "muted", after: "unmuted",
          explanation: "policy '\(lease.policy)' no longer holds this mute", blocked: acting.blocked))
    }
    replaceable = [:]
    replaced = []
  }

  /// The add target with emails resolved to user ids (the API adds by id).
  func resolvedTarget(_ t: AddTarget) -> AddTarget {
    if case .user(let ref) = t, let uid = live.userId(ref) { return .user(.id(uid)) }
    return t
  }

  mutating func planMute(
    _ target: LiveParticipant, policy p: ConversationPolicy, acting: (user: String?, blocked: String?),
    digest: String, duration: PolicyDuration, reason: String?, location: SourceRange, conv: LiveConversation,
    reasonText: String
  ) {
    if target.isPending {
      pending(target, p, location)
      return
    }
    let key = Lease.Key(policy: p.name, directive: digest, conversation: conv.id, participant: target.id)
    if let lease = JournalState.lease(key, in: leases) {
      if lease.status == .served {
        changes.append(
          noop(
            target, p, digest, location, state: target.muted ? "muted" : "unmuted",
            why: "lease already served"))
        return
      }
      if now >= lease.endsAt {
        return  // the revert was planned with the leases
      }
      noteLeaseEnd(lease.endsAt)
      if target.muted {
        changes.append(
          noop(
            target, p, digest, location, state: "muted", why: "muted until \(Timestamp.iso8601(lease.endsAt))"
          ))
      } else if p.onDrift == .reconcile && lease.endsAt - now < Self.driftMargin {
        // So close to the lease's end, a re-mute could land after the revert and outlive the lease.
        changes.append(
          noop(
            target, p, digest, location, state: "unmuted",
            why:
              "drift: unmuted by someone else; the lease ends within \(Int(Self.driftMargin)) s, not muted again"
          ))
      } else if p.onDrift == .reconcile {
        changes.append(
          PlannedChange(
            .mute(
              participant: target.id, duration: PolicyDuration(seconds: max(1, Int(lease.endsAt - now))),
              reason: reason, dueAt: lease.endsAt), conversation: conv.id, subject: describe(target),
            actingUser: acting.user, policy: p.name, directive: digest, location: location, before: "unmuted",
            after: "muted",
            explanation:
              "drift: unmuted by someone else; muting again until \(Timestamp.iso8601(lease.endsAt)) (onDrift: reconcile)",
            blocked: acting.blocked))
      } else {
        finding(
          .warning, "drift", "\(describe(target)) was unmuted by someone else; left alone (onDrift: respect)",
          location)
        changes.append(
          noop(
            target, p, digest, location, state: "unmuted",
            why: "drift: unmuted by someone else; left alone (onDrift: respect)"))
      }
      return
    }
    if target.muted {
      if replaceable[target.id] != nil {
        // A changed directive: the new lease opens while the participant stays muted; the old one is
        // closed by a later run once this one exists, never unmuted in between.
        replaced.insert(target.id)
        noteLeaseEnd(now + Double(duration.seconds))
        changes.append(
          PlannedChange(
            .mute(participant: target.id, duration: duration, reason: reason, dueAt: nil),
            conversation: conv.id, subject: describe(target), actingUser: acting.user, policy: p.name,
            directive: digest, location: location, before: "muted", after: "muted",
            explanation: "\(reasonText); replaces the lease of a changed directive without unmuting",
            blocked: acting.blocked))
        return
      }
      changes.append(noop(target, p, digest, location, state: "muted", why: "already muted"))
      return
    }
    noteLeaseEnd(now + Double(duration.seconds))
    changes.append(
      PlannedChange(
        .mute(participant: target.id, duration: duration, reason: reason, dueAt: nil), conversation: conv.id,
        subject: describe(target), actingUser: acting.user, policy: p.name, directive: digest,
        location: location, before: "unmuted", after: "muted", explanation: reasonText,
        blocked: acting.blocked))
  }

  mutating func pending(_ target: LiveParticipant, _ p: ConversationPolicy, _ location: SourceRange) {
    finding(
      .warning, "participant_pending", "\(describe(target)) is \(target.state), not yet connected", location)
    changes.append(
      noop(target, p, "", location, state: target.state, why: "pending: \(target.state), not yet connected"))
  }

  func noop(
    _ target: LiveParticipant, _ p: ConversationPolicy, _ digest: String, _ location: SourceRange,
    state: String,
    why: String
  ) -> PlannedChange {
    PlannedChange(
      .noop(participant: target.id), conversation: p.conversation, subject: describe(target), policy: p.name,
      directive: digest, location: location, before: state, after: state, explanation: why)
  }

  /// Live participants a selector matches, skipping those who left. A selector that matches nobody
  /// is a warning.
  mutating func resolve(
    _ selector: ParticipantSelector, _ conv: LiveConversation, location: SourceRange, policy: String
  ) -> [LiveParticipant] {
    let matches: [LiveParticipant]
    switch selector {
    case .participant(let id): matches = conv.participants.filter { $0.id == id }
    case .purpose(let purpose): matches = conv.participants.filter { $0.purpose == purpose }
    case .user(let ref):
      guard let uid = live.userId(ref) else {
        finding(.error, "user_not_found", "user '\(ref)' was not found in the directory", location)
        return []
      }
      matches = conv.participants.filter { $0.userId == uid }
    }
    let active = matches.filter { !$0.hasLeft }
    if active.isEmpty {
      finding(
        .warning, "no_match",
        matches.isEmpty
          ? "\(selector) matches no participant of conversation \(conv.id)"
          : "\(selector) matches only participants who have left conversation \(conv.id)", location)
    }
    return active
  }

  /// The user on whose behalf changes are made: `actAs` when connected, else the first connected agent
  /// or user participant; otherwise the reason the policy is blocked.
  func actingUser(_ p: ConversationPolicy?, _ conv: LiveConversation) -> (user: String?, blocked: String?) {
    if let actAs = p?.actAs {
      guard let uid = live.userId(actAs) else {
        return (nil, "actAs user '\(actAs)' was not found in the directory")
      }
      if conv.participants.contains(where: { $0.userId == uid && $0.isConnected }) { return (uid, nil) }
      return (nil, "actAs user '\(actAs)' is not connected to conversation \(conv.id)")
    }
    if let first = Self.anyActingUser(conv) { return (first, nil) }
    return (nil, "no connected agent or user participant to act on behalf of in conversation \(conv.id)")
  }

  /// The user on whose behalf a revert or prune is made. A revert never waits for a particular
  /// person: `actAs` when it is connected, else any connected agent or user of the call. Nobody: the
  /// revert is stuck (reported, and tried again at the call's next event or reconcile).
  func revertActingUser(_ p: ConversationPolicy?, _ conv: LiveConversation) -> (
    user: String?, blocked: String?
  ) {
    if let actAs = p?.actAs, let uid = live.userId(actAs),
      conv.participants.contains(where: { $0.userId == uid && $0.isConnected })
    {
      return (uid, nil)
    }
    if let any = Self.anyActingUser(conv) { return (any, nil) }
    return (
      nil,
      "stuck: no connected agent or user participant can act in conversation \(conv.id); tried again at its next event or reconcile"
    )
  }

  /// The first connected agent or user participant with a user, in the order the API lists them.
  static func anyActingUser(_ conv: LiveConversation) -> String? {
    conv.participants.first {
      $0.isConnected && ($0.purpose == "agent" || $0.purpose == "user") && $0.userId != nil
    }?.userId
  }

  /// Reports a revert (or prune) nobody on the call can make: a warning on every run until it is made
  /// or the call ends.
  mutating func stuck(_ subject: String, _ lease: Lease, _ reason: String, _ policy: ConversationPolicy?) {
    finding(
      .warning, "revert_stuck",
      "the revert of \(subject) (policy '\(lease.policy)', lease ended at \(Timestamp.iso8601(lease.endsAt))) is \(reason)",
      policy?.location)
  }
}
