public import YAMLReader

/// One thing the plan will do (or would, were it not blocked), with the directive behind it: an
/// effect that holds exactly what its kind needs, under a header every change has.
public struct PlannedChange: Sendable, Hashable {
  /// What a change does.
  public enum Action: String, Sendable, Hashable, CaseIterable, Codable {
    /// `add` brings a party in; `mute` and `unmute` follow the policy; `pause` pauses the call's
    /// recording; `revert` unmutes (or resumes the recording) at a lease's end; `prune` does so when a
    /// lease's policy or directive is gone; `noop` changes nothing.
    case add, mute, unmute, revert, prune, noop, pause

    /// Whether an intent of this action opens a lease (a mute, a recording pause): the one rule every
    /// index of conversations with open leases keeps (the local journal's, PostgreSQL's trigger).
    public var opensLease: Bool { self == .mute || self == .pause }

    /// Its place among a conversation's changes when they are applied: reverts and prunes first (they
    /// are the promise), then unmutes, mutes, adds.
    public var applyOrder: Int {
      switch self {
      case .revert, .prune: 0
      case .unmute: 1
      case .mute, .pause: 2
      case .add: 3
      case .noop: 4
      }
    }

    /// The symbol the text view shows.
    public var symbol: String {
      switch self {
      case .add: return "+"
      case .mute, .unmute, .pause: return "~"
      case .revert, .prune: return "-"
      case .noop: return "="
      }
    }
  }

  /// What the change does, with what only that kind of change needs. Participant ids are checked
  /// (`ParticipantId`) when the effect is made: the executor's one call, `perform`, takes the effect as
  /// it is.
  public enum Effect: Sendable, Hashable {
    /// Mutes the participant under a lease of `duration`; `dueAt` is the end of the lease it stays
    /// within (a drift re-mute or a changed directive), nil for a new lease.
    case mute(participant: ParticipantId, duration: PolicyDuration, reason: String?, dueAt: Double?)
    /// Unmutes the participant (an `unmute` directive).
    case unmute(participant: ParticipantId)
    /// Unmutes the participant at its lease's end (`dueAt`; nil when read from a saved plan).
    case revert(participant: ParticipantId, dueAt: Double?)
    /// Unmutes the participant whose lease's policy or directive is gone.
    case prune(participant: ParticipantId, dueAt: Double?)
    /// Brings a party in as `role`.
    case add(AddTarget, role: String)
    /// Nothing to do (already so, pending, or the call cannot be read); the participant when known.
    case noop(participant: String?)
    /// Pauses the call's recording (the secure pause) under a lease of `duration`; `dueAt` as for a mute.
    case pauseRecording(duration: PolicyDuration, reason: String?, dueAt: Double?)
    /// Resumes the call's recording at its lease's end (`dueAt`; nil when read from a saved plan), or
    /// when the lease's policy or directive is gone (`pruned`).
    case resumeRecording(dueAt: Double?, pruned: Bool)

    /// The effect's action.
    public var action: Action {
      switch self {
      case .mute: .mute
      case .unmute: .unmute
      case .revert: .revert
      case .prune: .prune
      case .add: .add
      case .noop: .noop
      case .pauseRecording: .pause
      case .resumeRecording(_, let pruned): pruned ? .prune : .revert
      }
    }

    /// Whether making it opens a lease that must be reverted (a mute, a recording pause).
    public var opensLease: Bool {
      switch self {
      case .mute, .pauseRecording: true
      case .unmute, .revert, .prune, .add, .noop, .resumeRecording: false
      }
    }

    /// Whether its call is made on behalf of a user on the call. The recording's secure pause is the
    /// one call control a service token makes alone (genesys-api.md §10.1): it is never stuck for want
    /// of a user.
    public var needsActingUser: Bool {
      switch self {
      case .mute, .unmute, .revert, .prune, .add: true
      case .noop, .pauseRecording, .resumeRecording: false
      }
    }

    /// Whether it takes back what a lease made (a revert at the lease's end, or a prune): these go
    /// first, in their own rate class.
    public var isRevert: Bool {
      switch self {
      case .revert, .prune, .resumeRecording: true
      case .mute, .unmute, .add, .noop, .pauseRecording: false
      }
    }

    /// Whether a re-read of the conversation shows the effect: muted as asked, unmuted (or gone), the
    /// added party present, the recording securely paused (`securePause`: a hold may read as paused
    /// too) or no longer.
    public func isVisible(in conv: LiveConversation) -> Bool {
      switch self {
      case .mute(let p, _, _, _):
        return conv.participants.contains { $0.id == p.rawValue && $0.muted }
      case .unmute(let p), .revert(let p, _), .prune(let p, _):
        return conv.participants.contains { $0.id == p.rawValue && (!$0.muted || $0.hasLeft) }
      case .add(.user(let ref), _):
        return conv.participants.contains { $0.userId == "\(ref)" && !$0.hasLeft }
      case .add(.address(let a), _):
        return conv.participants.contains { $0.hasNumber(a) && !$0.hasLeft }
      case .pauseRecording: return conv.securePause == true
      case .resumeRecording: return conv.securePause != true || !conv.isLive
      case .noop: return true
      }
    }

    /// Whether an effect not yet visible still can be: a mute needs its participant still there, the
    /// others a call still going.
    public func canStillShow(in conv: LiveConversation) -> Bool {
      guard conv.status == .found, conv.isLive else { return false }
      if case .mute(let p, _, _, _) = self {
        return conv.participants.contains { $0.id == p.rawValue && !$0.hasLeft }
      }
      return true
    }
  }

