public import YAMLReader

/// The planner's output: pure data that every view (text, JSON, GitHub, Markdown) renders.
public struct Plan: Sendable, Hashable {
  /// Every change, blocked ones and noops included, by conversation.
  public var changes: [PlannedChange]
  /// Limit violations (errors) and things worth a look (warnings: pending participants, drift left alone).
  public var findings: [Diagnostic]
  /// When the plan was made, in seconds since 1970.
  public var createdAt: Double
  /// The digest of the policy set planned (`PolicySet.digest`).
  public var policySetDigest: String
  /// Snapshot hash per conversation read.
  public var snapshots: [String: String]
  /// When the next lease (open, or opened by this plan) ends: the next revert.
  public var nextLeaseEnd: Double?
  /// Open leases that need no revert any more (the participant left, the conversation ended, the lease
  /// ended with the participant already unmuted): the run records them as closed.
  public var closedLeases: [ClosedLease] = []
  /// `retime` records for leases dated in the future (a writer's clock ahead): planned as re-timed, and
  /// journalled by a run that writes, so the re-timing holds.
  public var retimes: [JournalRecord] = []

  /// A plan.
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

  /// Whether any finding is an error (then nothing is applied).
  public var hasErrors: Bool { findings.contains { $0.severity == .error } }
  /// Changes that would be made (not blocked, not noops).
  public var actionable: [PlannedChange] { changes.filter { $0.isChange && $0.blocked == nil } }
  /// Whether the plan holds any change other than a noop (blocked ones count).
  public var hasChanges: Bool { changes.contains { $0.isChange } }

  /// How many changes of each action the plan holds; blocked ones are counted apart.
  public struct Summary: Sendable, Hashable {
    /// Adds not blocked.
    public var add = 0
    /// Mutes not blocked.
    public var mute = 0
    /// Unmutes not blocked.
    public var unmute = 0
    /// Recording pauses not blocked.
    public var pause = 0
    /// Reverts not blocked.
    public var revert = 0
    /// Prunes not blocked.
    public var prune = 0
    /// Blocked changes, of any action.
    public var blocked = 0
    /// Noops not blocked.
    public var unchanged = 0
  }

  /// The plan's changes, counted.
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
      case .pause: s.pause += 1
      case .revert: s.revert += 1
      case .prune: s.prune += 1
      case .noop: s.unchanged += 1
      }
    }
    return s
  }
}
