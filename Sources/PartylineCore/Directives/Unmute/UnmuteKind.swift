import YAMLReader

/// `unmute`: who to unmute now. It opens no lease, and it may not contradict a mute of the set.
enum UnmuteKind: DirectiveKind {
  static let key: StaticString = "unmute"
  static var entries: WritableKeyPath<ConversationPolicy, [UnmuteDirective]> { \.unmute }
  static let entryKeys = MappingReader.KnownKeys(["participant", "user", "purpose"])

  static func compile(_ entry: Node, _ c: inout DocumentCompiler) -> UnmuteDirective? {
    guard let f = c.fields(entry, in: "unmute entry", known: entryKeys),
      let selector = c.selector(f, "unmute entry")
    else { return nil }
    return UnmuteDirective(selector: selector, location: entry.range)
  }

  // (An unmute that contradicts a mute of the same call is reported by `MuteKind`, which holds the
  // call's mutes.)

  static func users(_ u: UnmuteDirective) -> [UserRef] {
    if case .user(let r) = u.selector { return [r] }
    return []
  }

  static func digestText(_ u: UnmuteDirective) -> String { "|u:\(u.selector)" }

  static func plan(_ p: ConversationPolicy, _ call: inout CallPlanning, _ run: inout PlanRun) {
    for u in p.unmute {
      for (target, pid) in run.resolve(u.selector, call.conv, location: u.location, policy: p.name) {
        if let (m, otherPolicy) = call.mutedBy[target.id] {
          run.finding(
            .error, .muteUnmuteConflict,
            "\(run.describe(target)) is unmuted here and muted by policy '\(otherPolicy)' at \(PlanRun.place(m.location))"
              + (p.boundBy != nil ? " (in call \(call.cid), which both select)" : ""),
            u.location, related: [.init(message: "muted here", range: m.location)])
          continue
        }
        if call.unmutedBy[target.id] != nil || call.handled.contains(target.id) { continue }
        call.unmutedBy[target.id] = (u, p.name)
        if target.isPending {
          run.pending(target, p, u.location, in: call.cid)
          continue
        }
        if !target.muted {
          run.changes.append(
            run.noop(in: call.cid, target, p, "", u.location, state: "unmuted", why: "already unmuted"))
          continue
        }
        run.changes.append(
          PlannedChange(
            .unmute(participant: pid), conversation: call.cid, subject: run.describe(target),
            actingUser: call.acting.user, policy: p.name, directive: "", location: u.location,
            before: "muted",
            after: "unmuted", explanation: "unmute", blocked: call.acting.blocked))
      }
    }
  }
}
