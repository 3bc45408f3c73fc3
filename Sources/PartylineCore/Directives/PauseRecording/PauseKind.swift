import YAMLReader
import WireTime

/// `pauseRecording`: the call's recording paused for at most `for` (≤ the Limits' `maxPause`), under a
/// lease on the call itself that Partyline always ends by resuming it (genesys-api.md §10.1: Genesys
/// has no maximum and no automatic resume). The secure pause needs no user on the call.
enum PauseKind: DirectiveKind {
  static let key: StaticString = "pauseRecording"
  static var entries: WritableKeyPath<ConversationPolicy, [PauseDirective]> { \.pauseRecording }
  static let entryKeys = MappingReader.KnownKeys(["for", "from", "reason"])
  static var needsActingUser: Bool { false }

  /// `pauseRecording` is one mapping, not a list.
  static func compile(
    _ spec: MappingReader.Fields, _ compiler: inout DocumentCompiler, into policy: inout ConversationPolicy
  ) {
    guard let node = spec[literal: key] else { return }
    if let d = compile(node, &compiler) { policy.pauseRecording = [d] }
  }

  static func compile(_ entry: Node, _ c: inout DocumentCompiler) -> PauseDirective? {
    guard let f = c.fields(entry, in: "spec.pauseRecording", known: entryKeys) else { return nil }
    let terms = c.leaseTerms(
      f, of: entry, "pauseRecording", example: "how long the recording may stay paused, such as '3m'",
      lease: "the pause's lease")
    guard let duration = terms.duration else { return nil }
    var d = PauseDirective(
      duration: duration, reason: terms.reason, location: entry.range,
      durationLocation: terms.durationLocation)
    d.from = terms.from
    return d
  }

  static func check(_ p: ConversationPolicy, limits: Limits, _ checker: inout SetChecker) {
    for d in p.pauseRecording where d.duration > limits.maxPause {
      let source = limits.location.map { " (Limits at \(SetChecker.place($0)))" } ?? " (the default)"
      checker.error(
        .durationExceedsMaxPause,
        "pauseRecording for '\(d.duration)' is longer than maxPause '\(limits.maxPause)'\(source)",
        d.durationLocation)
    }
  }

  static func digestText(_ d: PauseDirective) -> String {
    "|p:\(d.duration.seconds):\(d.reason ?? ""):\(d.from.rawValue)"
  }

  static func leaseDigests(_ p: ConversationPolicy, limits: Limits) -> [String] {
    p.pauseRecording.map(\.digest)
  }

  static func plan(_ p: ConversationPolicy, _ call: inout CallPlanning, _ run: inout PlanRun) {
    for d in p.pauseRecording {
      if let (other, otherPolicy) = call.pausedBy {
        // One pause per call: the first policy's (in name order) holds it; a second would resume it
        // at its own end while the first still wants it paused.
        run.changes.append(
          run.recordingNoop(
            p, d.digest, d.location, call,
            why:
              "the recording is paused by policy '\(otherPolicy)' (\(PlanRun.place(other.location))); one pause per call"
          ))
        continue
      }
      call.pausedBy = (d, p.name)
      run.planPause(d, policy: p, call: call)
    }
  }
}

extension PlanRun {
  /// What a change on the call's recording shows as its subject.
  static let recordingSubject = "recording"

  /// The recording's state for display.
  static func recordingState(_ conv: LiveConversation) -> String {
    switch conv.securePause {
    case true?: "paused"
    case false?: conv.recordingState == "none" ? "not recorded" : "recording"
    case nil: "unknown"
    }
  }

  /// A no-op on the call's recording.
  func recordingNoop(
    _ p: ConversationPolicy, _ digest: String, _ location: SourceRange, _ call: CallPlanning, why: String
  ) -> PlannedChange {
    let state = Self.recordingState(call.conv)
    return PlannedChange(
      .noop(participant: nil), conversation: call.cid, subject: Self.recordingSubject, policy: p.name,
      directive: digest, location: location, before: state, after: state, explanation: why)
  }

