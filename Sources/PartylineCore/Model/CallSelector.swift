public import YAMLReader

/// `spec.select`: the live calls a policy applies to. Every given key must match.
public struct CallSelector: Hashable, Sendable {
  /// The queue the call must be in (`spec.select.queue`).
  public var queue: QueueRef?
  /// A user who must be on the call and not have left (`spec.select.user`).
  public var user: UserRef?
  /// The call's direction (`spec.select.direction`).
  public var direction: CallDirection?
  /// The `spec.select` mapping.
  public var location: SourceRange
  /// The `queue` value in the source.
  public var queueLocation: SourceRange?
  /// The `user` value in the source.
  public var userLocation: SourceRange?

  /// A selector; a key not given matches any call.
  public init(
    queue: QueueRef? = nil, user: UserRef? = nil, direction: CallDirection? = nil, location: SourceRange,
    queueLocation: SourceRange? = nil, userLocation: SourceRange? = nil
  ) {
    self.queue = queue
    self.user = user
    self.direction = direction
    self.location = location
    self.queueLocation = queueLocation
    self.userLocation = userLocation
  }

  /// The selector's content, without its place: policies with the same key share one query.
  public var key: String {
    "queue=\(queue.map { "\($0)" } ?? "-")|user=\(user.map { "\($0)" } ?? "-")|direction=\(direction?.rawValue ?? "-")"
  }

  /// The selector as findings name it (`queue …, user …, inbound`).
  public var description: String {
    var parts: [String] = []
    if let queue { parts.append("queue \(queue)") }
    if let user { parts.append("user \(user)") }
    if let direction { parts.append(direction.rawValue) }
    return parts.joined(separator: ", ")
  }

  /// Whether a live call matches, with queue names and user emails resolved (`queues`, `live`).
  public func matches(_ call: LiveConversation, queues: [String: String], live: LiveState) -> Bool {
    guard call.status == .found, call.isLive else { return false }
    if let queue {
      let id: String?
      switch queue {
      case .id(let i): id = i
      case .name(let n): id = queues[n.lowercased()]
      }
      guard let id, call.queues.contains(id) else { return false }
    }
    if let user {
      guard let uid = live.userId(user),
        call.participants.contains(where: { $0.userId == uid && !$0.hasLeft })
      else { return false }
    }
    if let direction, call.direction != direction.rawValue { return false }
    return true
  }
}
