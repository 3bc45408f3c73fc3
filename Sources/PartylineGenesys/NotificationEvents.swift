public import GenesysCloud
public import PartylineCore

/// Watch's call events over the Notifications API: one `NotificationStream` for the whole run, whose
/// topics follow what the full reconciles learn. Each call's snapshot is published to `latest` before
/// the watcher sees it (a reconcile may be waiting for it to confirm a change).
public struct NotificationEvents: CallEventSource {
  let stream: NotificationStream
  let latest: LatestCalls

  /// Events through `client`'s channels; `silence` without a heartbeat counts as a dead socket.
  public init(client: GenesysClient, latest: LatestCalls, silence: Double) {
    stream = NotificationStream(client: client, topics: [], silence: silence)
    self.latest = latest
  }

  /// The Notifications API topic of a watch topic.
  public static func topic(_ t: WatchTopic) -> String {
    switch t {
    case .queue(let id): NotificationStream.queueTopic(id)
    case .user(let id): NotificationStream.userTopic(id)
    }
  }

  /// Subscribes the stream to `topics` instead of those before, and returns how many could not be
  /// followed (see ``CallEventSource``).
  public func follow(_ topics: [WatchTopic]) async -> Int {
    await stream.setTopics(topics.map(Self.topic))
    return await stream.overflow.count
  }

  /// The call's latest snapshot, when no gap came since (see ``CallEventSource``).
  public func current(_ conversation: String) async -> LiveConversation? {
    await latest.current(conversation)
  }

  /// Delivers the stream's events until cancelled, each call's snapshot published to `latest` first
  /// (see ``CallEventSource``).
  public func run(_ handle: @escaping @Sendable (CallEvent) async -> Void) async {
    let latest = self.latest
    await stream.run { event in
      switch event {
      case .call(_, let call) where call.participants.isEmpty:
        // A partial or broken body: no snapshot (a call that ended still lists its participants,
        // disconnected), so nothing is concluded from it; the call is read instead.
        if let id = ConversationId(call.id) {
          await latest.forget(id.rawValue)
          await handle(.partial(id.rawValue))
        }
      case .call(_, let call):
        let live = LiveStateReader.convert(call)
        await latest.publish(live)
        await handle(.call(live))
      case .gap(let why):
        // Events may have been missed: no snapshot held is known to be current any more.
        await latest.forgetAll()
        await handle(.gap(why))
      case .rejected(let rejected):
        await latest.forgetAll()
        let missing = Set(rejected.flatMap { $0.missingPermissions ?? [] }).sorted()
        await handle(
          .rejected(
            count: rejected.count, reason: rejected.first?.rejectionReason ?? "rejected",
            missingPermissions: missing))
      }
    }
  }
}
