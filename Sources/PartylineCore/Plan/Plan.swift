public import YAMLReader

/// One thing the plan will do (or would, were it not blocked), with the directive behind it.
public struct PlannedChange: Sendable, Hashable {
  public enum Action: String, Sendable, Hashable, CaseIterable, Codable {
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

  public var action: Action
  public var conversation: String
  /// The participant changed (mute, unmute, revert, prune), when known.
  public var participant: String?
  /// Who: a participant's name, a user (email or id) or an address.
  public var subject: String
  /// For adds: a user id or an address.
  public var addTarget: AddTarget?
  public var role: String?
  /// For mutes: how long the lease lasts.
  public var duration: PolicyDuration?
  public var reason: String?
  /// The user on whose behalf the call is made.
  public var actingUser: String?
  public var policy: String
  /// The directive's digest (lease identity).
  public var directive: String
  public var location: SourceRange?
  public var before: String
  public var after: String
  /// Why this change (or no change): for explanation only.
  public var explanation: String
  /// Set when the change cannot be made now, with the reason.
  public var blocked: String?
  /// For reverts: when the lease ended.
  public var dueAt: Double?

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

  public var isChange: Bool { action != .noop }
}

/// An open lease the plan found nothing left to do for, and why.
public struct ClosedLease: Sendable, Hashable {
  public var lease: Lease
  public var reason: String

  public init(lease: Lease, reason: String) {
    self.lease = lease
    self.reason = reason
  }
}

/// The planner's output: pure data that every view (text, JSON, GitHub, Markdown) renders.
public struct Plan: Sendable, Hashable {
  public var changes: [PlannedChange]
  /// Limit violations (errors) and things worth a look (warnings: pending participants, drift left alone).
  public var findings: [Diagnostic]
  public var createdAt: Double
  public var policySetDigest: String
  /// Snapshot hash per conversation read.
  public var snapshots: [String: String]
  /// When the next lease (open, or opened by this plan) ends: the next revert.
  public var nextLeaseEnd: Double?
  /// Open leases that need no revert any more (the participant left, the conversation ended, the lease
  /// ended with the participant already unmuted): the run records them as closed.
  public var closedLeases: [ClosedLease] = []

  public init(
    changes: [PlannedChange], findings: [Diagnostic], createdAt: Double, policySetDigest: String,
    snapshots: [String: String], nextLeaseEnd: Double? = nil, closedLeases: [ClosedLease] = []
  ) {
    self.nextLeaseEnd = nextLeaseEnd
    self.closedLeases = closedLeases
    self.changes = changes
    self.findings = findings
    self.createdAt = createdAt
    self.policySetDigest = policySetDigest
    self.snapshots = snapshots
  }

  public var hasErrors: Bool { findings.contains { $0.severity == .error } }
  /// Changes that would be made (not blocked, not noops).
  public var actionable: [PlannedChange] { changes.filter { $0.isChange && $0.blocked == nil } }
  public var hasChanges: Bool { changes.contains { $0.isChange } }

  public struct Summary: Sendable, Hashable {
    public var add = 0
    public var mute = 0
    public var unmute = 0
    public var revert = 0
    public var prune = 0
    public var blocked = 0
    public var unchanged = 0
  }

  public var summary: Summary {
    var s = Summary()
    for c in changes {
      if c.blocked != nil {
        s.blocked += 1
        continue
      }
      switch c.action {
      case .add: s.add += 1
      case .mute: s.mute += 1
      case .unmute: s.unmute += 1
      case .revert: s.revert += 1
      case .prune: s.prune += 1
      case .noop: s.unchanged += 1
      }
    }
    return s
  }
}
