import Foundation
import OrderedJSON
import YAMLReader

/// The emulator's state and rules, behind one lock. `handle` is synchronous; latency is slept by the
/// caller outside the lock.
final class SimEngine: @unchecked Sendable {
  struct Token {
    var clientId: String
    var expires: Date
  }

  struct Window {
    var start: Date
    var count: Int
  }

  struct LogEntry {
    var time: Date
    var clientId: String?
    var method: String
    var path: String
    var route: String
    var status: Int
    var correlationId: String
  }

  let options: SimOptions
  private let lock = NSLock()
  var org: SimOrganisation
  var random: SimRandom
  private var tokens: [String: Token] = [:]
  private var windows: [String: Window] = [:]
  private var faults: [FaultRule]
  private var log: [LogEntry] = []
  private var logStart = 0
  private var counts: [String: [Int: Int]] = [:]
  private var countOrder: [String] = []
  private var total = 0
  /// Conversation bodies as last rendered, valid while the organisation's revision is unchanged.
  private var rendered: [String: (revision: Int, body: String)] = [:]

  /// Channels, subscriptions and sockets (its own lock).
  let notifications: SimNotifications
  /// `ws://127.0.0.1:PORT`, set once the server listens: the base of every channel's `connectUri`.
  var streamingBase = "ws://127.0.0.1:0"

  init(fixture: SimFixture, options: SimOptions) {
    self.notifications = SimNotifications(options: options.notifications)
    self.options = options
    var random = SimRandom(seed: options.seed)
    self.org = SimOrganisation(fixture: fixture, start: options.now(), ids: &random)
    self.random = random
    self.faults = options.faults
  }

  func locked<T>(_ body: () throws -> T) rethrows -> T {
    lock.lock()
    defer { lock.unlock() }
    return try body()
  }

  // MARK: Faults, log and counts

  func decideFault(method: String, path: String) -> FaultDecision {
    locked {
      guard let index = faults.firstIndex(where: { $0.matches(method: method, path: path) }) else {
        return FaultDecision()
      }
      let rule = faults[index]
      var decision = FaultDecision(latency: rule.latency)
      let shares = [rule.error500, rule.error503, rule.error504, rule.error429, rule.reset]
      guard shares.contains(where: { $0 > 0 }) else { return decision }
      let r = random.unit()
      var edge = 0.0
      for (k, share) in shares.enumerated() {
        edge += share
        if r < edge {
          switch k {
          case 3: decision.outcome = .throttled(retryAfter: rule.retryAfter)
          case 4: decision.outcome = .reset
          default: decision.outcome = .status([500, 503, 504][k])
          }
          break
        }
      }
      // A rule with a count stops once it has given that many faulty answers.
      if case .none = decision.outcome {
      } else if let times = rule.times {
        if times <= 1 { faults.remove(at: index) } else { faults[index].times = times - 1 }
      }
      return decision
    }
  }

  func newCorrelationId() -> String { locked { random.uuid() } }

  func record(
    time: Date, clientId: String?, method: String, path: String, route: String, status: Int,
    correlationId: String
  ) {
    locked {
      total += 1
      if counts[route] == nil {
        counts[route] = [:]
        countOrder.append(route)
      }
      counts[route]![status, default: 0] += 1
      log.append(
        LogEntry(
          time: time, clientId: clientId, method: method, path: path, route: route, status: status,
          correlationId: correlationId))
      if log.count - logStart > options.maxLogEntries { logStart += 1 }
      if logStart > 4096, logStart * 2 > log.count {
        log.removeFirst(logStart)
        logStart = 0
      }
    }
  }

  func requestCountsJSON() -> JSONValue {
    locked {
      .object([
        ("total", .int(total)),
        (
          "routes",
          .array(
            countOrder.map { route in
              let statuses = counts[route]!.sorted { $0.key < $1.key }
              return .object([
                ("route", .string(route)),
                ("total", .int(statuses.reduce(0) { $0 + $1.value })),
                ("statuses", .object(statuses.map { (statusLabel($0.key), .int($0.value)) })),
              ])
            })
        ),
      ])
    }
  }

  func logJSON() -> JSONValue {
    locked {
      .object([
        (
          "entries",
          .array(
            log[logStart...].map { e in
              .object([
                ("time", .string(isoDate(e.time))),
                ("clientId", .optional(e.clientId)),
                ("method", .string(e.method)),
                ("path", .string(e.path)),
                ("route", .string(e.route)),
                ("status", e.status == 0 ? .string("reset") : .int(e.status)),
                ("correlationId", .string(e.correlationId)),
              ])
            })
        )
      ])
    }
  }

