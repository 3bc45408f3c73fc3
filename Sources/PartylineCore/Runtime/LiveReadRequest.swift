import YAMLReader

/// What a reconcile asks the live-state source for.
public struct LiveReadRequest: Sendable {
  /// The policy set, select policies still unbound.
  public var set: PolicySet
  /// Conversations to read besides the set's (those with open leases).
  public var extraConversations: [ConversationId] = []
  /// Whether select policies look for their calls (not in watch's on-time reverts).
  public var discover = true
  /// Discovery already done (an event's call as every selector's candidate): nothing is queried.
  public var given: DiscoveredCalls? = nil
  /// Calls already known (an event's snapshot): not read again.
  public var snapshots: [String: LiveConversation] = [:]
  /// At most this many conversation reads (the rate budget's allowance for a full reconcile): those in
  /// `due` first, then those read longest ago.
  public var limit: Int? = nil
  /// Conversations with work due soon (their leases end within two minutes).
  public var due: Set<ConversationId> = []

  /// A read of `set` and nothing else.
  /// Whether the read serves reverts due now (watch's on-time loop): it goes as a revert.
  public var urgent = false
  public init(set: PolicySet) { self.set = set }
}
