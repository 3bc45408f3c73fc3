import Foundation
import OrderedJSON
import YAMLReader

/// The Notifications API's REST side (docs/genesys-api.md §8.4) and the events the world's changes publish.
extension SimEngine {
  /// The permissions (ANY) a client needs to subscribe to a call topic. The real lists are not
  /// published (§8.4 [U]); these defaults are the emulator's assumption, and a fixture's
  /// `topicPermissions` replaces them.
  static let defaultTopicPermissions: [String: [String]] = [
    "v2.users.{id}.conversations.calls": ["conversation:communication:view"],
    "v2.routing.queues.{id}.conversations.calls": ["routing:queue:view"],
  ]

  /// The pattern a topic instantiates (`v2.users.{id}.conversations.calls`), nil for a topic the
  /// emulator does not serve.
  static func topicPattern(_ topic: String) -> String? {
    let parts = topic.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
    func isId(_ s: String) -> Bool {
      s.count == 36 && s.allSatisfy { $0.isHexDigit || $0 == "-" }
    }
    if parts.count == 5, parts[0] == "v2", parts[1] == "users", isId(parts[2]), parts[3] == "conversations",
      parts[4] == "calls"
    {
      return "v2.users.{id}.conversations.calls"
    }
    if parts.count == 6, parts[0] == "v2", parts[1] == "routing", parts[2] == "queues", isId(parts[3]),
      parts[4] == "conversations", parts[5] == "calls"
    {
      return "v2.routing.queues.{id}.conversations.calls"
    }
    return nil
  }

  func setStreamingBase(_ base: String) { locked { streamingBase = base } }

  func channelJSON(_ c: SimNotifications.Channel) -> JSONValue {
    .object([
      ("connectUri", .string("\(streamingBase)/channels/\(c.id)")), ("id", .string(c.id)),
      ("expires", .string(isoDate(c.expires))),
    ])
  }

  func createChannel(client: String, token: String, _ context: Context) -> SimReply {
    let id = random.uuid()
    switch notifications.create(clientId: client, id: id, now: context.now) {
    case .created(let c): return json(200, channelJSON(c))
    case .full:
      return error(
        400, "notification.channel.limit",
        "A client can have at most \(SimNotifications.maxChannelsPerClient) channels, and every one has a connection.",
        context)
    }
  }

  /// `includechannels=token|oauthclient`: a client-credentials token acts as its client, so both list
  /// the client's channels.
  func listChannels(_ request: SimRequest, client: String, token: String, _ context: Context) -> SimReply {
    if let which = request.queryValues("includechannels").last, which != "token", which != "oauthclient" {
      return error(400, "bad.request", "includechannels must be token or oauthclient.", context)
    }
    return json(
      200,
      .object([
        ("entities", .array(notifications.channels(clientId: client, now: context.now).map(channelJSON)))
      ]))
  }

  func subscriptions(
    _ request: SimRequest, route: SimRoute, channelId: String, client: SimFixture.Client, _ context: Context
  ) -> SimReply {
    guard let channel = notifications.channel(channelId, clientId: client.id, now: context.now) else {
      return error(404, "not.found", "The channel \(channelId) was not found.", context)
    }
    switch route {
    case .getSubscriptions:
      return json(200, .object([("entities", .array(channel.topics.map { .object([("id", .string($0))]) }))]))
    case .deleteSubscriptions:
      _ = notifications.unsubscribeAll(channelId, clientId: client.id, now: context.now)
      return SimReply(status: 204)
    default:
      break
    }
    let body: JSONValue
    switch parseBody(request, context) {
    case .success(let v): body = v
    case .failure(let reply): return reply
    }
    guard let items = body.arrayValue else {
      return badRequest(
        "The body must be a list of topics ([{\"id\": \"v2.users.{id}.conversations.calls\"}]).", context)
    }
    let ignoreErrors = request.queryValues("ignoreErrors").last?.lowercased() == "true"
    var permitted: [String] = []
    var answers: [JSONValue] = []
    var rejected: [(String, [String], String)] = []
    let requirements = Self.defaultTopicPermissions.merging(org.topicPermissions) { _, fixture in fixture }
    for item in items {
      guard let topic = item["id"]?.stringValue, !topic.isEmpty else {
        return badRequest("Each topic must be an object with an 'id'.", context)
      }
      guard let pattern = Self.topicPattern(topic) else {
        rejected.append((topic, [], "Topic is not valid"))
        answers.append(
          .object([
            ("id", .string(topic)), ("state", .string("Rejected")),
            ("rejectionReason", .string("Topic is not valid")),
          ]))
        continue
      }
      let needed = requirements[pattern] ?? []
      let granted =
        needed.isEmpty
        || needed.contains { p in client.permissions.contains { SimPermissions.covers($0, p) } }
      if granted {
        permitted.append(topic)
        answers.append(.object([("id", .string(topic)), ("state", .string("Permitted"))]))
      } else {
        rejected.append((topic, needed, "Missing permissions"))
        answers.append(
          .object([
            ("id", .string(topic)), ("state", .string("Rejected")),
            ("rejectionReason", .string("Missing permissions")),
            ("missingPermissions", .array(needed.map { .string($0) })),
          ]))
      }
    }
    if !ignoreErrors, let first = rejected.first {
      if first.1.isEmpty {
        return badRequest("The topic '\(first.0)' is not valid.", context)
      }
      return error(
        403, "missing.any.permissions",
        "Unable to subscribe to \(first.0). You must have at least one of the following permissions assigned: [\(first.1.joined(separator: ", "))]",
        context)
    }
    switch notifications.subscribe(
      channelId, clientId: client.id, topics: permitted, replace: route == .replaceSubscriptions,
      now: context.now)
    {
    case .notFound: return error(404, "not.found", "The channel \(channelId) was not found.", context)
    case .tooMany(let n):
      return badRequest(
        "A channel can have at most \(SimNotifications.maxTopicsPerChannel) topics; this request would make \(n).",
        context)
    case .ok:
      return json(200, .object([("entities", .array(answers))]))
    }
  }

  // MARK: Events

  /// Applies what is due and publishes the changes (the server's ticker calls it every few ms, so
  /// events come when the change takes effect, not when someone next reads).
  func tick() {
    locked {
      let now = options.now()
      advance(now)
      notifications.expireChannels(now: now)
    }
  }

  /// When the next scheduled change takes effect.
  func nextDue() -> Date? { locked { org.scheduled.first?.at } }

  /// Applies what is due at `now` and publishes the events of every conversation that changed.
  func advance(_ now: Date) {
    org.advance(to: now)
    flushEvents(now)
  }

  /// One event per changed conversation and topic: the whole call as it is now.
  func flushEvents(_ now: Date) {
    guard !org.changed.isEmpty else { return }
    var seen = Set<String>()
    let ids = org.changed.filter { seen.insert($0).inserted }
    org.changed = []
    for cid in ids {
      guard let c = org.conversations[cid] else { continue }
      let topics = org.topics(of: c)
      guard notifications.hasSubscribers(topics) else { continue }
      let body = org.eventJSON(c)
      for topic in topics {
        notifications.publish(
          topic: topic, body: body, conversationId: cid, correlationId: random.uuid(), now: now,
          random: &random)
      }
    }
  }
}
