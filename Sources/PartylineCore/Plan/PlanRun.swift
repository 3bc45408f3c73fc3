import YAMLReader
import WireTime

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
    _ severity: Diagnostic.Severity, _ id: DiagnosticID, _ message: String, _ at: SourceRange?,
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

  /// A drift re-mute is not sent this close to its lease's end: it could land after the revert.
  static let driftMargin: Duration = .seconds(5)
  /// A mute whose window (`from: connect`) ends sooner than this is not sent: the applier never sends
  /// a mute within a second of its lease's end (it could land after its revert).
  static let windowMargin: Duration = .seconds(1)

  static func place(_ r: SourceRange) -> String { "\(r.file):\(r.start.line):\(r.start.column)" }

  mutating func planConversation(_ cid: String) {
    // A policy's conversation is checked when it is compiled; a lease's comes from the journal, and
    // one that is not a UUID was not written by Partyline: it is said, and left alone.
    guard let id = ConversationId(cid) else {
      for lease in leases where lease.conversation == cid && lease.status == .open {
        finding(
          .warning, .journalUnreadable,
          "a lease of policy '\(UntrustedText.clean(lease.policy))' names conversation '\(UntrustedText.clean(cid))', which is not a UUID: left alone",
          nil)
      }
      return
    }
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
            .noop(participant: nil), conversation: id, subject: "conversation \(cid)", policy: p.name,
            directive: "", location: p.location, before: "unknown", after: "unknown",
            explanation: "conversation not found", blocked: "conversation \(cid) was not found"))
        finding(
          .error, .conversationNotFound, "conversation \(cid) was not found",
          p.conversationLocation ?? p.location)
      }
      return
    }
    if !conv.isLive {
      for p in policies {
        changes.append(
          PlannedChange(
            .noop(participant: nil), conversation: id, subject: "conversation \(cid)", policy: p.name,
            directive: "", location: p.location, before: "ended", after: "ended",
            explanation: "the conversation has ended"))
      }
      return
    }
    var call = CallPlanning(
      conv: conv, cid: id,
      admission: Admission(
        limits: set.limits, conversationMax: conv.maxParticipants,
        present: conv.participants.filter { !$0.hasLeft }.count, roles: planner.addedRoles[cid] ?? [:]))
    // Leases first: reverts are the promise.
    planLeases(&call)
    for p in policies {
      // Outside its schedule or past `until`, a policy plans nothing new (said once, by the planner);
      // its leases are the lease pass's.
      guard case .active = p.activity(at: now) else { continue }
      call.acting = actingUser(p, conv)
      // A selected call nobody has answered yet (it waits in the queue, or the actAs user is not on
      // it): the normal way a call starts, not a failure. Pending, like a participant still ringing;
      // the call's next event or reconcile acts once someone is connected.
      // Kinds that need nobody on the call (the recording's pause) plan either way.
      let waits = DirectiveKinds.all.contains { $0.needsActingUser && $0.has(p) }
      if p.boundBy != nil, let reason = call.acting.blocked {
        if waits {
          finding(
            .warning, .callUnanswered, "policy '\(p.name)': \(reason); acting once someone is connected",
            p.boundBy?.location ?? p.location)
          changes.append(
            PlannedChange(
              .noop(participant: nil), conversation: id, subject: "conversation \(cid)", policy: p.name,
              directive: "", location: p.location, before: "unanswered", after: "unanswered",
              explanation: "pending: \(reason)"))
        }
        for kind in DirectiveKinds.all where !kind.needsActingUser { kind.plan(p, &call, &self) }
        continue
      }
      if waits, let reason = call.acting.blocked {
        finding(
          .warning, .actingUserUnavailable, "policy '\(p.name)': \(reason)",
          p.actAsLocation ?? p.conversationLocation ?? p.location)
      }
      for kind in DirectiveKinds.all { kind.plan(p, &call, &self) }
    }
    planPrunes(call)

  }

  /// The add target with emails resolved to user ids (the API adds by id).
  func resolvedTarget(_ t: AddTarget) -> AddTarget {
    if case .user(let ref) = t, let uid = live.userId(ref) { return .user(.id(uid)) }
    return t
  }

  mutating func pending(
    _ target: LiveParticipant, _ p: ConversationPolicy, _ location: SourceRange, in cid: ConversationId
  ) {
    finding(
      .warning, .participantPending, "\(describe(target)) is \(target.state), not yet connected", location)
    changes.append(
      noop(
        in: cid, target, p, "", location, state: target.state,
        why: "pending: \(target.state), not yet connected"))
  }

  func noop(
    in cid: ConversationId, _ target: LiveParticipant, _ p: ConversationPolicy, _ digest: String,
    _ location: SourceRange,
    state: String,
    why: String
  ) -> PlannedChange {
    PlannedChange(
      .noop(participant: target.id), conversation: cid, subject: describe(target), policy: p.name,
      directive: digest, location: location, before: state, after: state, explanation: why)
  }

  /// Live participants a selector matches, skipping those who left. A selector that matches nobody
  /// is a warning.
  mutating func resolve(
    _ selector: ParticipantSelector, _ conv: LiveConversation, location: SourceRange, policy: String
  ) -> [(LiveParticipant, ParticipantId)] {
    let matches: [LiveParticipant]
    switch selector {
    case .participant(let id): matches = conv.participants.filter { $0.id == id }
    // A leg Genesys added for supervision is never matched by a purpose (DESIGN §1).
    case .purpose(let purpose): matches = conv.participants.filter { $0.purpose == purpose && $0.isOrdinary }
    case .user(let ref):
      guard let uid = live.userId(ref) else {
        finding(.error, .userNotFound, "user '\(ref)' was not found in the directory", location)
        return []
      }
      matches = conv.participants.filter { $0.userId == uid }
    }
    var active: [(LiveParticipant, ParticipantId)] = []
    for p in matches where !p.hasLeft {
      if let id = checkedId(p, conv, location: location) { active.append((p, id)) }
    }
    if active.isEmpty && !matches.contains(where: { !$0.hasLeft }) {
      finding(
        .warning, .noMatch,
        matches.isEmpty
          ? "\(selector) matches no participant of conversation \(conv.id)"
          : "\(selector) matches only participants who have left conversation \(conv.id)", location)
    }
    return active
  }

  /// The participant's id, checked: what the API says is input, and an id that is not a UUID never
  /// reaches an effect (or a URL); it is an `invalid_id` finding instead.
  mutating func checkedId(_ p: LiveParticipant, _ conv: LiveConversation, location: SourceRange)
    -> ParticipantId?
  {
    if let id = ParticipantId(p.id) { return id }
    finding(
      .error, .invalidId, "participant id '\(p.id)' of conversation \(conv.id) is not a UUID: not acted on",
      location)
    return nil
  }

  /// The user on whose behalf changes are made: `actAs` when connected, else the first connected agent
  /// or user participant; otherwise the reason the policy is blocked.
  func actingUser(_ p: ConversationPolicy?, _ conv: LiveConversation) -> (user: String?, blocked: String?) {
    if let actAs = p?.actAs {
      guard let uid = live.userId(actAs) else {
        return (nil, "actAs user '\(actAs)' was not found in the directory")
      }
      if conv.participants.contains(where: { $0.userId == uid && $0.isConnected && $0.isOrdinary }) {
        return (uid, nil)
      }
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
      conv.participants.contains(where: { $0.userId == uid && $0.isConnected && $0.isOrdinary })
    {
      return (uid, nil)
    }
    if let any = Self.anyActingUser(conv) { return (any, nil) }
    return (
      nil,
      "stuck: no connected agent or user participant can act in conversation \(conv.id); tried again at its next event or reconcile"
    )
  }

  /// The first connected agent or user participant with a user, in the order the API lists them (a
  /// supervision leg never acts: DESIGN §1).
  static func anyActingUser(_ conv: LiveConversation) -> String? {
    conv.participants.first {
      $0.isConnected && $0.isOrdinary && ($0.purpose == "agent" || $0.purpose == "user") && $0.userId != nil
    }?.userId
  }

  /// Reports a revert (or prune) nobody on the call can make: a warning on every run until it is made
  /// or the call ends.
  mutating func stuck(_ subject: String, _ lease: Lease, _ reason: String, _ policy: ConversationPolicy?) {
    finding(
      .warning, .revertStuck,
      "the revert of \(subject) (policy '\(lease.policy)', lease ended at \(Timestamp.iso8601(lease.endsAt))) is \(reason)",
      policy?.location)
  }
}