  /// What every change has, whatever its effect.
  public struct Header: Sendable, Hashable {
    /// The conversation's id, checked when the change was made: the executor's calls take it as it is.
    public var conversation: ConversationId
    /// Who: a participant's name, a user (email or id) or an address.
    public var subject: String
    /// The user on whose behalf the call is made (nil for noops, and when none is connected).
    public var actingUser: String?
    /// The name of the policy behind the change.
    public var policy: String
    /// The directive's digest (lease identity).
    public var directive: String
    /// The directive in the source, when known.
    public var location: SourceRange?
    /// The state before the change (unmuted, muted, absent, ended …), for display.
    public var before: String
    /// The state after the change, for display.
    public var after: String
    /// Why this change (or no change): for explanation only.
    public var explanation: String
    /// Set when the change cannot be made now, with the reason.
    public var blocked: String?
  }

  /// What the change does.
  public var effect: Effect
  /// What it has in common with every change.
  public var header: Header

  /// A change: its effect, then its header's fields.
  public init(
    _ effect: Effect, conversation: ConversationId, subject: String, actingUser: String? = nil,
    policy: String,
    directive: String, location: SourceRange?, before: String, after: String, explanation: String,
    blocked: String? = nil
  ) {
    self.effect = effect
    header = Header(
      conversation: conversation, subject: subject, actingUser: actingUser, policy: policy,
      directive: directive,
      location: location, before: before, after: after, explanation: explanation, blocked: blocked)
  }

  /// What the change does, as a kind.
  public var action: Action { effect.action }
  /// The conversation's id.
  public var conversation: ConversationId { header.conversation }
  /// Who, for display.
  public var subject: String { header.subject }
  /// The user on whose behalf the call is made.
  public var actingUser: String? { header.actingUser }
  /// The name of the policy behind the change.
  public var policy: String { header.policy }
  /// The directive's digest (lease identity).
  public var directive: String { header.directive }
  /// The directive in the source, when known.
  public var location: SourceRange? { header.location }
  /// The state before the change, for display.
  public var before: String { header.before }
  /// The state after the change, for display.
  public var after: String { header.after }
  /// Why this change (or no change).
  public var explanation: String { header.explanation }
  /// Set when the change cannot be made now, with the reason.
  public var blocked: String? {
    get { header.blocked }
    set { header.blocked = newValue }
  }

  /// A revert or prune that nobody on the call can make now: it is reported, counted
  /// (`partyline_reverts_stuck`), sent to the webhook (`revert.stuck`) and planned again at the call's
  /// next event or reconcile.
  public var isStuck: Bool { effect.isRevert && blocked != nil }

  /// The participant changed (every effect but an add), when known.
  public var participant: String? {
    switch effect {
    case .mute(let p, _, _, _), .unmute(let p), .revert(let p, _), .prune(let p, _): p.rawValue
    case .noop(let p): p
    case .add, .pauseRecording, .resumeRecording: nil
    }
  }
  /// The key of the lease the change opens or ends in the rate budget's promises (`Lease.budgetKey`).
  public var budgetKey: String {
    Lease.budgetKey(conversation: conversation.rawValue, participant: participant ?? "")
  }
  /// For adds: a user or an address.
  public var addTarget: AddTarget? {
    if case .add(let target, _) = effect { return target }
    return nil
  }
  /// For adds: the role the party is added as.
  public var role: String? {
    if case .add(_, let role) = effect { return role }
    return nil
  }
  /// For mutes and pauses: how long the lease lasts.
  public var duration: PolicyDuration? {
    switch effect {
    case .mute(_, let d, _, _), .pauseRecording(let d, _, _): d
    case .unmute, .revert, .prune, .add, .noop, .resumeRecording: nil
    }
  }
  /// For mutes and pauses: the directive's reason.
  public var reason: String? {
    switch effect {
    case .mute(_, _, let r, _), .pauseRecording(_, let r, _): r
    case .unmute, .revert, .prune, .add, .noop, .resumeRecording: nil
    }
  }
  /// For reverts and prunes: when the lease ended; for a mute or pause within a lease: when it ends.
  public var dueAt: Double? {
    switch effect {
    case .mute(_, _, _, let due), .revert(_, let due), .prune(_, let due), .pauseRecording(_, _, let due),
      .resumeRecording(let due, _):
      due
    case .unmute, .add, .noop: nil
    }
  }

  /// A mute whose lease ends `seconds` sooner (the rate budget promised its revert early: `for` is an
  /// upper bound); any other change as it is.
  public func endingEarly(by seconds: Double) -> PlannedChange {
    guard seconds > 0 else { return self }
    let shorter = { (d: PolicyDuration) in
      PolicyDuration(seconds: max(1, d.seconds - Int(seconds.rounded(.up))))
    }
    var c = self
    switch effect {
    case .mute(let p, let d, let r, let due):
      c.effect = .mute(participant: p, duration: shorter(d), reason: r, dueAt: due.map { $0 - seconds })
    case .pauseRecording(let d, let r, let due):
      c.effect = .pauseRecording(duration: shorter(d), reason: r, dueAt: due.map { $0 - seconds })
    case .unmute, .revert, .prune, .add, .noop, .resumeRecording:
      return self
    }
    return c
  }

  /// Whether it changes anything (it is not a noop).
  public var isChange: Bool { action != .noop }
}