  func clearRequests() {
    locked {
      log = []
      logStart = 0
      counts = [:]
      countOrder = []
      total = 0
    }
  }

  func setFaults(_ rules: [FaultRule]) { locked { faults = rules } }
  func currentFaults() -> [FaultRule] { locked { faults } }

  // MARK: The world changing

  enum WorldChange {
    case merged(conversations: Int, participants: Int)
    case invalid([Diagnostic])
    case conflict(String, code: String)
    case notFound
    case done
  }

  /// `POST /sim/conversations`: new users and conversations, or participants joining.
  func merge(_ body: [UInt8]) -> WorldChange {
    locked {
      let now = options.now()
      advance(now)
      switch SimFixture.parseFragment(
        body, knownUsers: Set(org.users.keys), knownQueues: Set(org.queues.keys))
      {
      case .failure(let diagnostics): return .invalid(diagnostics.items)
      case .success(let fragment):
        switch org.merge(fragment, now: now, ids: &random) {
        case .success(let (c, p)):
          flushEvents(now)
          return .merged(conversations: c, participants: p)
        case .failure(let conflict): return .conflict(conflict.message, code: conflict.code)
        }
      }
    }
  }

  /// Ends a conversation (every participant) or one participant's part in it.
  func disconnect(_ conversationId: String, participantId: String?) -> WorldChange {
    locked {
      let now = options.now()
      advance(now)
      let found = org.disconnect(conversationId, participantId: participantId, now: now)
      flushEvents(now)
      return found ? .done : .notFound
    }
  }

  func historyJSON() -> JSONValue {
    locked {
      advance(options.now())
      return .object([
        (
          "events",
          .array(
            org.history[org.historyStart...].map { e in
              var pairs: [(String, JSONValue)] = [
                ("time", .string(isoDate(e.time))), ("conversationId", .string(e.conversationId)),
                ("participantId", .string(e.participantId)), ("event", .string(e.event)),
              ]
              if let u = e.userId { pairs.append(("userId", .string(u))) }
              if let r = e.requested { pairs.append(("requestedAt", .string(isoDate(r)))) }
              if let c = e.changed { pairs.append(("changed", .bool(c))) }
              return .object(pairs)
            })
        ),
        (
          // Each event the sockets were sent (or a fault dropped), with its time and topic.
          "notifications",
          .array(
            notifications.publishedLog().map { n in
              var pairs: [(String, JSONValue)] = [
                ("time", .string(isoDate(n.time))), ("topic", .string(n.topic)),
                ("channelId", .string(n.channelId)),
              ]
              if let c = n.conversationId { pairs.append(("conversationId", .string(c))) }
              pairs.append(("dropped", .bool(n.dropped)))
              return .object(pairs)
            })
        ),
      ])
    }
  }

  func clearHistory() {
    locked {
      org.history = []
      org.historyStart = 0
      notifications.clearPublished()
    }
  }

  func exportedFixture() -> SimFixture {
    locked {
      advance(options.now())
      return org.exported()
    }
  }

  // MARK: Requests

  /// Handles one request (not `/sim/*`); returns the reply and the client it was made for.
  func handle(_ request: SimRequest, route: SimRoute?, params: [String], correlationId: String) -> (
    SimReply, String?
  ) {
    locked {
      let now = options.now()
      advance(now)
      var context = Context(correlationId: correlationId, now: now)
      var reply = dispatch(request, route: route, params: params, context: &context)
      flushEvents(now)
      reply.headers.append(("ININ-Correlation-Id", correlationId))
      reply.headers.append(contentsOf: context.rateHeaders)
      return (reply, context.clientId)
    }
  }

  struct Context {
    var correlationId: String
    var now: Date
    var clientId: String?
    var rateHeaders: [(String, String)] = []
  }

