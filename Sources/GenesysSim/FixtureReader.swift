import Foundation
import YAMLReader
import WireTime

struct FixtureReader {
  var diagnostics: [Diagnostic] = []
  /// A fragment (`POST /sim/conversations`): users and conversations only, participants may name
  /// users the organisation already has.
  var fragment = false
  var knownUsers: Set<String> = []
  var knownQueues: Set<String> = []
  /// A world of a policy test: `clients` may be left out.
  var clientsOptional = false

  mutating func error(_ id: DiagnosticID, _ message: String, _ node: Node) {
    diagnostics.append(Diagnostic(id: id, message: message, range: node.range))
  }

  /// The entries of a mapping with only `allowed` keys; reports unknown keys and missing required ones
  /// (the policy compiler's reader: same ids, same wording).
  mutating func fields(
    _ node: Node, _ what: String, allowed: [String], required: [String]
  ) -> [String: Node]? {
    guard
      let f = MappingReader.fields(
        node, in: what, known: .init(names: allowed), required: required, diagnostics: &diagnostics)
    else { return nil }
    return Dictionary(f.entries.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
  }

  func hint(_ word: String, _ candidates: [String]) -> String { Suggestions.hint(word, candidates) }

  /// A non-empty scalar, read as text whatever its core type (ids and numbers are strings here).
  mutating func string(_ node: Node?, _ what: String) -> String? {
    guard let node else { return nil }
    guard node.kind == .scalar, node.coreType != .null else {
      error(.typeMismatch, "expected a string for \(what), found \(node.typeName)", node)
      return nil
    }
    let text = node.text
    if text.isEmpty {
      error(.invalidValue, "\(what) must not be empty", node)
      return nil
    }
    return text
  }

  mutating func bool(_ node: Node?, _ what: String) -> Bool? {
    guard let node else { return nil }
    return MappingReader.bool(node, what, diagnostics: &diagnostics)
  }

  mutating func sequence(_ node: Node?, _ what: String) -> [Node] {
    guard let node else { return [] }
    return MappingReader.sequence(node, what, diagnostics: &diagnostics) ?? []
  }

  mutating func read(_ root: Node) -> SimFixture {
    var fixture = SimFixture(clients: [], users: [], conversations: [])
    guard
      let top = fields(
        root, fragment ? "the fragment" : "the fixture",
        allowed: fragment
          ? ["users", "conversations"] : ["clients", "users", "queues", "conversations", "topicPermissions"],
        required: fragment || clientsOptional ? [] : ["clients"])
    else { return fixture }

    var seenClients: [String: Node] = [:]
    for item in sequence(top["clients"], "'clients'") {
      guard
        let f = fields(
          item, "a client", allowed: ["id", "secret", "permissions", "tokenLifetime", "limits"],
          required: ["id", "secret"])
      else { continue }
      guard let id = string(f["id"], "a client's 'id'"), let secret = string(f["secret"], "'secret'")
      else { continue }
      if seenClients[id] != nil {
        error(.duplicateId, "client '\(id)' is defined twice", f["id"]!)
      }
      seenClients[id] = f["id"]
      var permissions: [String] = []
      for p in sequence(f["permissions"], "'permissions'") {
        guard let name = string(p, "a permission") else { continue }
        if !SimPermissions.isValid(name) {
          error(
            .unknownPermission,
            "unknown permission '\(name)'\(hint(name, SimPermissions.known)) (see docs/genesys-api.md §3)", p)
        }
        permissions.append(name)
      }
      var lifetime: TimeInterval?
      if let node = f["tokenLifetime"] {
        lifetime = SimDuration.parse(node.text)
        if lifetime == nil || node.kind != .scalar {
          error(
            .invalidValue, "'tokenLifetime' must be a duration such as '24h', '30m', '90s' or '500ms'", node
          )
        }
      }
      var limits: [String: Int] = [:]
      if let node = f["limits"] {
        if node.kind == .mapping {
          for (key, value) in node.entries {
            if value.kind == .scalar, value.coreType == .int, let n = Int(value.text), n >= 0 {
              limits[key.text] = n
            } else {
              error(.invalidValue, "a limit's value must be a non-negative integer", value)
            }
          }
        } else {
          error(
            .typeMismatch,
            "expected a mapping of limit keys to values for 'limits', found \(node.typeName)", node)
        }
      }
      fixture.clients.append(
        .init(id: id, secret: secret, permissions: permissions, tokenLifetime: lifetime, limits: limits))
    }

    var seenQueues: [String: Node] = [:]
    for item in sequence(top["queues"], "'queues'") {
      guard let f = fields(item, "a queue", allowed: ["id", "name"], required: ["id", "name"]) else {
        continue
      }
      guard let id = string(f["id"], "a queue's 'id'"), let name = string(f["name"], "a queue's 'name'")
      else { continue }
      if seenQueues[id] != nil { error(.duplicateId, "queue '\(id)' is defined twice", f["id"]!) }
      seenQueues[id] = f["id"]
      fixture.queues.append(.init(id: id, name: name))
    }
    if let node = top["topicPermissions"] {
      if node.kind == .mapping {
        for (key, value) in node.entries {
          var names: [String] = []
          for p in sequence(value, "the permissions of a topic") {
            guard let name = string(p, "a permission") else { continue }
            if !SimPermissions.isValid(name) {
              error(
                .unknownPermission, "unknown permission '\(name)'\(hint(name, SimPermissions.known))", p)
            }
            names.append(name)
          }
          fixture.topicPermissions[key.text] = names
        }
      } else {
        error(
          .typeMismatch, "expected a mapping of topic patterns to permission lists for 'topicPermissions'",
          node)
      }
    }

    var seenUsers: [String: Node] = [:]
    for item in sequence(top["users"], "'users'") {
      guard
        let f = fields(
          item, "a user", allowed: ["id", "name", "email", "presence"], required: ["id", "name"])
      else { continue }
      guard let id = string(f["id"], "a user's 'id'"), let name = string(f["name"], "a user's 'name'")
      else { continue }
      if seenUsers[id] != nil { error(.duplicateId, "user '\(id)' is defined twice", f["id"]!) }
      seenUsers[id] = f["id"]
      let email = string(f["email"], "'email'")
      let presence = string(f["presence"], "'presence'") ?? "Available"
      fixture.users.append(.init(id: id, name: name, email: email, presence: presence))
    }

    var seenConversations: Set<String> = []
    var seenParticipants: Set<String> = []
    for item in sequence(top["conversations"], "'conversations'") {
      guard
        let f = fields(
          item, "a conversation",
          allowed: [
            "id", "maxParticipants", "queue", "direction", "participants", "recording", "recordingState",
          ],
          required: ["id"])
      else { continue }
      guard let id = string(f["id"], "a conversation's 'id'") else { continue }
      if !seenConversations.insert(id).inserted {
        error(.duplicateId, "conversation '\(id)' is defined twice", f["id"]!)
      }
      var maxParticipants: Int?
      if let node = f["maxParticipants"] {
        if node.kind == .scalar, node.coreType == .int, let n = Int(node.text), n >= 1 {
          maxParticipants = n
        } else {
          error(.invalidValue, "'maxParticipants' must be a positive integer", node)
        }
      }
      let queue = string(f["queue"], "'queue'")
      if let queue, seenQueues[queue] == nil, !knownQueues.contains(queue) {
        error(
          .unknownQueue, "conversation refers to queue '\(queue)', which 'queues' does not define",
          f["queue"]!)
      }
      let direction = string(f["direction"], "'direction'") ?? "inbound"
      if direction != "inbound" && direction != "outbound" {
        error(.invalidValue, "'direction' must be 'inbound' or 'outbound'", f["direction"]!)
      }
      var recordingState = "none"
      if let node = f["recording"], let b = bool(node, "'recording'") {
        recordingState = b ? "active" : "none"
      }
      if let node = f["recordingState"], let s = string(node, "'recordingState'") {
        if f["recording"] != nil {
          error(.invalidValue, "give 'recording' or 'recordingState', not both", node)
        } else if SimFixture.recordingStates.contains(s.lowercased()) {
          recordingState = s.lowercased()
        } else {
          error(
            .invalidValue,
            "unknown recordingState '\(s)'; one of \(SimFixture.recordingStates.joined(separator: ", "))",
            node)
        }
      }
      var participants: [SimFixture.Participant] = []
      for p in sequence(f["participants"], "'participants'") {
        guard
          let pf = fields(
            p, "a participant",
            allowed: [
              "id", "purpose", "state", "user", "name", "address", "muted", "held", "connectedTime",
              "mediaRoles",
            ] + SimFixture.supervisionKeys.map(\.key),
            required: ["id", "purpose", "state"])
        else { continue }
        guard let pid = string(pf["id"], "a participant's 'id'"),
          let purpose = string(pf["purpose"], "'purpose'"),
          let state = string(pf["state"], "'state'")
        else { continue }
        if !seenParticipants.insert(pid).inserted {
          error(.duplicateId, "participant '\(pid)' is defined twice", pf["id"]!)
        }
        if !callStates.contains(state) {
          error(
            .invalidValue,
            "unknown call state '\(state)'\(hint(state, callStates)); one of \(callStates.joined(separator: ", "))",
            pf["state"]!)
        }
        let user = string(pf["user"], "'user'")
        if let user, seenUsers[user] == nil, !knownUsers.contains(user) {
          error(
            .unknownUser, "participant refers to user '\(user)', which 'users' does not define", pf["user"]!
          )
        }
        var connectedTime: Date? = nil
        if let node = pf["connectedTime"], let text = string(node, "'connectedTime'") {
          if let t = Timestamp.parseRFC3339(text), state == "connected" {
            connectedTime = Date(timeIntervalSince1970: t)
          } else {
            error(
              .invalidValue,
              state == "connected"
                ? "'connectedTime' must be an RFC 3339 date and time with its offset, such as 2026-12-07T08:14:45Z"
                : "'connectedTime' is for a connected participant; this one is \(state)",
              node)
          }
        }
        var participant = SimFixture.Participant(
          id: pid, purpose: purpose, state: state, user: user, name: string(pf["name"], "'name'"),
          address: string(pf["address"], "'address'"), muted: bool(pf["muted"], "'muted'") ?? false,
          held: bool(pf["held"], "'held'") ?? false, connectedTime: connectedTime)
        for node in sequence(pf["mediaRoles"], "'mediaRoles'") {
          if let role = string(node, "a media role") { participant.mediaRoles.append(role) }
        }
        // A supervision leg names whom it supervises by the key of its media role.
        for (key, role) in SimFixture.supervisionKeys {
          guard let node = pf[key], let target = string(node, "'\(key)'") else { continue }
          if !participant.mediaRoles.contains(role) {
            error(.invalidValue, "'\(key)' is for a leg whose mediaRoles hold '\(role)'", node)
          } else if participant.supervises != nil {
            error(.invalidValue, "a leg supervises one participant", node)
          } else {
            participant.supervises = target
          }
        }
        participants.append(participant)
      }
      var conversation = SimFixture.Conversation(
        id: id, maxParticipants: maxParticipants, queue: queue, direction: direction,
        participants: participants)
      conversation.recordingState = recordingState
      fixture.conversations.append(conversation)
    }
    return fixture
  }
}
