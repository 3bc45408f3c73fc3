import YAMLReader

/// `add`: bring a user or a phone number into the call as a role the Limits allow. A party of a muted
/// role (`observer`) is muted once connected, under a lease of `maxMute`.
enum AddKind: DirectiveKind {
  static let key: StaticString = "add"
  static var entries: WritableKeyPath<ConversationPolicy, [AddDirective]> { \.add }
  static let entryKeys = MappingReader.KnownKeys(["user", "address", "role"])

  static func compile(_ entry: Node, _ c: inout DocumentCompiler) -> AddDirective? {
    guard let f = c.fields(entry, in: "add entry", known: entryKeys) else { return nil }
    var first: MappingReader.Field?
    var second: MappingReader.Field?
    for e in f.entries where e.name == "user" || e.name == "address" {
      if first == nil {
        first = e
      } else {
        second = e
        break
      }
    }
    var target: AddTarget?
    if first == nil {
      c.error(.missingSelector, "add entry needs one of 'user' or 'address'", c.keyRange(entry))
    } else if let second {
      c.error(
        .multipleSelectors, "add entry has both 'user' and 'address'; use one entry per participant",
        second.key.range)
    } else if let first, first.name == "user" {
      target = c.userRef(first.value, "user").map(AddTarget.user)
    } else if let first, let s = c.string(first.value, "address") {
      if Grammar.isE164(s) {
        target = .address(s)
      } else {
        c.error(
          .invalidPhone,
          "invalid phone number '\(s)': expected E.164, a '+' and 8 to 15 digits such as '+4930123456'",
          first.value.range)
      }
    }
    var role: String?
    var roleLocation = entry.range
    if let r = f["role"] {
      roleLocation = r.range
      role = c.string(r, "role")
    } else {
      c.error(.missingKey, "add entry is missing required key 'role'", c.keyRange(entry))
    }
    guard let target, let role else { return nil }
    return AddDirective(target: target, role: role, location: entry.range, roleLocation: roleLocation)
  }

  /// Roles the Limits allow, and the policy's adds alone in an empty conversation.
  static func check(_ p: ConversationPolicy, limits: Limits, _ checker: inout SetChecker) {
    for a in p.add where limits.role(named: a.role) == nil {
      let allowed = limits.roles.map(\.name)
      checker.error(
        .roleNotAllowed,
        "role '\(a.role)' is not allowed (allowed: \(allowed.joined(separator: ", ")))\(Suggestions.hint(a.role, allowed))",
        a.roleLocation)
    }
    var admission = Admission(limits: limits)
    for a in p.add {
      if admission.refusals(role: a.role).contains(where: { if case .capacity = $0 { true } else { false } })
      {
        checker.error(
          .tooManyAdds,
          "policy '\(p.name)' adds \(p.add.count) participants, more than maxParticipants \(limits.maxParticipants)",
          a.location)
        break
      }
      admission.admit(role: a.role)
    }
  }

  /// Roles' `max` counts adds per conversation, across the policies that target it.
  static func check(
    conversation group: [Int], of policies: [ConversationPolicy], limits: Limits?, _ checker: inout SetChecker
  ) {
    guard let limits else { return }
    var admission = Admission(limits: limits)
    var reported = Set<String>()  // each role's first add beyond its max
    for i in group {
      let p = policies[i]
      for a in p.add {
        for case .roleMax(let role, let max) in admission.refusals(role: a.role)
        where reported.insert(role).inserted {
          checker.error(
            .roleMaxExceeded,
            "more than \(max) '\(a.role)' added to conversation \(p.conversation); the role allows at most \(max)",
            a.roleLocation)
        }
        admission.admit(role: a.role)
      }
    }
  }

  static func users(_ a: AddDirective) -> [UserRef] {
    if case .user(let u) = a.target { return [u] }
    return []
  }

  static func digestText(_ a: AddDirective) -> String { "|a:\(a.target):\(a.role)" }

  static func leaseDigests(_ p: ConversationPolicy, limits: Limits) -> [String] {
    p.add.map { $0.observerDigest(maxMute: limits.maxMute) }
  }

  static func plan(_ p: ConversationPolicy, _ call: inout CallPlanning, _ run: inout PlanRun) {
    for a in p.add {
      let rule = run.set.limits.role(named: a.role)
      let existing: LiveParticipant?
      var subject: String
      switch a.target {
      case .user(let ref):
        subject = "\(ref)"
        guard let uid = run.live.userId(ref) else {
          run.finding(.error, .userNotFound, "user '\(ref)' was not found in the directory", a.location)
          run.changes.append(
            PlannedChange(
              .add(a.target, role: a.role), conversation: call.cid, subject: subject, policy: p.name,
              directive: "", location: a.location, before: "absent", after: "absent",
              explanation: "add as \(a.role)", blocked: "user '\(ref)' was not found in the directory"))
          continue
        }
        existing = call.conv.participants.first { $0.userId == uid && !$0.hasLeft }
        subject = run.live.users[uid]?.email ?? subject
      case .address(let address):
        subject = address
        existing = call.conv.participants.first { $0.hasNumber(address) && !$0.hasLeft }
      }
      if let existing {
        run.changes.append(
          run.noop(
            in: call.cid, existing, p, "", a.location, state: existing.state,
            why: "already present (\(existing.state))"))
        if existing.isConnected, let rule, rule.muted {
          let digest = a.observerDigest(maxMute: run.set.limits.maxMute)
          if !call.handled.contains(existing.id) && call.mutedBy[existing.id] == nil {
            guard let pid = run.checkedId(existing, call.conv, location: a.location) else { continue }
            run.planMute(
              existing, pid, policy: p, acting: call.acting, digest: digest, duration: run.set.limits.maxMute,
              reason: "role '\(a.role)' joins muted", location: a.location, call: call,
              reasonText: "role '\(a.role)' is muted once connected, for maxMute \(run.set.limits.maxMute)")
          }
        } else if existing.isPending {
          run.pending(existing, p, a.location, in: call.cid)
        }
        continue
      }
      var blocked = call.acting.blocked
      // A blocked change's reason is its finding's message, so views that show both can tell.
      for refusal in call.admission.refusals(role: a.role) {
        switch refusal {
        case .roleMax(_, let max):
          let why =
            "adding '\(subject)' as '\(a.role)' would exceed the role's max of \(max) in conversation \(call.cid)"
          run.finding(.error, .roleMaxExceeded, why, a.roleLocation)
          blocked = why
        case .capacity(let count, let capacity):
          let limitText =
            call.conv.maxParticipants.map {
              "conversation maxParticipants \($0), Limits maxParticipants \(run.set.limits.maxParticipants)"
            }
            ?? "Limits maxParticipants \(run.set.limits.maxParticipants)"
          let why =
            "adding '\(subject)' would make \(count) participants, more than \(capacity) (\(limitText))"
          run.finding(.error, .capacityExceeded, why, a.location)
          blocked = blocked ?? why
        }
      }
      if blocked == nil { call.admission.admit(role: a.role) }
      run.changes.append(
        PlannedChange(
          .add(run.resolvedTarget(a.target), role: a.role), conversation: call.cid, subject: subject,
          actingUser: call.acting.user, policy: p.name, directive: "", location: a.location, before: "absent",
          after: "alerting", explanation: "add as \(a.role)", blocked: blocked))
    }
  }
}

extension AddDirective {
  /// The lease identity of the mute of a party added in a muted role: the entry's content and maxMute.
  public func observerDigest(maxMute: PolicyDuration) -> String {
    String(Digest.sha256Hex("observe|\(target)|\(role)|\(maxMute.seconds)").prefix(16))
  }
}
