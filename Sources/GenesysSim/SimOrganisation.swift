import Foundation
import WireTime
import OrderedJSON
import YAMLReader

struct SimOrganisation {
  struct Participant {
    var id: String
    var callId: String
    var purpose: String
    var state: String
    var userId: String?
    var name: String?
    var address: String?
    var muted: Bool
    var held: Bool
    var confined = false
    var recording = false
    var direction: String
    var startTime: Date
    var startAlertingTime: Date?
    var connectedTime: Date?
    var endTime: Date?
    var disconnectType: String?
    /// The leg's media roles (`monitor`, `coach`, `barge` for a supervisor Genesys added).
    var mediaRoles: [String] = []
    /// For a supervision leg: the participant supervised.
    var supervises: String? = nil

    var isActive: Bool { state != "disconnected" && state != "terminated" }

    /// The key naming the supervised participant in answers and events (`monitoredParticipantId` …).
    var supervisionKey: String? {
      guard supervises != nil else { return nil }
      return SimFixture.supervisionKeys.first { mediaRoles.contains($0.role) }?.key
    }
  }

  struct Conversation {
    var id: String
    var maxParticipants: Int?
    var queue: String?
    var direction: String = "inbound"
    var startTime: Date
    var participants: [Participant]
    /// The call's recording: `none`, `active`, or `paused` (securely, by the recording-state endpoints).
    var recordingState = "none"

    /// Whether the recording is securely paused.
    var securePause: Bool { recordingState == "paused" }

    /// A leg's recording state as call models spell it: the call's, or its own ad-hoc recording.
    func recordingState(of p: Participant) -> String {
      recordingState != "none" ? recordingState : (p.recording ? "active" : "none")
    }

    /// The most parties the conference may hold: its `maxParticipants`, never more than 20 (RC).
    var capacity: Int { min(maxParticipants ?? 20, 20) }
  }

  /// A participant PATCH body (MediaParticipantRequest), as far as the emulator acts on it.
  struct MediaChange {
    var muted: Bool?
    var held: Bool?
    var confined: Bool?
    var recording: Bool?
    var state: String?
  }

  enum Change {
    case media(MediaChange)
    case answer
    case noAnswer
    /// The call's recording paused (true) or resumed (the secure pause; participant id empty).
    case recording(paused: Bool)
  }

  struct Scheduled {
    var at: Date
    /// When the request that caused it was accepted.
    var requested: Date
    var sequence: Int
    var conversationId: String
    var participantId: String
    var change: Change
  }

  var clients: [String: SimFixture.Client] = [:]
  var clientOrder: [String] = []
  var users: [String: SimFixture.User] = [:]
  var userOrder: [String] = []
  var queues: [String: SimFixture.Queue] = [:]
  var queueOrder: [String] = []
  var topicPermissions: [String: [String]] = [:]
  /// Conversations changed since the notifications were last told (the events to publish).
  var changed: [String] = []
  /// Changes whenever a conversation does, so rendered JSON can be cached until then.
  var revision = 0
  var conversations: [String: Conversation] = [:] {
    didSet { revision &+= 1 }
  }
  var conversationOrder: [String] = []
  var scheduled: [Scheduled] = []
  var sequence = 0
  /// What happened to participants, oldest first (the last `maxHistory`), for `GET /sim/history`.
  var history: [HistoryEvent] = []
  var historyStart = 0
  var maxHistory = 100_000

  /// One change to a participant: created, joined, added, connected, muted, unmuted, disconnected.
  struct HistoryEvent {
    var time: Date
    var conversationId: String
    var participantId: String
    var event: String
    /// For muted/unmuted: when the PATCH was accepted, and whether the value changed.
    var requested: Date?
    var changed: Bool?
    var userId: String?
  }

  mutating func note(
    _ event: String, _ time: Date, _ conversationId: String, _ p: Participant, requested: Date? = nil,
    changed: Bool? = nil
  ) {
    history.append(
      HistoryEvent(
        time: time, conversationId: conversationId, participantId: p.id, event: event, requested: requested,
        changed: changed, userId: p.userId))
    if changed != false { self.changed.append(conversationId) }
    if history.count - historyStart > maxHistory { historyStart += 1 }
    if historyStart > 4096, historyStart * 2 > history.count {
      history.removeFirst(historyStart)
      historyStart = 0
    }
  }

