import Backoff
import WireTime
import Foundation
import Logging
import NIOCore
import HummingbirdWSClient
import NIOHTTP1

extension GenesysClient {
  /// `POST /api/v2/notifications/channels`.
  public func createChannel() async throws -> NotificationChannel {
    try decode(
      NotificationChannel.self,
      try await send(.POST, "/api/v2/notifications/channels", body: Data("{}".utf8), idempotent: false))
  }

  /// Replaces (`PUT`) a channel's topics, with `ignoreErrors=true`: one unpermitted topic does not
  /// fail the others; the answer says which were rejected and why. Subscribing again extends the
  /// channel's life.
  public func subscribe(channel: String, topics: [String]) async throws -> [ChannelTopic] {
    let body = try JSONSerialization.data(withJSONObject: topics.map { ["id": $0] })
    let path = "/api/v2/notifications/channels/\(try Self.pathId(channel))/subscriptions?ignoreErrors=true"
    return try decode(ChannelTopicListing.self, try await send(.PUT, path, body: body, idempotent: true))
      .entities ?? []
  }
}

/// Follows call topics over the Notifications API (docs/genesys-api.md §8.4): channels of at most 1,000
/// topics (at most 20 channels), each with one WebSocket dialled without auth, a watchdog on the
/// heartbeats, reconnection on close or `v2.system.socket_closing`, a new subscription before the
/// channel expires, and lenient parsing of event bodies. REST calls go through the client (its token
/// is refreshed on its own; the socket needs none) and so through the rate budget.
public actor NotificationStream {
  public static let topicsPerChannel = 1000
  public static let channelsPerClient = 20

  let client: GenesysClient
  /// Silence longer than this (no heartbeat, no event) counts as a dead socket.
  let silence: Double
  /// Subscribe again this long before a channel expires (at the latest at 80 % of its life).
  let renewBefore: Double
  let logger: Logger
  private var topics: [String]
  /// Bumped by every change of the topics: each channel compares it with what it subscribed.
  private var version = 0
  public private(set) var connects = 0
  public private(set) var channelsCreated = 0

  public init(client: GenesysClient, topics: [String], silence: Double = 90, renewBefore: Double = 3600) {
    self.client = client
    self.topics = Array(Set(topics)).sorted()
    self.silence = silence
    self.renewBefore = renewBefore
    var logger = Logger(label: "partyline.notifications")
    logger.logLevel = .critical
    self.logger = logger
  }

  /// Topics beyond what 20 channels can hold.
  public var overflow: [String] {
    Array(topics.dropFirst(Self.topicsPerChannel * Self.channelsPerClient))
  }

  /// Follows `topics` from now on. The channels already made keep their sockets and get their new
  /// topics by subscription (`PUT`): a channel that had a socket counts against the 20 until it
  /// expires, so a change of topics never makes a new one. A channel is only made for a chunk of
  /// 1,000 topics that had none.
  public func setTopics(_ new: [String]) {
    let sorted = Array(Set(new)).sorted()
    guard sorted != topics else { return }
    topics = sorted
    version += 1
  }

  /// Channel `index`'s topics (the `index`-th 1,000 of the sorted topics) and the version they are of.
  func chunk(_ index: Int) -> (version: Int, topics: [String]) {
    let start = index * Self.topicsPerChannel
    guard start < topics.count else { return (version, []) }
    return (version, Array(topics[start..<min(start + Self.topicsPerChannel, topics.count)]))
  }

  /// Runs until cancelled: one task per channel, each idle (no channel made) while its chunk of the
  /// topics is empty. `handle` is called for every event, in order per channel.
  public func run(_ handle: @escaping @Sendable (NotificationEvent) async -> Void) async {
    await withTaskGroup(of: Void.self) { group in
      for index in 0..<Self.channelsPerClient {
        group.addTask { await self.follow(index, handle) }
      }
    }
  }

  func noteConnect() { connects += 1 }
  func noteChannel() { channelsCreated += 1 }

  /// Channel `index`, for as long as the task runs.
  nonisolated func follow(_ index: Int, _ handle: @escaping @Sendable (NotificationEvent) async -> Void)
    async
  {
    var attempt = 0
    var channel: NotificationChannel?
    var subscribedAt = 0.0
    var lifetime = 24 * 3600.0
    let subscribed = Subscribed()
    while !Task.isCancelled {
      do {
        if channel == nil {
          let wanted = await chunk(index)
          if wanted.topics.isEmpty {
            try await Task.sleep(nanoseconds: 500_000_000)
            continue
          }
          let c = try await client.createChannel()
          await noteChannel()
          let answers = try await client.subscribe(channel: c.id, topics: wanted.topics)
          subscribed.set(wanted.version)
          let rejected = answers.filter(\.rejected)
          if !rejected.isEmpty { await handle(.rejected(rejected)) }
          channel = c
          subscribedAt = client.budget.clock.now()
          // The expiry is the service's wall time: measured against this machine's.
          if let e = c.expires.flatMap(Timestamp.parse) {
            lifetime = max(1, e - Date().timeIntervalSince1970)
          }
        }
        guard let c = channel else { continue }
        // An hour before expiry, at the latest at 80 % of the channel's life, never before half of it.
        let every = max(lifetime * 0.5, min(lifetime - renewBefore, lifetime * 0.8))
        let client = self.client
        // Subscribing again (with the topics as they are now) extends the channel; the socket stays
        // open.
        let renew: @Sendable () async -> Bool = {
          let wanted = await self.chunk(index)
          guard let answers = try? await client.subscribe(channel: c.id, topics: wanted.topics) else {
            return false
          }
          subscribed.set(wanted.version)
          let rejected = answers.filter(\.rejected)
          if !rejected.isEmpty { await handle(.rejected(rejected)) }
          return true
        }
        let changed: @Sendable () async -> Bool = { await self.chunk(index).version != subscribed.version }
        let outcome = await socket(
          c, firstRenewal: subscribedAt + every, every: every, lifetime: lifetime, renew: renew,
          changed: changed,
          handle: handle)
        subscribedAt = self.client.budget.clock.now()
        attempt = 0
        switch outcome {
        case .renew:
          break
        case .closed(let why):
          await handle(.gap(why))
        case .failed(let why):
          // The channel may be gone (expired, replaced): make a new one.
          channel = nil
          await handle(.gap(why))
          attempt += 1
          try await Task.sleep(nanoseconds: UInt64(Backoff.channel.delay(attempt: attempt) * 1e9))
        }
      } catch is CancellationError {
        return
      } catch {
        if Task.isCancelled { return }
        channel = nil
        attempt += 1
        await handle(.gap("notifications: \(error)"))
        try? await Task.sleep(nanoseconds: UInt64(Backoff.channel.delay(attempt: attempt) * 1e9))
      }
    }
  }

  enum SocketOutcome {
    case renew
    /// Closed by the service or by the watchdog: dial the same channel again.
    case closed(String)
    /// Could not connect: make a new channel.
    case failed(String)
  }

  /// One WebSocket on the channel until it closes, falls silent, or the subscription must be renewed.
  nonisolated func socket(
    _ channel: NotificationChannel, firstRenewal: Double, every: Double, lifetime: Double,
    renew: @escaping @Sendable () async -> Bool, changed: @escaping @Sendable () async -> Bool,
    handle: @escaping @Sendable (NotificationEvent) async -> Void
  ) async -> SocketOutcome {
    let clock = client.budget.clock
    let state = SocketState(clock: clock)
    let silence = self.silence
    let logger = self.logger
    let result: SocketOutcome = await withTaskGroup(of: SocketOutcome?.self) { group in
      group.addTask {
        // The URL comes from an answer: held to the REST client's rules before it is dialled.
        if let problem = GenesysConfiguration.socketURLProblem(channel.connectUri) { return .failed(problem) }
        do {
          try await WebSocketClient.connect(url: channel.connectUri, logger: logger) { inbound, outbound, _ in
            await self.noteConnect()
            state.opened(outbound)
            await handle(.gap("connected"))
            for try await message in inbound.messages(maxSize: 16 << 20) {
              state.heard()
              guard case .text(let text) = message else { continue }
              switch Self.parse(text) {
              case .heartbeat, .ignored: break
              case .socketClosing:
                state.closing("the service announced the socket is closing")
                return
              case .system(let what):
                await handle(.gap("system message \(what)"))
              case .call(let topic, let call):
                await handle(.call(topic: topic, call))
              }
            }
          }
          return .closed(state.reason ?? "the socket closed")
        } catch {
          return state.wasOpened
            ? .closed("the socket failed: \(error)") : .failed("cannot connect: \(error)")
        }
      }
      group.addTask {
        // The watchdog: silence, and the channel's renewal. A renewal that fails is tried again
        // every second while the channel still lives; one that cannot be made before the channel
        // expires is a gap (the channel may be gone, so a new one is made).
        var renewAt = firstRenewal
        var renewed = firstRenewal - every
        while !Task.isCancelled {
          try? await Task.sleep(nanoseconds: 250_000_000)
          let now = clock.now()
          // New topics go onto the open socket's channel at once; renewing does the same.
          let topicsChanged = await changed()
          if now >= renewAt || topicsChanged {
            if await renew() {
              renewed = clock.now()
              renewAt = renewed + every
            } else if clock.now() + 1 < renewed + lifetime {
              renewAt = clock.now() + 1
            } else {
              return .failed("the subscription could not be renewed")
            }
          }
          if state.wasOpened, now - state.lastHeard > silence {
            return .closed("no heartbeat for \(Int(silence)) s")
          }
        }
        return nil
      }
      let first = await group.next() ?? nil
      group.cancelAll()
      return first ?? .closed("stopped")
    }
    return result
  }

  enum Parsed {
    case heartbeat, ignored, socketClosing
    case system(String)
    case call(String, CallConversation)
  }

  /// Lenient: unknown fields and enum values pass; a body that is not a call snapshot is ignored.
  static func parse(_ text: String) -> Parsed {
    guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
      let topic = object["topicName"] as? String
    else { return .ignored }
    if topic == "channel.metadata" { return .heartbeat }
    if topic == "v2.system.socket_closing" { return .socketClosing }
    if topic.hasPrefix("v2.system") {
      let body = object["eventBody"] as? [String: Any]
      return .system((body?["message"] as? String) ?? topic)
    }
    guard topic.hasSuffix(".conversations.calls"), let body = object["eventBody"],
      let data = try? JSONSerialization.data(withJSONObject: body),
      let call = try? JSONDecoder().decode(CallConversation.self, from: data)
    else { return .ignored }
    return .call(topic, call)
  }

  /// The call topics of a user and of a queue.
  public static func userTopic(_ userId: String) -> String { "v2.users.\(userId).conversations.calls" }
  public static func queueTopic(_ queueId: String) -> String {
    "v2.routing.queues.\(queueId).conversations.calls"
  }
}
