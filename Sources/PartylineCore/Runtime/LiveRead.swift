public import YAMLReader

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
