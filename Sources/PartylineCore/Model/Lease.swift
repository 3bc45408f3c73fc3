/// A change Partyline made and must take back: opened when its call is sent, ending `for` later — a
/// participant's mute, or the call's recording paused (a lease on the call itself, whose participant is
/// empty). Identified by (workspace, policy, directive, conversation, participant); one-shot.
public struct Lease: Sendable, Hashable {
  /// What the lease holds, and so what its revert does.
  public enum Kind: String, Sendable, Hashable {
    /// A participant muted: the revert unmutes them.
    case mute
    /// The call's recording paused (the secure pause): the revert resumes it.
    case pauseRecording
  }

  /// Whether the lease still needs its revert.
  public enum Status: String, Sendable, Hashable {
    /// Muted (or being muted) and not yet reverted.
    case open
    /// Reverted or closed: the directive is served for this participant.
    case served
  }

  /// The workspace of the run that opened it.
  public var workspace: String
  /// The name of the policy that muted.
  public var policy: String
  /// A digest of the directive's content: a changed directive makes a new lease.
  public var directive: String
  /// The conversation's id.
  public var conversation: String
  /// The muted participant's id; empty for a lease on the call itself (``Kind/pauseRecording``).
  public var participant: String
  /// When the lease's call was sent, in seconds since 1970.
  public var startedAt: Double
  /// When the lease ends and its revert falls due, in seconds since 1970.
  public var endsAt: Double
  /// Open until reverted or closed.
  public var status: Status
  /// False while the mute's outcome is not journalled: it may still be on its way.
  public var outcomeKnown = true
  /// What it holds: a mute unless set.
  public var kind: Kind = .mute

  /// The participant of a lease on the call itself (a recording pause): none.
  public static let wholeCall = ""

  /// The participant its journal records name: nil for a lease on the call itself.
  public var journalParticipant: String? { participant == Self.wholeCall ? nil : participant }

  /// How early the rate budget may promise the revert of a lease `length` long: a tenth of it, at most
  /// `limit` (`--revert-slack`, 60 s by default). `for` is an upper bound, so an early revert keeps the
  /// promise, and spreads a burst of lease ends over the windows before it.
  public static func revertSlack(forLease length: Duration, limit: Duration) -> Duration {
    max(.zero, min(limit, length / 10))
  }

  /// The default `--revert-slack`: the most a revert may come before its lease's end.
  public static let defaultRevertSlack: Duration = .seconds(60)

  /// The lease's key in the rate budget's promises: its conversation and participant.
  public var budgetKey: String { Self.budgetKey(conversation: conversation, participant: participant) }

  /// The rate budget's key of the lease of `participant` in `conversation` (one rule for the promise
  /// an admission makes and the lease the journal then shows).
  public static func budgetKey(conversation: String, participant: String) -> String {
    "\(conversation)/\(participant)"
  }

  /// A lease whose mute's outcome is known.
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

  /// A lease's identity within a workspace: policy, directive, conversation and participant.
  public struct Key: Hashable, Sendable {
    /// The policy's name.
    public var policy: String
    /// The directive's digest.
    public var directive: String
    /// The conversation's id.
    public var conversation: String
    /// The participant's id.
    public var participant: String
  }

  /// The lease's identity.
  public var key: Key {
    Key(policy: policy, directive: directive, conversation: conversation, participant: participant)
  }
}
