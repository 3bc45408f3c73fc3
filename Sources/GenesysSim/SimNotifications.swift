import Foundation
import OrderedJSON
import YAMLReader

/// The Notifications API's state: channels (per client, at most 20), their topic subscriptions (at
/// most 1,000 a channel), the one WebSocket each channel may have, and the events published to them
/// (docs/genesys-api.md §8.4). Its own lock; the engine calls it with the organisation's lock held, and the
/// sockets' tasks call it alone, so it never calls back into the engine.
final class SimNotifications: @unchecked Sendable {
  static let maxChannelsPerClient = 20
  static let maxTopicsPerChannel = 1_000

  /// One message on its way to a socket: the text, and when it may be sent (events may be delayed).
  struct Outbound: Sendable {
    var text: String
    var notBefore: Date
    /// Close the socket after this message.
    var close = false
    /// Close it with a WebSocket close frame (an announced close) rather than by dropping the
    /// connection: a drop can reset the connection and lose what was sent just before it.
    var graceful = false
  }

  /// The socket attached to a channel: messages go into its stream; the socket's task writes them.
  final class Socket: @unchecked Sendable {
    let id: Int
    let continuation: AsyncStream<Outbound>.Continuation
    init(id: Int, continuation: AsyncStream<Outbound>.Continuation) {
      self.id = id
      self.continuation = continuation
    }
  }

  struct Channel {
    var id: String
    var clientId: String
    var created: Date
    var expires: Date
    /// Subscribed topics, in the order they were added.
    var topics: [String] { didSet { topicSet = Set(topics) } }
    var topicSet: Set<String> = []
    var socket: Socket?
    /// Whether a socket ever connected (a 21st channel replaces the oldest that never did).
    var everConnected = false
  }

  /// One event published (or dropped by a fault), for `GET /sim/history`.
  struct Published {
    var time: Date
    var topic: String
    var channelId: String
    var conversationId: String?
    var dropped: Bool
  }

  private let lock = NSLock()
  private var channels: [String: Channel] = [:]
  private var order: [String] = []
  private var nextSocket = 0
  private(set) var published: [Published] = []
  var maxPublished = 100_000
  var options: SimOptions.Notifications

  init(options: SimOptions.Notifications) { self.options = options }

  private func locked<T>(_ body: () throws -> T) rethrows -> T {
    lock.lock()
    defer { lock.unlock() }
    return try body()
  }

  func setFaults(dropShare: Double?, delay: TimeInterval?, partialShare: Double? = nil) {
    locked {
      if let dropShare { options.dropShare = dropShare }
      if let delay { options.delay = delay }
      if let partialShare { options.partialShare = partialShare }
    }
  }

  var faults: (dropShare: Double, delay: TimeInterval, partialShare: Double) {
    locked { (options.dropShare, options.delay, options.partialShare) }
  }

  // MARK: Channels

  enum CreateResult {
    case created(Channel)
    case full
  }

  /// A new channel for `clientId`; a 21st replaces the client's oldest channel that never had a
  /// socket, and when every one has had one it is refused (the harsher reading, docs/emulator.md).
  func create(clientId: String, id: String, now: Date) -> CreateResult {
    locked {
      expire(now: now)
      let mine = order.filter { channels[$0]?.clientId == clientId }
      if mine.count >= Self.maxChannelsPerClient {
        guard let oldest = mine.first(where: { channels[$0]?.everConnected == false }) else { return .full }
        remove(oldest)
      }
      let channel = Channel(
        id: id, clientId: clientId, created: now, expires: now.addingTimeInterval(options.channelLifetime),
        topics: [], socket: nil)
      channels[id] = channel
      order.append(id)
      return .created(channel)
    }
  }

  func channel(_ id: String, clientId: String? = nil, now: Date) -> Channel? {
    locked {
      expire(now: now)
      guard let c = channels[id], clientId == nil || c.clientId == clientId else { return nil }
      return c
    }
  }

  /// The client's channels (`includechannels=oauthclient`; a client-credentials token is its client).
  func channels(clientId: String, now: Date) -> [Channel] {
    locked {
      expire(now: now)
      return order.compactMap { channels[$0] }.filter { $0.clientId == clientId }
    }
  }

  enum SubscribeResult {
    case ok(Channel)
    case notFound
    case tooMany(Int)
  }

  /// Adds (`replace: false`) or replaces the channel's topics with those permitted; subscribing extends
  /// the channel's life.
  func subscribe(_ id: String, clientId: String, topics: [String], replace: Bool, now: Date)
    -> SubscribeResult
  {
    locked {
      expire(now: now)
      guard var c = channels[id], c.clientId == clientId else { return .notFound }
      var next = replace ? [] : c.topics
      for t in topics where !next.contains(t) { next.append(t) }
      if next.count > Self.maxTopicsPerChannel { return .tooMany(next.count) }
      c.topics = next
      c.expires = now.addingTimeInterval(options.channelLifetime)
      channels[id] = c
      return .ok(c)
    }
  }

