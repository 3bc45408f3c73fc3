/// What a call event source tells the watcher.
public enum CallEvent: Sendable {
  /// A call changed: its whole snapshot, as the event carried it.
  case call(LiveConversation)
  /// An event for this call whose body is no snapshot (no participants): never taken for an ended
  /// call; the call is read instead.
  case partial(String)
  /// Events may have been missed (a connect, a reconnect, silence, an expiry): read everything again.
  /// The reason is for the log.
  case gap(String)
  /// Topics the service refused, the first reason, and the permissions missing: their calls are polled.
  case rejected(count: Int, reason: String, missingPermissions: [String])
}