  private func dispatch(
    _ request: SimRequest, route: SimRoute?, params: [String], context: inout Context
  ) -> SimReply {
    guard let route else {
      return error(404, "not.found", "The requested resource was not found: \(request.path)", context)
    }
    if route == .token { return issueToken(request, &context) }
    if route == .patchRecordingState, !options.recordingStatePatch {
      return error(404, "not.found", "The requested resource was not found: \(request.path)", context)
    }

    // Authentication, then the per-token rate limit.
    guard let auth = request.authorization, let token = bearer(auth) else {
      return error(
        401, "authentication.required", "No authentication bearer token specified in authorization header.",
        context)
    }
    guard let t = tokens[token], t.expires > context.now, org.clients[t.clientId] != nil else {
      return error(401, "bad.credentials", "Invalid login credentials.", context)
    }
    context.clientId = t.clientId
    if let limited = rateLimit(token: token, context: &context) { return limited }

    let client = org.clients[t.clientId]!
    let needed = route.permissions
    if !needed.isEmpty,
      !needed.contains(where: { p in client.permissions.contains { SimPermissions.covers($0, p) } })
    {
      return error(
        403, "missing.any.permissions",
        "Unable to perform the requested action. You must have at least one of the following permissions assigned: [\(needed.joined(separator: ", "))]",
        context)
    }

    switch route {
    case .token: preconditionFailure()
    case .listConversations, .listCalls:
      return notAUser(context)
    case .maximumConferenceParties:
      return json(200, .object([("maxParticipants", .int(20))]))
    case .getCall, .getConversation:
      let key = (route == .getCall ? "call:" : "generic:") + params[0]
      if let cached = rendered[key], cached.revision == org.revision {
        return SimReply(status: 200, headers: [("Content-Type", "application/json")], body: cached.body)
      }
      guard let c = org.conversations[params[0]] else { return conversationNotFound(params[0], context) }
      let reply = json(200, route == .getCall ? org.callConversationJSON(c) : org.conversationJSON(c))
      if rendered.count > 10_000 { rendered = [:] }
      rendered[key] = (org.revision, reply.body)
      return reply
    case .patchCallParticipant, .patchParticipant:
      return notAUser(context)
    case .patchCallParticipantUser:
      return patchParticipant(
        request, conversationId: params[0], participantId: params[1], userId: params[2], context)
    case .putCallRecordingState, .patchRecordingState:
      return setRecordingState(
        request, conversationId: params[0], put: route == .putCallRecordingState, context)
    case .addParticipants:
      return notAUser(context)
    case .addParticipantsUser:
      return addParticipants(request, conversationId: params[0], userId: params[1], context)
    case .getUser:
      guard let u = org.users[params[0]] else {
        return error(404, "not.found", "The user \(params[0]) was not found.", context)
      }
      return json(200, org.userJSON(u, expand: expand(request), now: context.now))
    case .getUsers:
      return listUsers(request, context)
    case .searchUsers:
      return searchUsers(request, context)
    case .listQueues:
      return listQueues(request, context)
    case .getQueue:
      guard let q = org.queues[params[0]] else {
        return error(404, "not.found", "The queue \(params[0]) was not found.", context)
      }
      return json(200, org.queueJSON(q))
    case .activityQuery:
      return activityQuery(request, context)
    case .orgLimits:
      return orgLimits(namespace: params[0], client: client, context)
    case .createChannel:
      return createChannel(client: client.id, token: token, context)
    case .listChannels:
      return listChannels(request, client: client.id, token: token, context)
    case .headChannel:
      return notifications.channel(params[0], clientId: client.id, now: context.now) == nil
        ? SimReply(status: 404) : SimReply(status: 200)
    case .getSubscriptions, .addSubscriptions, .replaceSubscriptions, .deleteSubscriptions:
      return subscriptions(request, route: route, channelId: params[0], client: client, context)
    }
  }

  // MARK: OAuth

  private func oauthError(_ status: Int, _ error: String, _ description: String) -> SimReply {
    json(
      status,
      .object([
        ("error", .string(error)), ("description", .string(description)),
        ("error_description", .string(description)),
      ]))
  }