  init(fixture: SimFixture, start: Date, ids: inout SimRandom) {
    for c in fixture.clients {
      clients[c.id] = c
      clientOrder.append(c.id)
    }
    for u in fixture.users {
      users[u.id] = u
      userOrder.append(u.id)
    }
    for q in fixture.queues {
      queues[q.id] = q
      queueOrder.append(q.id)
    }
    topicPermissions = fixture.topicPermissions
    for c in fixture.conversations {
      let participants = c.participants.map {
        Self.participant($0, start: start, users: users, direction: c.direction, ids: &ids)
      }
      var conversation = Conversation(
        id: c.id, maxParticipants: c.maxParticipants, queue: c.queue, direction: c.direction,
        startTime: start,
        participants: participants)
      conversation.recordingState = c.recordingState
      conversations[c.id] = conversation
      conversationOrder.append(c.id)
    }
  }

  static func participant(
    _ p: SimFixture.Participant, start: Date, users: [String: SimFixture.User], direction: String,
    ids: inout SimRandom
  ) -> Participant {
    let connected = p.state == "connected" || p.state == "disconnected" || p.state == "terminated"
    var out = Participant(
      id: p.id, callId: ids.uuid(), purpose: p.purpose, state: p.state, userId: p.user,
      name: p.name ?? p.user.flatMap { users[$0]?.name }, address: p.address.map(Self.storedAddress),
      muted: p.muted,
      held: p.held,
      // Every leg carries the call's direction, the agent's too (docs/genesys-api.md §8.2).
      direction: direction,
      startTime: min(start, p.connectedTime ?? start), startAlertingTime: p.state == "alerting" ? start : nil,
      connectedTime: connected ? (p.connectedTime ?? start) : nil,
      endTime: p.state == "disconnected" || p.state == "terminated" ? start : nil,
      disconnectType: p.state == "disconnected" ? "endpoint" : nil)
    out.mediaRoles = p.mediaRoles
    out.supervises = p.supervises
    return out
  }

  // MARK: The world changing (the `/sim` controls)

  /// Adds a fragment's users and conversations; the participants of a conversation that exists join
  /// it. Nothing changes when an id is taken. Returns (conversations created, participants added).
  mutating func merge(_ fragment: SimFixture, now: Date, ids: inout SimRandom) -> Result<
    (Int, Int), MergeConflict
  > {
    var taken: Set<String> = []
    for c in conversations.values { for p in c.participants { taken.insert(p.id) } }
    for u in fragment.users where users[u.id] != nil {
      return .failure(.init(message: "user \(u.id) exists"))
    }
    for c in fragment.conversations {
      for p in c.participants where taken.contains(p.id) {
        return .failure(.init(message: "participant \(p.id) exists"))
      }
      // A call whose every participant has left is over: nobody joins it again.
      if let existing = conversations[c.id], !existing.participants.contains(where: \.isActive) {
        return .failure(.init(message: "conversation \(c.id) has ended", code: "conversation_ended"))
      }
    }
    for u in fragment.users {
      users[u.id] = u
      userOrder.append(u.id)
    }
    var created = 0
    var added = 0
    for c in fragment.conversations {
      let joining = conversations[c.id] != nil
      var conversation =
        conversations[c.id]
        ?? Conversation(
          id: c.id, maxParticipants: c.maxParticipants, queue: c.queue, direction: c.direction,
          startTime: now,
          participants: [])
      if !joining {
        created += 1
        conversationOrder.append(c.id)
        conversation.recordingState = c.recordingState
      }
      for fp in c.participants {
        let p = Self.participant(fp, start: now, users: users, direction: conversation.direction, ids: &ids)
        conversation.participants.append(p)
        note(joining ? "joined" : "created", now, c.id, p)
        added += 1
      }
      conversations[c.id] = conversation
    }
    return .success((created, added))
  }

