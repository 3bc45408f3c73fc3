import YAMLReader
import WireTime

/// `mute`: who to mute, `for` how long (at most `maxMute`), and why. Each mute opens a lease that
/// Partyline reverts at its end.
enum MuteKind: DirectiveKind {
  static let key: StaticString = "mute"
  static var entries: WritableKeyPath<ConversationPolicy, [MuteDirective]> { \.mute }
  static let entryKeys = MappingReader.KnownKeys(["participant", "user", "purpose", "for", "reason", "from"])

  static func compile(_ entry: Node, _ c: inout DocumentCompiler) -> MuteDirective? {
    guard let f = c.fields(entry, in: "mute entry", known: entryKeys) else { return nil }
    let sel = c.selector(f, "mute entry")
    let terms = c.leaseTerms(
      f, of: entry, "mute entry", example: "how long the mute may last, such as '30m'",
      lease: "the mute's lease")
    guard let sel, let duration = terms.duration else { return nil }
    var m = MuteDirective(
      selector: sel, duration: duration, reason: terms.reason, location: entry.range,
      durationLocation: terms.durationLocation)
    m.from = terms.from
    return m
  }

  static func check(_ p: ConversationPolicy, limits: Limits, _ checker: inout SetChecker) {
    for m in p.mute where m.duration > limits.maxMute {
      let source = limits.location.map { " (Limits at \(SetChecker.place($0)))" } ?? ""
      checker.error(
        .durationExceedsMaxMute,
        "mute for '\(m.duration)' is longer than maxMute '\(limits.maxMute)'\(source)",
        m.durationLocation)
    }
  }

  /// The same literal selector muted for two different lengths, or muted and unmuted, across the
  /// policies of one call.
  static func check(
    conversation group: [Int], of policies: [ConversationPolicy], limits: Limits?, _ checker: inout SetChecker
  ) {
    var mutes: [ParticipantSelector: MuteDirective] = [:]
    for i in group {
      for m in policies[i].mute where m.selector.isLiteral {
        if let earlier = mutes[m.selector] {
          if earlier.duration != m.duration {
            checker.error(
              .conflictingMute,
              "\(m.selector) is muted for '\(m.duration)' here and for '\(earlier.duration)' at \(SetChecker.place(earlier.location))",
              m.durationLocation, related: [.init(message: "other mute", range: earlier.location)])
          }
        } else {
          mutes[m.selector] = m
        }
      }
    }
    if mutes.isEmpty { return }
    for i in group {
      for u in policies[i].unmute {
        if let m = mutes[u.selector] {
          checker.error(
            .muteUnmuteConflict,
            "\(u.selector) is both unmuted here and muted at \(SetChecker.place(m.location))", u.location,
            related: [.init(message: "muted here", range: m.location)])
        }
      }
    }
  }

  static func users(_ m: MuteDirective) -> [UserRef] {
    if case .user(let u) = m.selector { return [u] }
    return []
  }

  static func digestText(_ m: MuteDirective) -> String {
    "|m:\(m.selector):\(m.duration.seconds):\(m.reason ?? "")\(m.anchorText)"
  }

  static func leaseDigests(_ p: ConversationPolicy, limits: Limits) -> [String] { p.mute.map(\.digest) }

  static func plan(_ p: ConversationPolicy, _ call: inout CallPlanning, _ run: inout PlanRun) {
    for m in p.mute {
      for (target, pid) in run.resolve(m.selector, call.conv, location: m.location, policy: p.name) {
        if let (other, otherPolicy) = call.mutedBy[target.id] {
          if other.duration != m.duration {
            run.finding(
              .error, .conflictingMute,
              "\(run.describe(target)) is muted for '\(m.duration)' here and for '\(other.duration)' by policy '\(otherPolicy)' at \(PlanRun.place(other.location))",
              m.location, related: [.init(message: "other mute", range: other.location)])
          }
          continue
        }
        call.mutedBy[target.id] = (m, p.name)
        if call.handled.contains(target.id) { continue }
        if m.from == .connect, target.isConnected {
          // The window runs from when the participant connected: what is left of it, or nothing.
          guard let connected = target.connectedTime else {
            run.changes.append(
              run.noop(
                in: call.cid, target, p, m.digest, m.location, state: target.muted ? "muted" : "unmuted",
                why: "from: connect, but the call does not say when the participant connected; not muted"))
            continue
          }
          run.planMute(
            target, pid, policy: p, acting: call.acting, digest: m.digest, duration: m.duration,
            reason: m.reason, location: m.location, call: call,
            reasonText: "mute for what is left of \(m.duration) from when they connected",
            windowEnd: connected + Double(m.duration.seconds))
          continue
        }
        run.planMute(
          target, pid, policy: p, acting: call.acting, digest: m.digest, duration: m.duration,
          reason: m.reason,
          location: m.location, call: call, reasonText: "mute for \(m.duration)")
      }
    }
  }
}

