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