  /// Disconnects `participantId` (nil: every active participant) of a conversation; false when unknown.
  mutating func disconnect(_ conversationId: String, participantId: String?, now: Date) -> Bool {
    guard var conversation = conversations[conversationId] else { return false }
    var found = participantId == nil
    for i in conversation.participants.indices {
      var p = conversation.participants[i]
      guard participantId == nil || p.id == participantId else { continue }
      found = true
      guard p.isActive else { continue }
      p.state = "disconnected"
      p.disconnectType = "endpoint"
      p.endTime = now
      conversation.participants[i] = p
      note("disconnected", now, conversationId, p)
    }
    conversations[conversationId] = conversation
    return found
  }

  mutating func schedule(
    at: Date, requested: Date, conversationId: String, participantId: String, change: Change
  ) {
    sequence += 1
    let item = Scheduled(
      at: at, requested: requested, sequence: sequence, conversationId: conversationId,
      participantId: participantId, change: change)
    var index = scheduled.count
    while index > 0, scheduled[index - 1].at > at { index -= 1 }
    scheduled.insert(item, at: index)
  }

  /// Applies every scheduled change due at `now`.
  mutating func advance(to now: Date) {
    var applied = 0
    for item in scheduled {
      guard item.at <= now else { break }
      applied += 1
      apply(item)
    }
    if applied > 0 { scheduled.removeFirst(applied) }
  }

  mutating func apply(_ item: Scheduled) {
    if case .recording(let paused) = item.change {
      // The call's recording: changed while the call lasts and records.
      guard var conversation = conversations[item.conversationId],
        conversation.participants.contains(where: \.isActive), conversation.recordingState != "none"
      else { return }
      let state = paused ? "paused" : "active"
      guard conversation.recordingState != state else { return }
      conversation.recordingState = state
      conversations[item.conversationId] = conversation
      history.append(
        HistoryEvent(
          time: item.at, conversationId: item.conversationId, participantId: "",
          event: paused ? "recording paused" : "recording resumed", requested: item.requested, changed: true))
      changed.append(item.conversationId)
      return
    }
    guard var conversation = conversations[item.conversationId],
      let index = conversation.participants.firstIndex(where: { $0.id == item.participantId })
    else { return }
    var p = conversation.participants[index]
    switch item.change {
    case .media(let change):
      guard p.isActive else { return }
      if let muted = change.muted {
        note(
          muted ? "muted" : "unmuted", item.at, item.conversationId, p, requested: item.requested,
          changed: p.muted != muted)
        p.muted = muted
      }
      if let held = change.held, held != p.held {
        p.held = held
        note(held ? "held" : "unheld", item.at, item.conversationId, p, requested: item.requested)
      }
      if let confined = change.confined { p.confined = confined }
      if let recording = change.recording { p.recording = recording }
      if change.state == "disconnected" {
        p.state = "disconnected"
        p.disconnectType = "client"
        p.endTime = item.at
        note("disconnected", item.at, item.conversationId, p)
      } else if change.state == "connected", p.state == "alerting" {
        p.state = "connected"
        p.connectedTime = item.at
        note("connected", item.at, item.conversationId, p)
      }
    case .answer:
      guard p.state == "alerting" else { return }
      p.state = "connected"
      p.connectedTime = item.at
      note("connected", item.at, item.conversationId, p)
    case .noAnswer:
      guard p.state == "alerting" else { return }
      p.state = "disconnected"
      p.disconnectType = "transfer.noanswer"
      p.endTime = item.at
      note("disconnected", item.at, item.conversationId, p)
    case .recording:
      return  // (above)
    }
    conversation.participants[index] = p
    conversations[item.conversationId] = conversation
  }

  /// The organisation as a fixture, with every scheduled change applied as if its time had come.
  func exported() -> SimFixture {
    var copy = self
    for item in copy.scheduled { copy.apply(item) }
    copy.scheduled = []
    return SimFixture(
      clients: clientOrder.compactMap { clients[$0] },
      users: userOrder.compactMap { users[$0] },
      queues: queueOrder.compactMap { queues[$0] },
      conversations: conversationOrder.compactMap { copy.conversations[$0] }.map { c in
        var out = SimFixture.Conversation(
          id: c.id, maxParticipants: c.maxParticipants, queue: c.queue, direction: c.direction,
          participants: c.participants.map {
            var p = SimFixture.Participant(
              id: $0.id, purpose: $0.purpose, state: $0.state, user: $0.userId, name: $0.name,
              address: $0.address, muted: $0.muted, held: $0.held,
              connectedTime: $0.state == "connected" ? $0.connectedTime : nil)
            p.mediaRoles = $0.mediaRoles
            p.supervises = $0.supervises
            return p
          })
        out.recordingState = c.recordingState
        return out
      }, topicPermissions: topicPermissions)
  }
}

