import YAMLReader

/// Checks that concern the whole policy set: unique names, one Limits document, and what each
/// directive kind asks of its entries with no live state (durations, roles, adds per policy, literal
/// contradictions between the policies of one call).
struct SetChecker {
  var diagnostics: [Diagnostic] = []

  mutating func error(
    _ id: DiagnosticID, _ message: String, _ range: SourceRange, related: [Diagnostic.Related] = []
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
        .duplicateLimits,
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
          .duplicatePolicyName,
          "policy name '\(policies[i].name)' is already used at \(Self.place(earlier))",
          policies[i].location, related: [.init(message: "first used here", range: earlier)])
      } else {
        byName[policies[i].name] = i
      }
    }
    if checkLimits {
      let kinds = DirectiveKinds.all
      for i in policies.indices {
        for kind in kinds { kind.check(policies[i], limits: limits, &self) }
      }
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
      for kind in DirectiveKinds.all {
        kind.check(conversation: group, of: policies, limits: checkLimits ? limits : nil, &self)
      }
    }
  }
}
