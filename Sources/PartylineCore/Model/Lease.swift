/// A mute Partyline set and must take back: opened when the mute call is sent, ending `for` later.
/// Identified by (workspace, policy, directive, conversation, participant); one-shot.
public struct Lease: Sendable, Hashable {
  public enum Status: String, Sendable, Hashable {
    /// Muted (or being muted) and not yet reverted.
    case open
    /// Reverted or closed: the directive is served for this participant.
    case served
  }

  public var workspace: String
  public var policy: String
  /// A digest of the directive's content: a changed directive makes a new lease.
  public var directive: String
  public var conversation: String
  public var participant: String
  /// The user the revert acts on behalf of, when known.
  public var startedAt: Double
  public var endsAt: Double
  public var status: Status
  /// False while the mute's outcome is not journalled: it may still be on its way.
  public var outcomeKnown = true

  public init(
    workspace: String, policy: String, directive: String, conversation: String, participant: String,
    startedAt: Double, endsAt: Double, status: Status
  ) {
    self.workspace = workspace
    self.policy = policy
    self.directive = directive
    self.conversation = conversation
    self.participant = participant
    self.startedAt = startedAt
    self.endsAt = endsAt
    self.status = status
  }

  public struct Key: Hashable, Sendable {
    public var policy: String
    public var directive: String
    public var conversation: String
    public var participant: String
  }

  public var key: Key {
    Key(policy: policy, directive: directive, conversation: conversation, participant: participant)
  }
}

/// Where leases come from: the journal (local or PostgreSQL), or nothing.
public protocol LeaseStore: Sendable {
  func leases(workspace: String) async throws -> [Lease]
}

/// No journal yet: no leases.
public struct EmptyLeaseStore: LeaseStore {
  public init() {}
  public func leases(workspace: String) async throws -> [Lease] { [] }
}