// MARK: - Wire JSON

/// ISO-8601 UTC with milliseconds, as Genesys writes dates: `2021-05-14T09:03:17.067Z`.
func isoDate(_ date: Date) -> String {
  Timestamp.iso8601(epochMilliseconds: Int64((date.timeIntervalSince1970 * 1000).rounded()))
}

extension SimOrganisation {
  /// How the real service renders a phone address: a `tel:` URI (`tel:+4930123456`). Other
  /// addresses (SIP) are served as stored.
  static func wireAddress(_ a: String) -> String { a.hasPrefix("+") ? "tel:" + a : a }

  /// What an address in a request or fixture is stored as: `tel:+49…` and `+49…` are one number.
  static func storedAddress(_ a: String) -> String {
    a.lowercased().hasPrefix("tel:+") ? String(a.dropFirst(4)) : a
  }

  /// A supervision leg's `mediaRoles` and the participant it supervises (genesys-api.md §10.2); nothing
  /// for an ordinary leg.
  static func appendSupervision(_ p: Participant, to f: inout [(String, JSONValue)]) {
    if !p.mediaRoles.isEmpty { f.append(("mediaRoles", .array(p.mediaRoles.map { .string($0) }))) }
    if let key = p.supervisionKey, let target = p.supervises { f.append((key, .string(target))) }
  }

  /// A user reference as REST renders it on a call leg: `{id, selfUri}`, no name (§8.2).
  func userRef(_ id: String) -> JSONValue {
    .object([("id", .string(id)), ("selfUri", .string("/api/v2/users/\(id)"))])
  }

  /// A queue reference on a call leg: `{id, selfUri}` (§8.2).
  func queueRef(_ id: String) -> JSONValue {
    .object([("id", .string(id)), ("selfUri", .string("/api/v2/routing/queues/\(id)"))])
  }

  /// A CallConversation: flat CallMediaParticipants with `user: {id, name, selfUri}`.
  func callConversationJSON(_ c: Conversation) -> JSONValue {
    var participants: [JSONValue] = []
    for p in c.participants {
      var f: [(String, JSONValue)] = [("id", .string(p.id))]
      if let name = p.name { f.append(("name", .string(name))) }
      if let address = p.address { f.append(("address", .string(Self.wireAddress(address)))) }
      f.append(("startTime", .string(isoDate(p.startTime))))
      if let t = p.startAlertingTime { f.append(("startAlertingTime", .string(isoDate(t)))) }
      if let t = p.connectedTime { f.append(("connectedTime", .string(isoDate(t)))) }
      if let t = p.endTime { f.append(("endTime", .string(isoDate(t)))) }
      f.append(("purpose", .string(p.purpose)))
      f.append(("state", .string(p.state)))
      f.append(("direction", .string(p.direction)))
      if let d = p.disconnectType { f.append(("disconnectType", .string(d))) }
      f.append(("held", .bool(p.held)))
      f.append(("wrapupRequired", .bool(false)))
      if let user = p.userId { f.append(("user", userRef(user))) }
      if let queue = c.queue { f.append(("queue", queueRef(queue))) }
      f.append(("attributes", .object([])))
      f.append(("alertingTimeoutMs", .int(8000)))
      f.append(("muted", .bool(p.muted)))
      f.append(("confined", .bool(p.confined)))
      f.append(("recording", .bool(p.recording || c.recordingState != "none")))
      f.append(("recordingState", .string(c.recordingState(of: p))))
      f.append(("securePause", .bool(c.securePause)))
      Self.appendSupervision(p, to: &f)
      if let address = p.address, p.direction == "inbound" {
        f.append(("ani", .string(Self.wireAddress(address))))
      }
      if let queue = c.queue { f.append(("conversationRoutingData", .object([("queue", queueRef(queue))]))) }
      participants.append(.object(f))
    }
    var pairs: [(String, JSONValue)] = [
      ("id", .string(c.id)),
      ("participants", .array(participants)),
      ("otherMediaUris", .array([])),
      ("recordingState", .string(c.recordingState)),
      ("securePause", .bool(c.securePause)),
    ]
    // Only conferences carry it (§8.2): a client must fall back to 20 when it is absent.
    if let m = c.maxParticipants { pairs.append(("maxParticipants", .int(m))) }
    pairs.append(("selfUri", .string("/api/v2/conversations/calls/\(c.id)")))
    return .object(pairs)
  }

