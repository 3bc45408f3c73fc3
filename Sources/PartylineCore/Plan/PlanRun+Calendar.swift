public import YAMLReader
import WireTime

extension PlanRun {
  /// Each policy outside its schedule or past `until` at `now`, said once (a select policy's bound
  /// copies are one policy): a warning when it has expired, a note with the next window's start
  /// otherwise. Neither plans anything new.
  mutating func sayInactive() {
    var said = Set<String>()
    for p in set.policies where said.insert(p.name).inserted {
      if let d = Self.inactivity(p, at: now) { findings.append(d) }
    }
  }

  /// Why `p` plans nothing new at `t`, or nil when it applies: the finding `validate` and `plan` share.
  static func inactivity(_ p: ConversationPolicy, at t: Double) -> Diagnostic? {
    switch p.activity(at: t) {
    case .active: return nil
    case .expired(let at):
      return Diagnostic(
        .warning, id: .policyExpired,
        message:
          "policy '\(p.name)' expired at \(Timestamp.iso8601(at, milliseconds: false)) (its until): it plans nothing new; delete it or move its until",
        range: p.calendar?.untilLocation ?? p.location)
    case .outside(let next):
      let when =
        next.map { "its next window starts \(Timestamp.iso8601($0, milliseconds: false))" }
        ?? "no window of it starts in the coming week"
      return Diagnostic(
        .note, id: .outsideSchedule,
        message: "policy '\(p.name)' is outside its schedule: it plans nothing new; \(when)",
        range: p.calendar?.schedule?.location ?? p.location)
    }
  }
}

extension PolicySet {
  /// A `policy_expired` warning for each policy past its `until` at `t` (what `validate` says).
  public func expired(at t: Double) -> [Diagnostic] {
    policies.compactMap { p in
      guard case .expired = p.activity(at: t) else { return nil }
      return PlanRun.inactivity(p, at: t)
    }
  }
}
