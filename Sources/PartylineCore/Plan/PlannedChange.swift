public import YAMLReader

/// One thing the plan will do (or would, were it not blocked), with the directive behind it.
public struct PlannedChange: Sendable, Hashable {
  /// What a change does.
  public enum Action: String, Sendable, Hashable, CaseIterable, Codable {
    /// `add` brings a party in; `mute` and `unmute` follow the policy; `revert` unmutes at a lease's
    /// end; `prune` unmutes when a lease's policy or directive is gone; `noop` changes nothing.
    case add, mute, unmute, revert, prune, noop

    /// The symbol the text view shows.
    public var symbol: String {
      switch self {
      case .add: return "+"
      case .mute, .unmute: return "~"
      case .revert, .prune: return "-"
      case .noop: return "="
      }
    }
  }

  /// What the change does.
  public var action: Action
  /// The conversation's id.
  public var conversation: String
  /// The participant changed (mute, unmute, revert, prune), when known.
  public var participant: String?
  /// Who: a participant's name, a user (email or id) or an address.
  public var subject: String
  /// For adds: a user id or an address.
  public var addTarget: AddTarget?
  /// For adds: the role the party is added as.
  public var role: String?
  /// For mutes: how long the lease lasts.
  public var duration: PolicyDuration?
  /// For mutes: the directive's reason.
  public var reason: String?
  /// The user on whose behalf the call is made.
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
  /// For reverts: when the lease ended.
  public var dueAt: Double?

  /// A change; what its action does not need stays nil.
  public init(
    action: Action, conversation: String, participant: String? = nil, subject: String,
    addTarget: AddTarget? = nil,
    role: String? = nil, duration: PolicyDuration? = nil, reason: String? = nil, actingUser: String? = nil,
    policy: String, directive: String, location: SourceRange?, before: String, after: String,
    explanation: String,
    blocked: String? = nil, dueAt: Double? = nil
  ) {
    self.action = action
    self.conversation = conversation
    self.participant = participant
    self.subject = subject
    self.addTarget = addTarget
    self.role = role
    self.duration = duration
    self.reason = reason
    self.actingUser = actingUser
    self.policy = policy
    self.directive = directive
    self.location = location
    self.before = before
    self.after = after
    self.explanation = explanation
    self.blocked = blocked
    self.dueAt = dueAt
  }

  /// Whether it changes anything (it is not a noop).
  public var isChange: Bool { action != .noop }
}
