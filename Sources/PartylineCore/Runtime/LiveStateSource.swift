public import YAMLReader
/// Where the runtime reads the live state from: the Genesys adapter reads the Platform API, a test
/// serves values. One read is discovery (select policies find their calls), the read of every call
/// and user the set needs, and the binding of the select policies to the calls found.
public protocol LiveStateSource: Sendable {
  /// Discovery, the live read and the binding, as one step (plan, apply and watch share it).
  func read(_ request: LiveReadRequest) async throws -> LiveRead
  /// One conversation read again (a re-plan under its lock, the follow-up of an added observer); nil
  /// when it does not exist.
  func conversation(_ id: String) async throws -> LiveConversation?
}

/// What a reconcile asks the live-state source for.
public struct LiveReadRequest: Sendable {
  /// The policy set, select policies still unbound.
  public var set: PolicySet
  /// Conversations to read besides the set's (those with open leases).
  public var extraConversations: [String] = []
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
  public var due: Set<String> = []

  /// A read of `set` and nothing else.
  public init(set: PolicySet) { self.set = set }
}

/// What a live read found: the set as the planner sees it (select policies bound), the live state and
/// discovery's findings.
public struct LiveRead: Sendable {
  /// The set with its select policies bound to the calls found.
  public var set: PolicySet
  /// The calls, users and emails read.
  public var live: LiveState
  /// Located problems of discovery (an unknown queue or user).
  public var findings: [Diagnostic]
  /// The discovery done, kept by watch to bind its events' calls without a query.
  public var discovery: DiscoveredCalls

  /// A read's result.
  public init(set: PolicySet, live: LiveState, findings: [Diagnostic], discovery: DiscoveredCalls) {
    self.set = set
    self.live = live
    self.findings = findings
    self.discovery = discovery
  }
}

/// Discovery's result and what resolving the selected users' emails learned (to seed the live read).
public struct DiscoveredCalls: Sendable {
  /// The queues resolved and each selector's candidate calls.
  public var discovery: Discovery
  /// Emails and users already resolved.
  public var seed: LiveState

  /// Discovery's result.
  public init(discovery: Discovery = Discovery(), seed: LiveState = LiveState()) {
    self.discovery = discovery
    self.seed = seed
  }
}
