/// A topic of call events: the calls of a queue, or of a user.
public enum WatchTopic: Sendable, Hashable, Comparable {
  /// The calls of the queue with this id.
  case queue(String)
  /// The calls of the user with this id.
  case user(String)
}
