/// What the notification stream tells its user.
public enum NotificationEvent: Sendable {
  /// A call topic's event: the whole call snapshot, as the event body carries it.
  case call(topic: String, CallConversation)
  /// Events may have been missed (first connect, reconnect, socket closing, silence, expiry, a lost
  /// subscription): re-read everything. The reason is for the log.
  case gap(String)
  /// Topics the service refused, with why (missing permissions): those calls must be polled.
  case rejected([ChannelTopic])
}