  func unsubscribeAll(_ id: String, clientId: String, now: Date) -> Bool {
    locked {
      expire(now: now)
      guard var c = channels[id], c.clientId == clientId else { return false }
      c.topics = []
      channels[id] = c
      return true
    }
  }

  private func remove(_ id: String) {
    if let socket = channels[id]?.socket {
      socket.continuation.yield(Outbound(text: "", notBefore: .distantPast, close: true))
      socket.continuation.finish()
    }
    channels[id] = nil
    order.removeAll { $0 == id }
  }

  /// Drops expired channels, closing their sockets.
  private func expire(now: Date) {
    for id in order where (channels[id]?.expires ?? now) <= now { remove(id) }
  }

  func expireChannels(now: Date) { locked { expire(now: now) } }

  // MARK: Sockets

  /// Attaches a new socket to a channel; a socket already there is disconnected (one per channel).
  /// Nil when the channel does not exist (or has expired).
  func attach(_ channelId: String, now: Date) -> (Socket, AsyncStream<Outbound>)? {
    locked {
      expire(now: now)
      guard var c = channels[channelId] else { return nil }
      if let old = c.socket {
        old.continuation.yield(Outbound(text: "", notBefore: .distantPast, close: true))
        old.continuation.finish()
      }
      let (stream, continuation) = AsyncStream<Outbound>.makeStream(
        bufferingPolicy: .bufferingNewest(100_000))
      nextSocket += 1
      let socket = Socket(id: nextSocket, continuation: continuation)
      c.socket = socket
      c.everConnected = true
      channels[channelId] = c
      return (socket, stream)
    }
  }

  func detach(_ channelId: String, socket: Socket) {
    locked {
      guard var c = channels[channelId], c.socket?.id == socket.id else { return }
      c.socket = nil
      channels[channelId] = c
    }
  }

  /// Sends a message to one channel's socket now (heartbeats, pongs, system messages); with `close`,
  /// then closes the socket with a close frame (the announced maintenance close).
  func send(_ channelId: String, _ text: String, close: Bool = false) -> Bool {
    locked {
      guard let socket = channels[channelId]?.socket else { return false }
      socket.continuation.yield(Outbound(text: text, notBefore: .distantPast))
      if close {
        socket.continuation.yield(Outbound(text: "", notBefore: .distantPast, close: true, graceful: true))
        socket.continuation.finish()
      }
      return true
    }
  }

  /// Every channel with a socket: for heartbeats and socket-closing notices.
  func connectedChannels() -> [String] {
    locked { order.filter { channels[$0]?.socket != nil } }
  }

  /// Closes every socket (a `drop` fault): the channels and their subscriptions stay.
  func dropSockets() -> Int {
    locked {
      var n = 0
      for id in order {
        guard var c = channels[id], let socket = c.socket else { continue }
        socket.continuation.yield(Outbound(text: "", notBefore: .distantPast, close: true))
        socket.continuation.finish()
        c.socket = nil
        channels[id] = c
        n += 1
      }
      return n
    }
  }

  // MARK: Events

  /// Publishes `body` on `topic` to every connected channel subscribed to it. Events are never
  /// queued for a channel without a socket, nor replayed after a reconnect.
  func publish(
    topic: String, body: JSONValue, conversationId: String?, correlationId: String, now: Date,
    random: inout SimRandom
  ) {
    locked {
      func text(_ body: JSONValue) -> String {
        JSONValue.object([
          ("topicName", .string(topic)), ("version", .string("2")), ("eventBody", body),
          ("metadata", .object([("CorrelationId", .string(correlationId))])),
        ]).render()
      }
      let whole = text(body)
      // A partial body, as a fault: the call without its participants.
      var partial = whole
      if options.partialShare > 0, case .object(let pairs) = body {
        partial = text(.object(pairs.filter { $0.0 != "participants" }))
      }
      for id in order {
        guard let c = channels[id], c.topicSet.contains(topic) else { continue }
        let dropped = options.dropShare > 0 && random.unit() < options.dropShare
        published.append(
          Published(time: now, topic: topic, channelId: id, conversationId: conversationId, dropped: dropped))
        if published.count > maxPublished { published.removeFirst(published.count - maxPublished) }
        guard !dropped, let socket = c.socket else { continue }
        let isPartial = options.partialShare > 0 && random.unit() < options.partialShare
        socket.continuation.yield(
          Outbound(text: isPartial ? partial : whole, notBefore: now.addingTimeInterval(options.delay)))
      }
    }
  }

  func publishedLog() -> [Published] { locked { published } }
  func clearPublished() { locked { published = [] } }

  /// Whether any channel subscribes to `topic` (the engine renders an event only then).
  func hasSubscribers(_ topics: [String]) -> Bool {
    locked {
      order.contains { id in channels[id].map { c in topics.contains { c.topicSet.contains($0) } } ?? false }
    }
  }
}