  private func issueToken(_ request: SimRequest, _ context: inout Context) -> SimReply {
    guard let auth = request.authorization, auth.lowercased().hasPrefix("basic "),
      let data = Data(base64Encoded: String(auth.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
      let pair = String(data: data, encoding: .utf8), let colon = pair.firstIndex(of: ":")
    else {
      return oauthError(401, "invalid_client", "client authentication is required (HTTP Basic)")
    }
    let id = String(pair[..<colon])
    let secret = String(pair[pair.index(after: colon)...])
    guard let client = org.clients[id] else { return oauthError(401, "invalid_client", "client not found") }
    guard client.secret == secret else { return oauthError(401, "invalid_client", "authentication failed") }
    context.clientId = id
    if let type = request.contentType, !type.lowercased().hasPrefix("application/x-www-form-urlencoded") {
      return oauthError(400, "invalid_request", "the body must be application/x-www-form-urlencoded")
    }
    let form = parseQuery(String(decoding: request.body, as: UTF8.self))
    guard let grant = form.first(where: { $0.0 == "grant_type" })?.1 else {
      return oauthError(400, "invalid_request", "grant_type is required")
    }
    guard grant == "client_credentials" else {
      return oauthError(400, "unsupported_grant_type", "unsupported grant type '\(grant)'")
    }
    let lifetime = options.tokenLifetime ?? client.tokenLifetime ?? 86_400
    let token = random.token()
    tokens[token] = Token(clientId: id, expires: context.now.addingTimeInterval(lifetime))
    return json(
      200,
      .object([
        ("access_token", .string(token)), ("token_type", .string("bearer")),
        ("expires_in", .int(Int(min(max(lifetime, 0), SimDuration.maxSeconds).rounded(.up)))),
      ]))
  }

  private func bearer(_ header: String) -> String? {
    guard header.count > 7, header.prefix(7).lowercased() == "bearer " else { return nil }
    let token = header.dropFirst(7).trimmingCharacters(in: .whitespaces)
    return token.isEmpty ? nil : token
  }

  // MARK: Rate limit

  private func rateLimit(token: String, context: inout Context) -> SimReply? {
    guard let limit = rateLimit(of: context.clientId ?? "") else { return nil }
    var w = windows[token] ?? Window(start: context.now, count: 0)
    if context.now.timeIntervalSince(w.start) >= options.rateLimitWindow {
      w = Window(start: context.now, count: 0)
    }
    w.count += 1
    windows[token] = w
    let left = max(0, options.rateLimitWindow - context.now.timeIntervalSince(w.start))
    let reset = max(1, Int(left.rounded(.up)))
    if options.rateHeaders {
      context.rateHeaders = [
        ("inin-ratelimit-count", String(w.count)), ("inin-ratelimit-allowed", String(limit)),
        ("inin-ratelimit-reset", String(reset)),
      ]
    }
    guard w.count > limit else { return nil }
    var reply = error(
      429, "too.many.requests.retry.after",
      "Rate limit exceeded the maximum. Retry the request in [\(reset)] seconds", context)
    reply.headers.append(("Retry-After", String(reset)))
    return reply
  }

  // MARK: Participants

  private func patchParticipant(
    _ request: SimRequest, conversationId: String, participantId: String, userId: String, _ context: Context
  ) -> SimReply {
    let body: JSONValue
    switch parseBody(request, context) {
    case .success(let v): body = v
    case .failure(let reply): return reply
    }
    guard body.isObject else {
      return badRequest("The body must be a MediaParticipantRequest object.", context)
    }
    var change = SimOrganisation.MediaChange()
    for key in ["muted", "held", "confined", "recording", "wrapupSkipped"] {
      guard let v = body[key], v != .null else { continue }
      guard let b = v.boolValue else {
        return error(400, "invalid.value", "The value of '\(key)' must be true or false.", context)
      }
      switch key {
      case "muted": change.muted = b
      case "held": change.held = b
      case "confined": change.confined = b
      case "recording": change.recording = b
      default: break
      }
    }
    if let v = body["state"], v != .null {
      guard let s = v.stringValue, callStates.contains(s) else {
        return error(400, "invalid.value", "The value of 'state' is not a valid call state.", context)
      }
      guard s == "connected" || s == "disconnected" else {
        return error(400, "invalid.value", "Only 'connected' and 'disconnected' can be set.", context)
      }
      change.state = s
    }
    guard let conversation = org.conversations[conversationId] else {
      return conversationNotFound(conversationId, context)
    }
    guard conversation.participants.contains(where: { $0.userId == userId && $0.state == "connected" }) else {
      return error(404, "not.found", "User \(userId) is not a participant in the conversation.", context)
    }
    guard let p = conversation.participants.first(where: { $0.id == participantId }) else {
      return error(404, "not.found", "The participant \(participantId) was not found.", context)
    }
    guard p.isActive else {
      return error(400, "conversation.error.call.disconnected", "The call is disconnected.", context)
    }
    if change.held == true, p.state == "alerting" {
      return error(400, "conversation.error.hold.alerting", "An alerting call cannot be held.", context)
    }
    org.schedule(
      at: context.now.addingTimeInterval(options.patchDelay), requested: context.now,
      conversationId: conversationId,
      participantId: participantId, change: .media(change))
    if options.patchDelay <= 0 { advance(context.now) }
    return SimReply(status: 202)
  }

  /// The secure pause (genesys-api.md §10.1): `{"recordingState": "PAUSED" | "ACTIVE"}`, in upper case
  /// as the SDK sends it. Takes effect after `patchDelay`, like a participant PATCH, and is published as
  /// an event. The PUT answers 200 with the state as a JSON string, the PATCH 202 and no body.
  /// Assumptions where the record is silent (docs/emulator.md): a call that is not recorded answers
  /// 409, an ended one 400, `NONE` and any other spelling 400.
  private func setRecordingState(
    _ request: SimRequest, conversationId: String, put: Bool, _ context: Context
  ) -> SimReply {
    let body: JSONValue
    switch parseBody(request, context) {
    case .success(let v): body = v
    case .failure(let reply): return reply
    }
    guard body.isObject, let state = body["recordingState"]?.stringValue else {
      return badRequest("The body must be a SetRecordingState object with a 'recordingState'.", context)
    }
    guard state == "PAUSED" || state == "ACTIVE" else {
      return error(
        400, "invalid.value",
        "The value of 'recordingState' must be PAUSED or ACTIVE (NONE is not emulated).", context)
    }
    guard let conversation = org.conversations[conversationId] else {
      return conversationNotFound(conversationId, context)
    }
    guard conversation.participants.contains(where: \.isActive) else {
      return error(400, "conversation.error.call.disconnected", "The call is disconnected.", context)
    }
    guard conversation.recordingState != "none" else {
      return error(
        409, "conversation.recording.not.active", "The conversation is not being recorded.", context)
    }
    org.schedule(
      at: context.now.addingTimeInterval(options.patchDelay), requested: context.now,
      conversationId: conversationId, participantId: "", change: .recording(paused: state == "PAUSED"))
    if options.patchDelay <= 0 { advance(context.now) }
    return put ? json(200, .string(state)) : SimReply(status: 202)
  }

  private func addParticipants(
    _ request: SimRequest, conversationId: String, userId: String, _ context: Context
  ) -> SimReply {
    let body: JSONValue
    switch parseBody(request, context) {
    case .success(let v): body = v
    case .failure(let reply): return reply
    }
    guard body.isObject, let items = body["participants"]?.arrayValue, !items.isEmpty else {
      return badRequest(
        "The body must be a Conversation whose 'participants' lists the parties to add.", context)
    }
    guard var conversation = org.conversations[conversationId] else {
      return conversationNotFound(conversationId, context)
    }
    guard conversation.participants.contains(where: { $0.userId == userId && $0.state == "connected" }) else {
      return error(404, "not.found", "User \(userId) is not a participant in the conversation.", context)
    }
    enum Party {
      case user(SimFixture.User)
      case address(String)
    }
    var parties: [Party] = []
    for item in items {
      guard item.isObject else { return badRequest("Each participant must be an object.", context) }
      if let id = item["userId"]?.stringValue {
        guard let user = org.users[id] else {
          return error(404, "not.found", "The user \(id) was not found.", context)
        }
        if conversation.participants.contains(where: { $0.userId == id && $0.isActive })
          || parties.contains(where: { if case .user(let u) = $0 { return u.id == id } else { return false } }
          )
        {
          return badRequest("User \(id) is already a participant in the conversation.", context)
        }
        parties.append(.user(user))
      } else if let address = item["address"]?.stringValue, !address.isEmpty {
        parties.append(.address(SimOrganisation.storedAddress(address)))
      } else {
        return error(
          400, "invalid.value",
          "Each participant needs a 'userId' or an 'address' (queueId is not emulated).",
          context)
      }
    }
    let active = conversation.participants.filter(\.isActive).count
    guard active + parties.count <= conversation.capacity else {
      return error(
        400, "conversation.error.participant.limit.reached",
        "The conversation cannot have more than \(conversation.capacity) participants.", context)
    }
    for party in parties {
      var p = SimOrganisation.Participant(
        id: random.uuid(), callId: random.uuid(), purpose: "external", state: "alerting", muted: false,
        held: false, direction: conversation.direction, startTime: context.now, startAlertingTime: context.now
      )
      let answers: Bool
      switch party {
      case .user(let u):
        p.purpose = "user"
        p.userId = u.id
        p.name = u.name
        answers = u.presence.lowercased() != "offline"
      case .address(let a):
        p.address = a
        answers = true
      }
      conversation.participants.append(p)
      org.conversations[conversationId] = conversation
      org.note("added", context.now, conversationId, p)
      org.schedule(
        at: context.now.addingTimeInterval(answers ? options.connectDelay : options.noAnswerTimeout),
        requested: context.now,
        conversationId: conversationId, participantId: p.id, change: answers ? .answer : .noAnswer)
    }
    advance(context.now)
    return json(200, org.conversationJSON(org.conversations[conversationId]!))
  }

  // MARK: Users

  private func expand(_ request: SimRequest) -> Set<String> {
    Set(request.queryValues("expand").flatMap { $0.split(separator: ",").map(String.init) })
  }

  func paging(_ request: SimRequest, _ context: Context) -> Result<(Int, Int), SimReply> {
    var size = 25
    var number = 1
    if let s = request.queryValues("pageSize").last {
      guard let v = Int(s), v >= 1, v <= 500 else {
        return .failure(error(400, "invalid.value", "pageSize must be between 1 and 500.", context))
      }
      size = v
    }
    if let s = request.queryValues("pageNumber").last {
      guard let v = Int(s), v >= 1, v <= 1_000_000 else {
        return .failure(error(400, "invalid.value", "pageNumber must be between 1 and 1000000.", context))
      }
      number = v
    }
    return .success((size, number))
  }

  private func listUsers(_ request: SimRequest, _ context: Context) -> SimReply {
    let ids = request.queryValues("id").flatMap { $0.split(separator: ",").map(String.init) }
    guard ids.count <= 100 else {
      return error(400, "invalid.value", "No more than 100 ids may be requested at once.", context)
    }
    let (size, number): (Int, Int)
    switch paging(request, context) {
    case .success(let p): (size, number) = p
    case .failure(let reply): return reply
    }
    let found: [SimFixture.User] =
      ids.isEmpty ? org.userOrder.compactMap { org.users[$0] } : ids.compactMap { org.users[$0] }
    let pageCount = (found.count + size - 1) / size
    let page = found.dropFirst((number - 1) * size).prefix(size)
    let ex = expand(request)
    func uri(_ n: Int) -> JSONValue { .string("/api/v2/users?pageSize=\(size)&pageNumber=\(n)") }
    var f: [(String, JSONValue)] = [
      ("entities", .array(page.map { org.userJSON($0, expand: ex, now: context.now) })),
      ("pageSize", .int(size)), ("pageNumber", .int(number)), ("total", .int(found.count)),
      ("pageCount", .int(pageCount)), ("firstUri", uri(1)), ("selfUri", uri(number)),
    ]
    if number > 1 { f.append(("previousUri", uri(number - 1))) }
    if number < pageCount { f.append(("nextUri", uri(number + 1))) }
    f.append(("lastUri", uri(max(1, pageCount))))
    return json(200, .object(f))
  }

  private func searchUsers(_ request: SimRequest, _ context: Context) -> SimReply {
    let body: JSONValue
    switch parseBody(request, context) {
    case .success(let v): body = v
    case .failure(let reply): return reply
    }
    guard body.isObject, let criteria = body["query"]?.arrayValue, !criteria.isEmpty else {
      return error(400, "invalid.value", "A search needs a non-empty 'query'.", context)
    }
    let size = body["pageSize"]?.intValue ?? 25
    let number = body["pageNumber"]?.intValue ?? 1
    guard size >= 1, size <= 100, number >= 1, number <= 1_000_000 else {
      return error(400, "invalid.value", "pageSize must be 1 to 100 and pageNumber 1 to 1000000.", context)
    }
    var users = org.userOrder.compactMap { org.users[$0] }
    for c in criteria {
      guard let type = c["type"]?.stringValue else {
        return error(400, "invalid.value", "Each query criterion needs a 'type'.", context)
      }
      guard ["EXACT", "CONTAINS", "STARTS_WITH"].contains(type) else {
        return error(
          400, "invalid.value", "The emulator supports the types EXACT, CONTAINS and STARTS_WITH.", context)
      }
      let fields = (c["fields"]?.arrayValue ?? []).compactMap(\.stringValue)
      var values = (c["values"]?.arrayValue ?? []).compactMap(\.stringValue)
      if let v = c["value"]?.stringValue { values.append(v) }
      guard !fields.isEmpty, !values.isEmpty else {
        return error(400, "invalid.value", "Each query criterion needs 'fields' and a 'value'.", context)
      }
      users = users.filter { u in
        fields.contains { field in
          let candidate: String?
          switch field {
          case "email": candidate = u.email
          case "name": candidate = u.name
          case "id": candidate = u.id
          case "state": candidate = "active"
          default: candidate = nil
          }
          guard let candidate else { return false }
          return values.contains { v in
            let a = candidate.lowercased()
            let b = v.lowercased()
            switch type {
            case "EXACT": return field == "id" ? candidate == v : a == b
            case "CONTAINS": return a.contains(b)
            default: return a.hasPrefix(b)
            }
          }
        }
      }
    }
    let ex = Set((body["expand"]?.arrayValue ?? []).compactMap(\.stringValue))
    let page = users.dropFirst((number - 1) * size).prefix(size)
    var f: [(String, JSONValue)] = [
      ("total", .int(users.count)), ("pageCount", .int((users.count + size - 1) / size)),
      ("pageSize", .int(size)), ("pageNumber", .int(number)), ("types", .array(["users"])),
    ]
    if !page.isEmpty {
      f.append(("results", .array(page.map { org.userJSON($0, expand: ex, now: context.now) })))
    }
    return json(200, .object(f))
  }

  // MARK: Replies

  func json(_ status: Int, _ value: JSONValue) -> SimReply {
    SimReply(status: status, headers: [("Content-Type", "application/json")], body: value.render())
  }

  func error(_ status: Int, _ code: String, _ message: String, _ context: Context) -> SimReply {
    SimEngine.errorReply(status, code, message, correlationId: context.correlationId)
  }

  /// An ErrorBody, as every Genesys error answers.
  static func errorReply(_ status: Int, _ code: String, _ message: String, correlationId: String) -> SimReply
  {
    SimReply(
      status: status, headers: [("Content-Type", "application/json")],
      body: JSONValue.object([
        ("message", .string(message)), ("code", .string(code)), ("status", .int(status)),
        ("contextId", .string(correlationId)), ("details", .array([])), ("errors", .array([])),
      ]).render())
  }

  func badRequest(_ message: String, _ context: Context) -> SimReply {
    error(400, "bad.request", message, context)
  }

  private func notAUser(_ context: Context) -> SimReply {
    error(
      400, "not.a.user",
      "This request requires a user context. Client credentials cannot be used for requests to this resource.",
      context)
  }

  private func conversationNotFound(_ id: String, _ context: Context) -> SimReply {
    error(404, "not.found", "The conversation \(id) was not found.", context)
  }

  private func checkJSONContentType(_ request: SimRequest, _ context: Context) -> SimReply? {
    guard let type = request.contentType?.lowercased(), !type.contains("json") else { return nil }
    return error(
      415, "unsupported.media.type", "Unsupported media type '\(type)'; send application/json.", context)
  }

  /// A request's JSON body: refused with 415 when it says it is not JSON, 400 when it does not parse.
  func parseBody(_ request: SimRequest, _ context: Context) -> Result<JSONValue, SimReply> {
    if let bad = checkJSONContentType(request, context) { return .failure(bad) }
    do throws(JSONParser.Failure) {
      return .success(try JSONParser.parse(request.body))
    } catch {
      return .failure(
        self.error(
          400, "bad.request",
          "The request could not be understood by the server due to malformed syntax: \(error.reason) at byte \(error.offset).",
          context))
    }
  }
}

func statusLabel(_ status: Int) -> String { status == 0 ? "reset" : String(status) }

/// `a=1&b=two` with `+` and percent escapes decoded.
func parseQuery(_ text: String) -> [(String, String)] {
  guard !text.isEmpty else { return [] }
  return text.split(separator: "&").map { part in
    let kv = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
    func decode(_ s: Substring) -> String {
      let plus = s.replacingOccurrences(of: "+", with: " ")
      return plus.removingPercentEncoding ?? plus
    }
    return (decode(kv[0]), kv.count > 1 ? decode(kv[1]) : "")
  }
}
