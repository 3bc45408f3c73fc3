/// A topic of call events: the calls of a queue, or of a user.
public enum WatchTopic: Sendable, Hashable, Comparable {
  /// The calls of the queue with this id.
  case queue(String)
  /// The calls of the user with this id.
  case user(String)
}

/// What a call event source tells the watcher.
public enum CallEvent: Sendable {
  /// A call changed: its whole snapshot, as the event carried it.
  case call(LiveConversation)
  /// Events may have been missed (a connect, a reconnect, silence, an expiry): read everything again.
  /// The reason is for the log.
  case gap(String)
  /// Topics the service refused, the first reason, and the permissions missing: their calls are polled.
  case rejected(count: Int, reason: String, missingPermissions: [String])
}

/// Where call events come from (the Genesys adapter follows the Notifications API).
public protocol CallEventSource: Sendable {
  /// Follows `topics` from now on, instead of those before. Returns how many of them cannot be
  /// followed (beyond what the service's channels hold): those calls must be polled.
  func follow(_ topics: [WatchTopic]) async -> Int
  /// Delivers events, in order per channel, until the task is cancelled.
  func run(_ handle: @escaping @Sendable (CallEvent) async -> Void) async
}
