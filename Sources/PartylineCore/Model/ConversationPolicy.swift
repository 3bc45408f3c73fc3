public import YAMLReader

/// One `kind: ConversationPolicy` document, compiled.
public struct ConversationPolicy: Hashable, Sendable {
  /// `metadata.name`: unique within the set.
  public var name: String
  /// `metadata.description`, when given.
  public var description: String?
  /// `metadata.labels`.
  public var labels: [String: String]
  /// The call's id (`spec.conversation`); empty for a select policy not bound to a call.
  public var conversation: String
  /// The user changes are made on behalf of (`spec.actAs`); nil: the first connected agent or user.
  public var actAs: UserRef?
  /// What to do when someone else unmutes a participant under this policy's lease.
  public var onDrift: DriftMode
  /// The `mute` entries.
  public var mute: [MuteDirective]
  /// The `unmute` entries.
  public var unmute: [UnmuteDirective]
  /// The `add` entries.
  public var add: [AddDirective]
  /// The document's `metadata.name` value.
  public var location: SourceRange
  /// The `spec.conversation` value: where a finding about the conversation points.
  public var conversationLocation: SourceRange? = nil
  /// The `spec.actAs` value, when given.
  public var actAsLocation: SourceRange? = nil
  /// `spec.select`: the policy applies to every live call that matches (then `conversation` is empty
  /// until the set is bound to the calls found, see `PolicySet.bound`).
  public var select: CallSelector? = nil
  /// In a bound set: the selector that matched this copy's call.
  public var boundBy: CallSelector? = nil
  /// `spec.until` and `spec.schedule`: when the policy applies (nil: always).
  public var calendar: PolicyCalendar? = nil
  /// `spec.pauseRecording`: at most one, pausing the call's recording for a while.
  public var pauseRecording: [PauseDirective] = []

  /// Whether the policy is a `select` policy (bound or not).
  public var selects: Bool { select != nil }
}