  /// When a call's first agent or user connected (`from: connect` of a pause): the earliest
  /// `connectedTime` of its ordinary agent and user legs; nil while none has connected, or when the
  /// call does not say (`known` false).
  static func firstConnect(_ conv: LiveConversation) -> (time: Double?, known: Bool) {
    let legs = conv.participants.filter {
      $0.isOrdinary && ($0.purpose == "agent" || $0.purpose == "user") && ($0.isConnected || $0.hasLeft)
    }
    let times = legs.compactMap(\.connectedTime)
    if let first = times.min() { return (first, true) }
    return (nil, legs.isEmpty)
  }

  /// The pause of the call's recording under the lease `d` names: opened, kept, paused again on drift
  /// (`onDrift`), or replacing the lease of a changed directive without a resume in between.
  mutating func planPause(_ d: PauseDirective, policy p: ConversationPolicy, call: CallPlanning) {
    let conv = call.conv
    let key = Lease.Key(
      policy: p.name, directive: d.digest, conversation: conv.id, participant: Lease.wholeCall)
    let paused = conv.securePause == true
    if let lease = JournalState.lease(key, in: leases) {
      if lease.status == .served {
        changes.append(recordingNoop(p, d.digest, d.location, call, why: "lease already served"))
        return
      }
      if now >= lease.endsAt { return }  // the resume was planned with the leases
      noteLeaseEnd(lease.endsAt)
      if paused {
        changes.append(
          recordingNoop(p, d.digest, d.location, call, why: "paused until \(Timestamp.iso8601(lease.endsAt))")
        )
      } else if !lease.outcomeKnown && now - lease.startedAt < 300 {
        changes.append(recordingNoop(p, d.digest, d.location, call, why: "the pause is on its way"))
      } else if p.onDrift == .reconcile && lease.endsAt - now >= Self.driftMargin.inSeconds {
        changes.append(
          PlannedChange(
            .pauseRecording(
              duration: PolicyDuration(seconds: max(1, Int(lease.endsAt - now))), reason: d.reason,
              dueAt: lease.endsAt), conversation: call.cid, subject: Self.recordingSubject, policy: p.name,
            directive: d.digest, location: d.location, before: Self.recordingState(conv), after: "paused",
            explanation:
              "drift: resumed by someone else; pausing again until \(Timestamp.iso8601(lease.endsAt)) (onDrift: reconcile)"
          ))
      } else if p.onDrift == .reconcile {
        changes.append(
          recordingNoop(
            p, d.digest, d.location, call,
            why:
              "drift: resumed by someone else; the lease ends within \(Int(Self.driftMargin.inSeconds)) s, not paused again"
          ))
      } else {
        finding(
          .warning, .drift,
          "the recording of conversation \(conv.id) was resumed by someone else; left alone (onDrift: respect)",
          d.location)
        changes.append(
          recordingNoop(
            p, d.digest, d.location, call,
            why: "drift: resumed by someone else; left alone (onDrift: respect)"))
      }
      return
    }
    var windowEnd: Double?
    var reasonText = "pause recording for \(d.duration)"
    if d.from == .connect {
      let first = Self.firstConnect(conv)
      guard let t = first.time else {
        changes.append(
          recordingNoop(
            p, d.digest, d.location, call,
            why: first.known
              ? "pending: from: connect, and no agent or user has connected yet"
              : "from: connect, but the call does not say when its first agent or user connected; not paused")
        )
        return
      }
      windowEnd = t + Double(d.duration.seconds)
      reasonText =
        "pause recording for what is left of \(d.duration) from when the first agent or user connected"
    }
    let duration: PolicyDuration
    switch leaseWindow(p, duration: d.duration, windowEnd: windowEnd, explanation: reasonText) {
    case .passed(let end):
      changes.append(recordingNoop(p, d.digest, d.location, call, why: LeaseWindow.passedText(end)))
      return
    case .open(let length, let end, let text):
      (duration, windowEnd, reasonText) = (length, end, text)
    }
    if paused {
      if replaceable[Lease.wholeCall] != nil {
        // A changed directive: the new lease opens while the recording stays paused; the old one is
        // closed by a later run once this one exists, never resumed in between.
        replaced.insert(Lease.wholeCall)
        noteLeaseEnd(windowEnd ?? now + Double(duration.seconds))
        changes.append(
          PlannedChange(
            .pauseRecording(duration: duration, reason: d.reason, dueAt: windowEnd), conversation: call.cid,
            subject: Self.recordingSubject, policy: p.name, directive: d.digest, location: d.location,
            before: "paused", after: "paused",
            explanation: "\(reasonText); replaces the lease of a changed directive without resuming"))
        return
      }
      changes.append(
        recordingNoop(
          p, d.digest, d.location, call, why: "already paused, not by this policy: left alone (no lease)"))
      return
    }
    if conv.recordingState == "none" {
      changes.append(recordingNoop(p, d.digest, d.location, call, why: "the call is not recorded"))
      return
    }
    noteLeaseEnd(windowEnd ?? now + Double(duration.seconds))
    changes.append(
      PlannedChange(
        .pauseRecording(duration: duration, reason: d.reason, dueAt: windowEnd), conversation: call.cid,
        subject: Self.recordingSubject, policy: p.name, directive: d.digest, location: d.location,
        before: Self.recordingState(conv), after: "paused", explanation: reasonText))
  }