  /// A generic Conversation: participants with `userId` and voice state on each `calls[]` element.
  func conversationJSON(_ c: Conversation) -> JSONValue {
    var participants: [JSONValue] = []
    for p in c.participants {
      var f: [(String, JSONValue)] = [("id", .string(p.id))]
      f.append(("startTime", .string(isoDate(p.startTime))))
      if let t = p.connectedTime { f.append(("connectedTime", .string(isoDate(t)))) }
      if let t = p.endTime { f.append(("endTime", .string(isoDate(t)))) }
      if let name = p.name { f.append(("name", .string(name))) }
      if let user = p.userId {
        f.append(("userUri", .string("/api/v2/users/\(user)")))
        f.append(("userId", .string(user)))
      }
      if let queue = c.queue {
        f.append(("queueId", .string(queue)))
        if let name = queues[queue]?.name { f.append(("queueName", .string(name))) }
      }
      f.append(("purpose", .string(p.purpose)))
      f.append(("participantType", .string(p.userId != nil ? "Internal" : "External")))
      if let address = p.address { f.append(("address", .string(Self.wireAddress(address)))) }
      f.append(("wrapupRequired", .bool(false)))
      f.append(("alertingTimeoutMs", .int(8000)))
      f.append(("attributes", .object([])))
      Self.appendSupervision(p, to: &f)
      var call: [(String, JSONValue)] = [
        // `parked` exists only on CallMediaParticipant, not in Call.state's enum (§2a).
        ("state", .string(p.state == "parked" ? "connected" : p.state)),
        ("id", .string(p.callId)),
        ("direction", .string(p.direction)),
        ("recording", .bool(p.recording || c.recordingState != "none")),
        ("recordingState", .string(c.recordingState(of: p))),
        ("securePause", .bool(c.securePause)),
        ("muted", .bool(p.muted)),
        ("confined", .bool(p.confined)),
        ("held", .bool(p.held)),
      ]
      if let d = p.disconnectType { call.append(("disconnectType", .string(d))) }
      if let t = p.startAlertingTime { call.append(("startAlertingTime", .string(isoDate(t)))) }
      if let t = p.connectedTime { call.append(("connectedTime", .string(isoDate(t)))) }
      if let t = p.endTime { call.append(("disconnectedTime", .string(isoDate(t)))) }
      call.append(("provider", .string("Edge")))
      f.append(("calls", .array([.object(call)])))
      participants.append(.object(f))
    }
    var pairs: [(String, JSONValue)] = [
      ("id", .string(c.id)),
      ("startTime", .string(isoDate(c.startTime))),
      ("participants", .array(participants)),
      // The generic model spells it in upper case (genesys-api.md §10.1).
      ("recordingState", .string(c.recordingState.uppercased())),
      ("securePause", .bool(c.securePause)),
    ]
    if let m = c.maxParticipants { pairs.append(("maxParticipants", .int(m))) }
    pairs += [("divisions", .array([])), ("selfUri", .string("/api/v2/conversations/\(c.id)"))]
    return .object(pairs)
  }

