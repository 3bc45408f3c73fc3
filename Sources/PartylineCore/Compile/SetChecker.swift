public import YAMLReader

/// Checks that concern the whole policy set: unique names, one Limits document, and the limits that
/// need no live state (durations, roles, adds per policy, literal contradictions).
struct SetChecker {
  var diagnostics: [Diagnostic] = []

  mutating func error(
    _ id: String, _ message: String, _ range: SourceRange, related: [Diagnostic.Related] = []
  ) {
    diagnostics.append(Diagnostic(id: id, message: message, range: range, related: related))
  }

  static func place(_ r: SourceRange) -> String { "\(r.file):\(r.start.line):\(r.start.column)" }

  mutating func chooseLimits(_ docs: [Limits]) -> Limits {
    guard let first = docs.first else { return .defaults }
    for extra in docs.dropFirst() {
      let at = extra.location ?? SourceRange(file: "", line: 1, column: 1)
      let firstAt = first.location ?? at
      error(
        "duplicate_limits",
        "a policy set holds at most one Limits document; another is at \(Self.place(firstAt))", at,
        related: [.init(message: "first Limits document", range: firstAt)])
    }
    return first
  }

  mutating func check(_ policies: [ConversationPolicy], limits: Limits, checkLimits: Bool) {
    // Indices rather than copies of the policies, and tables sized once.
    var byName: [String: Int] = [:]
    byName.reserveCapacity(policies.count)
    for i in policies.indices {
      if let e = byName[policies[i].name] {
        let earlier = policies[e].location
        error(
          "duplicate_policy_name",
          "policy name '\(policies[i].name)' is already used at \(Self.place(earlier))",
          policies[i].location, related: [.init(message: "first used here", range: earlier)])
      } else {
        byName[policies[i].name] = i
      }
    }
    if checkLimits {
      for i in policies.indices { checkPolicyLimits(policies[i], limits) }
    }
    // Policies on one conversation are planned together, in name order.
    var byConversation: [String: [Int]] = [:]
    byConversation.reserveCapacity(policies.count)
    for i in policies.indices where !policies[i].conversation.isEmpty {
      byConversation[policies[i].conversation, default: []].append(i)
    }
    // The groups need no order among themselves: every diagnostic of a group points into one of
    // its policies, and the compiler sorts all diagnostics by file and position at the end.
    for var group in byConversation.values {
      if group.count > 1 { group.sort { policies[$0].name < policies[$1].name } }
      checkContradictions(group, policies)
      if checkLimits { checkRoleMax(group, policies, limits) }
    }
  }

  mutating func checkPolicyLimits(_ p: ConversationPolicy, _ limits: Limits) {
    for m in p.mute where m.duration > limits.maxMute {
      let source = limits.location.map { " (Limits at \(Self.place($0)))" } ?? ""
      error(
        "duration_exceeds_max_mute",
        "mute for '\(m.duration)' is longer than maxMute '\(limits.maxMute)'\(source)",
        m.durationLocation)
    }
    for a in p.add where limits.role(named: a.role) == nil {
      let allowed = limits.roles.map(\.name)
      error(
        "role_not_allowed",
        "role '\(a.role)' is not allowed (allowed: \(allowed.joined(separator: ", ")))\(Suggestions.hint(a.role, allowed))",
        a.roleLocation)
    }
    // Before any call is read: the policy's adds alone, in an empty conversation.
    var admission = Admission(limits: limits)
    for a in p.add {
      if admission.refusals(role: a.role).contains(where: { if case .capacity = $0 { true } else { false } })
      {
        error(
          "too_many_adds",
          "policy '\(p.name)' adds \(p.add.count) participants, more than maxParticipants \(limits.maxParticipants)",
          a.location)
        break
      }
      admission.admit(role: a.role)
    }
  }

  /// Roles' `max` counts adds per conversation, across the policies that target it.
  mutating func checkRoleMax(_ group: [Int], _ policies: [ConversationPolicy], _ limits: Limits) {
    var admission = Admission(limits: limits)
    var reported = Set<String>()  // each role's first add beyond its max
    for i in group {
      let p = policies[i]
      for a in p.add {
        for case .roleMax(let role, let max) in admission.refusals(role: a.role)
        where reported.insert(role).inserted {
          error(
            "role_max_exceeded",
            "more than \(max) '\(a.role)' added to conversation \(p.conversation); the role allows at most \(max)",
            a.roleLocation)
        }
        admission.admit(role: a.role)
      }
    }
  }

  /// The same literal selector muted and unmuted, or muted for two different lengths, across the
  /// policies of one conversation.
  mutating func checkContradictions(_ group: [Int], _ policies: [ConversationPolicy]) {
    var mutes: [ParticipantSelector: MuteDirective] = [:]
    for i in group {
      let p = policies[i]
      for m in p.mute where m.selector.isLiteral {
        if let earlier = mutes[m.selector] {
          if earlier.duration != m.duration {
            error(
              "conflicting_mute",
              "\(m.selector) is muted for '\(m.duration)' here and for '\(earlier.duration)' at \(Self.place(earlier.location))",
              m.durationLocation, related: [.init(message: "other mute", range: earlier.location)])
          }
        } else {
          mutes[m.selector] = m
        }
      }
    }
    for i in group {
      let p = policies[i]
      for u in p.unmute {
        if let m = mutes[u.selector] {
          error(
            "mute_unmute_conflict",
            "\(u.selector) is both unmuted here and muted at \(Self.place(m.location))", u.location,
            related: [.init(message: "muted here", range: m.location)])
        }
      }
    }
  }
}
