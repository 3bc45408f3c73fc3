/// Where call events come from (the Genesys adapter follows the Notifications API).
public protocol CallEventSource: Sendable {
  /// Follows `topics` from now on, instead of those before. Returns how many of them cannot be
  /// followed (beyond what the service's channels hold): those calls must be polled.
  func follow(_ topics: [WatchTopic]) async -> Int
  /// Delivers events, in order per channel, until the task is cancelled.
  func run(_ handle: @escaping @Sendable (CallEvent) async -> Void) async
  /// The call's latest snapshot from its events, when the stream had no gap since it came; nil
  /// otherwise (never seen, ended, or a gap since): then the call must be read.
  func current(_ conversation: String) async -> LiveConversation?
}