  /// The lease pass for a pause lease (see `planLeases`): resumed at its end, or when its directive is
  /// gone; closed when the recording is already running again; left to a changed directive to
  /// replace. Needs nobody on the call.
  mutating func planPauseLease(
    _ lease: Lease, _ policy: ConversationPolicy?, expired: Bool, prunable: Bool, _ call: CallPlanning
  ) {
    let conv = call.conv
    if !expired && !prunable {
      noteLeaseEnd(lease.endsAt)
      return
    }
    if let other = leases.first(where: {
      $0.conversation == conv.id && $0.kind == .pauseRecording && $0.status == .open && $0.key != lease.key
        && now < $0.endsAt && !isGone($0)
    }) {
      closedLeases.append(
        ClosedLease(
          lease: lease,
          reason: "replaced by the lease of directive \(other.directive) of policy '\(other.policy)'"))
      return
    }
    if !expired {
      replaceable[Lease.wholeCall] = lease
      return
    }
    planResume(lease, policy, call, pruned: false)
  }

  /// The resume of a pause lease's recording, or its close when the recording already runs.
  mutating func planResume(
    _ lease: Lease, _ policy: ConversationPolicy?, _ call: CallPlanning, pruned: Bool
  ) {
    let conv = call.conv
    // A pause still on its way (no outcome yet, from a run that may still be sending it): not resumed
    // now, lest it land after the resume; a later plan decides.
    if conv.securePause == false && !lease.outcomeKnown && now - lease.startedAt < 300 {
      noteLeaseEnd(now + 1)
      return
    }
    let why =
      pruned
      ? "policy '\(lease.policy)' no longer holds this pause"
      : now >= lease.endsAt
        ? "lease ended at \(Timestamp.iso8601(lease.endsAt))"
        : "policy '\(lease.policy)' is outside its window: the lease ends now"
    if conv.securePause == false {
      closedLeases.append(ClosedLease(lease: lease, reason: "\(why); already resumed"))
      changes.append(
        PlannedChange(
          .noop(participant: nil), conversation: call.cid, subject: Self.recordingSubject,
          policy: lease.policy,
          directive: lease.directive, location: policy?.location, before: Self.recordingState(conv),
          after: Self.recordingState(conv), explanation: "lease ended; already resumed"))
      return
    }
    changes.append(
      PlannedChange(
        .resumeRecording(dueAt: lease.endsAt, pruned: pruned), conversation: call.cid,
        subject: Self.recordingSubject, policy: lease.policy, directive: lease.directive,
        location: policy?.location, before: Self.recordingState(conv), after: "recording", explanation: why))
  }
}