  func userJSON(_ u: SimFixture.User, expand: Set<String>, now: Date) -> JSONValue {
    var f: [(String, JSONValue)] = [("id", .string(u.id)), ("name", .string(u.name))]
    if let email = u.email {
      f.append(("email", .string(email)))
      f.append(("username", .string(email)))
    }
    f.append(("state", .string("active")))
    f.append(("version", .int(1)))
    if expand.contains("presence") {
      f.append(
        (
          "presence",
          .object([
            ("source", .string("PURECLOUD")),
            ("primary", .bool(true)),
            (
              "presenceDefinition",
              .object([
                ("id", .string(presenceDefinitionId(u.presence))),
                ("systemPresence", .string(u.presence)),
                ("selfUri", .string("/api/v2/presencedefinitions/\(presenceDefinitionId(u.presence))")),
              ])
            ),
            ("message", .string("")),
            ("modifiedDate", .string(isoDate(now))),
            ("selfUri", .string("/api/v2/users/\(u.id)/presences/purecloud")),
          ])
        ))
    }
    f.append(("selfUri", .string("/api/v2/users/\(u.id)")))
    return .object(f)
  }
}

/// A stable made-up id per system presence (the real ids are per organisation).
func presenceDefinitionId(_ presence: String) -> String {
  var hash: UInt64 = 0xcbf2_9ce4_8422_2325
  for b in presence.lowercased().utf8 {
    hash ^= UInt64(b)
    hash = hash &* 0x100_0000_01b3
  }
  var r = SimRandom(seed: hash)
  return r.uuid()
}

// MARK: - Event JSON

extension SimOrganisation {
  /// The topics a conversation's events go to: every user on the call, and its queue.
  func topics(of c: Conversation) -> [String] {
    var out: [String] = []
    for p in c.participants {
      guard let u = p.userId else { continue }
      let t = "v2.users.\(u).conversations.calls"
      if !out.contains(t) { out.append(t) }
    }
    if let q = c.queue { out.append("v2.routing.queues.\(q).conversations.calls") }
    return out
  }

  /// The whole call as a notification's `eventBody` (ConversationCallEventTopicCallConversation):
  /// event spelling — `user {id, name}`, `queue {id, name}`, the event enums (§8.4).
  func eventJSON(_ c: Conversation) -> JSONValue {
    var participants: [JSONValue] = []
    for p in c.participants {
      var f: [(String, JSONValue)] = [("id", .string(p.id))]
      if let name = p.name { f.append(("name", .string(name))) }
      if let address = p.address { f.append(("address", .string(Self.wireAddress(address)))) }
      f.append(("startTime", .string(isoDate(p.startTime))))
      if let t = p.connectedTime { f.append(("connectedTime", .string(isoDate(t)))) }
      if let t = p.endTime { f.append(("endTime", .string(isoDate(t)))) }
      f.append(("purpose", .string(p.purpose)))
      f.append(("state", .string(p.state)))
      f.append(("direction", .string(p.direction)))
      if let d = p.disconnectType {
        f.append(("disconnectType", .string(d == "endpoint.donotdisturb" ? "endpoint.dnd" : d)))
      }
      f.append(("held", .bool(p.held)))
      f.append(("wrapupRequired", .bool(false)))
      if let u = p.userId {
        var ref: [(String, JSONValue)] = [("id", .string(u))]
        if let name = users[u]?.name { ref.append(("name", .string(name))) }
        f.append(("user", .object(ref)))
      }
      if let q = c.queue {
        var ref: [(String, JSONValue)] = [("id", .string(q))]
        if let name = queues[q]?.name { ref.append(("name", .string(name))) }
        f.append(("queue", .object(ref)))
      }
      f.append(("attributes", .object([])))
      f.append(("alertingTimeoutMs", .int(8000)))
      f.append(("provider", .string("Edge")))
      f.append(("muted", .bool(p.muted)))
      f.append(("confined", .bool(p.confined)))
      f.append(("recording", .bool(p.recording || c.recordingState != "none")))
      f.append(("recordingState", .string(c.recordingState(of: p))))
      f.append(("securePause", .bool(c.securePause)))
      Self.appendSupervision(p, to: &f)
      if let address = p.address, p.direction == "inbound" {
        f.append(("ani", .string(Self.wireAddress(address))))
      }
      participants.append(.object(f))
    }
    var pairs: [(String, JSONValue)] = [
      ("id", .string(c.id)), ("participants", .array(participants)), ("otherMediaUris", .array([])),
      ("recordingState", .string(c.recordingState)), ("securePause", .bool(c.securePause)),
    ]
    if let m = c.maxParticipants { pairs.append(("maxParticipants", .int(m))) }
    return .object(pairs)
  }
}