extension MuteDirective {
  /// The directive's identity: its content. Changing it (a new `for`, a new reason) makes a new lease.
  public var digest: String {
    String(Digest.sha256Hex("mute|\(selector)|\(duration.seconds)|\(reason ?? "")\(anchorText)").prefix(16))
  }

  /// `from` in the directive's identity: nothing for the default, so the digests of mutes without it
  /// (and their open leases) stay as they were.
  var anchorText: String { from == .now ? "" : "|from:\(from.rawValue)" }
}

extension PlanRun {
  /// A mute of a connected participant under the lease `digest` names: opened, kept, re-muted on
  /// drift (`onDrift`), or replacing the lease of a changed directive without an unmute in between.
  mutating func planMute(
    _ target: LiveParticipant, _ pid: ParticipantId, policy p: ConversationPolicy,
    acting: (user: String?, blocked: String?),
    digest: String, duration: PolicyDuration, reason: String?, location: SourceRange, call: CallPlanning,
    reasonText: String, windowEnd: Double? = nil
  ) {
    let conv = call.conv
    if target.isPending {
      pending(target, p, location, in: call.cid)
      return
    }
    let key = Lease.Key(policy: p.name, directive: digest, conversation: conv.id, participant: target.id)
    if let lease = JournalState.lease(key, in: leases) {
      if lease.status == .served {
        changes.append(
          noop(
            in: call.cid, target, p, digest, location, state: target.muted ? "muted" : "unmuted",
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
            in: call.cid, target, p, digest, location, state: "muted",
            why: "muted until \(Timestamp.iso8601(lease.endsAt))"
          ))
      } else if p.onDrift == .reconcile && lease.endsAt - now < Self.driftMargin.inSeconds {
        // So close to the lease's end, a re-mute could land after the revert and outlive the lease.
        changes.append(
          noop(
            in: call.cid, target, p, digest, location, state: "unmuted",
            why:
              "drift: unmuted by someone else; the lease ends within \(Int(Self.driftMargin.inSeconds)) s, not muted again"
          ))
      } else if p.onDrift == .reconcile {
        changes.append(
          PlannedChange(
            .mute(
              participant: pid, duration: PolicyDuration(seconds: max(1, Int(lease.endsAt - now))),
              reason: reason, dueAt: lease.endsAt), conversation: call.cid, subject: describe(target),
            actingUser: acting.user, policy: p.name, directive: digest, location: location, before: "unmuted",
            after: "muted",
            explanation:
              "drift: unmuted by someone else; muting again until \(Timestamp.iso8601(lease.endsAt)) (onDrift: reconcile)",
            blocked: acting.blocked))
      } else {
        finding(
          .warning, .drift, "\(describe(target)) was unmuted by someone else; left alone (onDrift: respect)",
          location)
        changes.append(
          noop(
            in: call.cid, target, p, digest, location, state: "unmuted",
            why: "drift: unmuted by someone else; left alone (onDrift: respect)"))
      }
      return
    }
    // A window anchored before now (`from: connect`): the lease ends with it, and a mute whose window
    // has passed (or ends within the margin a mute needs to land) is not sent. The policy's own window
    // (`schedule`, `until`) closes every lease it opens at the latest.
    let window = leaseWindow(p, duration: duration, windowEnd: windowEnd, explanation: reasonText)
    if case .passed(let end) = window {
      changes.append(
        noop(
          in: call.cid, target, p, digest, location, state: target.muted ? "muted" : "unmuted",
          why: LeaseWindow.passedText(end)))
      return
    }
    guard case .open(let duration, let windowEnd, let reasonText) = window else { return }
    if target.muted {
      if replaceable[target.id] != nil {
        // A changed directive: the new lease opens while the participant stays muted; the old one is
        // closed by a later run once this one exists, never unmuted in between.
        replaced.insert(target.id)
        noteLeaseEnd(windowEnd ?? now + Double(duration.seconds))
        changes.append(
          PlannedChange(
            .mute(participant: pid, duration: duration, reason: reason, dueAt: windowEnd),
            conversation: call.cid, subject: describe(target), actingUser: acting.user, policy: p.name,
            directive: digest, location: location, before: "muted", after: "muted",
            explanation: "\(reasonText); replaces the lease of a changed directive without unmuting",
            blocked: acting.blocked))
        return
      }
      changes.append(noop(in: call.cid, target, p, digest, location, state: "muted", why: "already muted"))
      return
    }
    noteLeaseEnd(windowEnd ?? now + Double(duration.seconds))
    changes.append(
      PlannedChange(
        .mute(participant: pid, duration: duration, reason: reason, dueAt: windowEnd), conversation: call.cid,
        subject: describe(target), actingUser: acting.user, policy: p.name, directive: digest,
        location: location, before: "unmuted", after: "muted", explanation: reasonText,
        blocked: acting.blocked))
  }
}
