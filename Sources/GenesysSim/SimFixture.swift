public import Foundation
public import YAMLReader

/// The organisation the emulator serves: OAuth clients, users and live conversations, read from a
/// YAML fixture (docs/emulator.md, "Fixture format"). Unknown keys, wrong types, duplicate ids and references to unknown
/// users are located errors, like policy errors.
public struct SimFixture: Sendable, Equatable {
  /// An OAuth client-credentials client and the permissions of its roles.
  public struct Client: Sendable, Equatable {
    /// The client id, as sent to `/oauth/token`.
    public var id: String
    /// The client secret, as sent to `/oauth/token`.
    public var secret: String
    /// `*` grants everything; otherwise names from docs/genesys-api.md §3, a segment may be `*`.
    public var permissions: [String]
    /// Seconds; nil means the Genesys default of 24 h.
    public var tokenLifetime: TimeInterval?
    /// Values of the org's `platform.api` limits as this client reads them
    /// (`GET /api/v2/organizations/limits/namespaces/platform.api`), over the defaults.
    public var limits: [String: Int]

    /// A client; by default with the Genesys token lifetime and the default limits.
    public init(
      id: String, secret: String, permissions: [String], tokenLifetime: TimeInterval? = nil,
      limits: [String: Int] = [:]
    ) {
      self.id = id
      self.secret = secret
      self.permissions = permissions
      self.tokenLifetime = tokenLifetime
      self.limits = limits
    }
  }

  /// A routing queue.
  public struct Queue: Sendable, Equatable {
    /// The queue id.
    public var id: String
    /// The queue's name.
    public var name: String

    /// A queue from its id and name.
    public init(id: String, name: String) {
      self.id = id
      self.name = name
    }
  }

  /// A directory user.
  public struct User: Sendable, Equatable {
    /// The user id.
    public var id: String
    /// The user's name.
    public var name: String
    /// The user's email address, if any.
    public var email: String?
    /// A system presence: Available, Away, Busy, On Queue, Offline …
    public var presence: String

    /// A user; by default without an email address and Available.
    public init(id: String, name: String, email: String? = nil, presence: String = "Available") {
      self.id = id
      self.name = name
      self.email = email
      self.presence = presence
    }
  }

  /// A participant (leg) of a conversation.
  public struct Participant: Sendable, Equatable {
    /// The participant id.
    public var id: String
    /// The participant's role as Genesys names it (`customer`, `agent`, `acd`, …).
    public var purpose: String
    /// The participant's call state (`alerting`, `connected`, `disconnected`, …).
    public var state: String
    /// The id of the fixture user behind the participant, if any.
    public var user: String?
    /// The participant's display name, if any.
    public var name: String?
    /// The participant's address (such as a phone number), if any.
    public var address: String?
    /// Whether the participant starts muted.
    public var muted: Bool
    /// Whether the participant starts on hold.
    public var held: Bool

    /// A participant; by default with no user, name or address, neither muted nor held.
    public init(
      id: String, purpose: String, state: String, user: String? = nil, name: String? = nil,
      address: String? = nil, muted: Bool = false, held: Bool = false
    ) {
      self.id = id
      self.purpose = purpose
      self.state = state
      self.user = user
      self.name = name
      self.address = address
      self.muted = muted
      self.held = held
    }
  }

  /// A live call conversation and its participants.
  public struct Conversation: Sendable, Equatable {
    /// The conversation id.
    public var id: String
    /// The most participants the conversation may have; nil when the fixture sets no limit.
    public var maxParticipants: Int?
    /// The queue of a queued (ACD) call: its legs carry it.
    public var queue: String?
    /// `inbound` or `outbound`: every leg carries the call's direction.
    public var direction: String
    /// The call's participants, in order.
    public var participants: [Participant]

    /// A conversation; by default inbound, not queued and without a participant limit.
    public init(
      id: String, maxParticipants: Int? = nil, queue: String? = nil, direction: String = "inbound",
      participants: [Participant]
    ) {
      self.id = id
      self.maxParticipants = maxParticipants
      self.queue = queue
      self.direction = direction
      self.participants = participants
    }
  }

  /// The OAuth clients that may get a token.
  public var clients: [Client]
  /// The directory users.
  public var users: [User]
  /// The routing queues.
  public var queues: [Queue]
  /// The live call conversations.
  public var conversations: [Conversation]
  /// The permissions a client needs (ANY) to subscribe to a topic, by topic pattern
  /// (`v2.users.{id}.conversations.calls`); the emulator's defaults where the fixture says nothing.
  public var topicPermissions: [String: [String]]

  /// An organisation from its parts.
  public init(
    clients: [Client], users: [User], queues: [Queue] = [], conversations: [Conversation],
    topicPermissions: [String: [String]] = [:]
  ) {
    self.clients = clients
    self.users = users
    self.queues = queues
    self.conversations = conversations
    self.topicPermissions = topicPermissions
  }

  /// The demo organisation (sim/demo-organisation.yaml, embedded): client `partyline-demo` with secret
  /// `partyline-demo-secret`.
  public static var demo: SimFixture {
    switch parse(yaml: DemoOrganisation.yaml, file: "demo-organisation.yaml") {
    case .success(let fixture): return fixture
    case .failure(let diagnostics):
      preconditionFailure("the embedded demo organisation is invalid: \(diagnostics)")
    }
  }

  /// The demo organisation's YAML text, as `partyline sim serve` without `--fixture` serves it.
  public static var demoYAML: String { DemoOrganisation.yaml }

  /// Reads a fixture file.
  public static func load(path: String, limits: ReaderLimits = .default) -> Result<SimFixture, Diagnostics> {
    let parsed = YAMLReader(limits: limits).read(path: path)
    return build(parsed)
  }

  /// Parses fixture text; `file` names it in diagnostics.
  public static func parse(yaml: String, file: String) -> Result<SimFixture, Diagnostics> {
    let parsed = YAMLReader().parse(Array(yaml.utf8), file: file)
    return build(parsed)
  }

  /// Parses a fragment of a fixture (users and conversations) whose participants may also name the
  /// `knownUsers`; what `POST /sim/conversations` reads (JSON is YAML too).
  static func parseFragment(_ bytes: [UInt8], knownUsers: Set<String>, knownQueues: Set<String> = [])
    -> Result<SimFixture, Diagnostics>
  {
    build(
      YAMLReader().parse(bytes, file: "body"), fragment: true, knownUsers: knownUsers,
      knownQueues: knownQueues)
  }

  static func build(
    _ parsed: ParsedFile, fragment: Bool = false, knownUsers: Set<String> = [], knownQueues: Set<String> = []
  ) -> Result<SimFixture, Diagnostics> {
    if parsed.diagnostics.contains(where: { $0.severity == .error }) {
      return .failure(Diagnostics(parsed.diagnostics))
    }
    guard parsed.documents.count == 1 else {
      return .failure([
        Diagnostic(
          id: "fixture_documents",
          message: "a fixture holds exactly one document, found \(parsed.documents.count)",
          range: SourceRange(file: parsed.file, line: 1, column: 1))
      ])
    }
    var reader = FixtureReader(fragment: fragment, knownUsers: knownUsers, knownQueues: knownQueues)
    let fixture = reader.read(parsed.documents[0])
    if reader.diagnostics.isEmpty { return .success(fixture) }
    return .failure(Diagnostics(reader.diagnostics))
  }
}

/// Permission names the emulator knows: those of docs/genesys-api.md §3.
public enum SimPermissions {
  /// Every permission name a client may be granted.
  public static let known: [String] = [
    "conversation:communication:view",
    "conversation:participant:wrapup",
    "conversation:call:record",
    "conversation:communication:disconnect",
    "conversation:agentlessCall:add",
    "conversation:call:add",
    "conversation:conference:add",
    "conversation:communication:blindTransfer",
    "conversation:communication:consultTransfer",
    "conversation:communication:consultTransferAgent",
    "directory:user:view",
    "routing:queue:view",
    "analytics:queueObservation:view",
  ]

  /// Whether `granted` (possibly with `*` segments, or `*` alone) covers `permission`.
  static func covers(_ granted: String, _ permission: String) -> Bool {
    if granted == "*" || granted == permission { return true }
    let g = granted.split(separator: ":", omittingEmptySubsequences: false)
    let p = permission.split(separator: ":", omittingEmptySubsequences: false)
    guard g.count == p.count else { return false }
    for (a, b) in zip(g, p) where a != "*" && a != b { return false }
    return true
  }

  static func isValid(_ granted: String) -> Bool {
    known.contains { covers(granted, $0) }
  }
}

/// The call states a fixture may give (CallMediaParticipant's enum, docs/genesys-api.md §2a).
let callStates = [
  "alerting", "dialing", "contacting", "offering", "connected", "disconnected", "terminated", "converting",
  "uploading", "transmitting", "none", "parked",
]

struct FixtureReader {
  var diagnostics: [Diagnostic] = []
  /// A fragment (`POST /sim/conversations`): users and conversations only, participants may name
  /// users the organisation already has.
  var fragment = false
  var knownUsers: Set<String> = []
  var knownQueues: Set<String> = []

  mutating func error(_ id: String, _ message: String, _ node: Node) {
    diagnostics.append(Diagnostic(id: id, message: message, range: node.range))
  }

  /// The entries of a mapping with only `allowed` keys; reports unknown keys and missing required ones.
  mutating func fields(
    _ node: Node, _ what: String, allowed: [String], required: [String]
  ) -> [String: Node]? {
    guard node.kind == .mapping else {
      error("wrong_type", "\(what) must be a mapping, found \(node.typeName)", node)
      return nil
    }
    var out: [String: Node] = [:]
    for (key, value) in node.entries {
      let name = key.text
      if allowed.contains(name) {
        out[name] = value
      } else {
        error("unknown_key", "unknown key '\(name)' in \(what)\(hint(name, allowed))", key)
      }
    }
    for name in required where out[name] == nil {
      error("missing_key", "\(what) needs '\(name)'", node)
    }
    return out
  }

  func hint(_ word: String, _ candidates: [String]) -> String {
    let lower = word.lowercased()
    var best: (String, Int)?
    for c in candidates {
      let d = editDistance(lower, c.lowercased())
      if d <= max(1, min(3, c.count / 3)), best == nil || d < best!.1 { best = (c, d) }
    }
    return best.map { "; did you mean '\($0.0)'?" } ?? ""
  }

  mutating func string(_ node: Node?, _ what: String) -> String? {
    guard let node else { return nil }
    guard node.kind == .scalar, node.coreType != .null else {
      error("wrong_type", "\(what) must be a string, found \(node.typeName)", node)
      return nil
    }
    let text = node.text
    if text.isEmpty {
      error("invalid_value", "\(what) must not be empty", node)
      return nil
    }
    return text
  }

  mutating func bool(_ node: Node?, _ what: String) -> Bool? {
    guard let node else { return nil }
    guard node.kind == .scalar, node.coreType == .bool else {
      error("wrong_type", "\(what) must be true or false, found \(node.typeName)", node)
      return nil
    }
    return node.text == "true" || node.text == "True" || node.text == "TRUE"
  }

  mutating func sequence(_ node: Node?, _ what: String) -> [Node] {
    guard let node else { return [] }
    guard node.kind == .sequence else {
      if node.kind == .scalar, node.coreType == .null { return [] }
      error("wrong_type", "\(what) must be a sequence, found \(node.typeName)", node)
      return []
    }
    return node.items
  }

  mutating func read(_ root: Node) -> SimFixture {
    var fixture = SimFixture(clients: [], users: [], conversations: [])
    guard
      let top = fields(
        root, fragment ? "the fragment" : "the fixture",
        allowed: fragment
          ? ["users", "conversations"] : ["clients", "users", "queues", "conversations", "topicPermissions"],
        required: fragment ? [] : ["clients"])
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
        error("duplicate_id", "client '\(id)' is defined twice", f["id"]!)
      }
      seenClients[id] = f["id"]
      var permissions: [String] = []
      for p in sequence(f["permissions"], "'permissions'") {
        guard let name = string(p, "a permission") else { continue }
        if !SimPermissions.isValid(name) {
          error(
            "unknown_permission",
            "unknown permission '\(name)'\(hint(name, SimPermissions.known)) (see docs/genesys-api.md §3)", p)
        }
        permissions.append(name)
      }
      var lifetime: TimeInterval?
      if let node = f["tokenLifetime"] {
        lifetime = SimDuration.parse(node.text)
        if lifetime == nil || node.kind != .scalar {
          error(
            "invalid_value", "'tokenLifetime' must be a duration such as '24h', '30m', '90s' or '500ms'", node
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
              error("invalid_value", "a limit's value must be a non-negative integer", value)
            }
          }
        } else {
          error(
            "wrong_type", "'limits' must be a mapping of limit keys to values, found \(node.typeName)", node)
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
      if seenQueues[id] != nil { error("duplicate_id", "queue '\(id)' is defined twice", f["id"]!) }
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
                "unknown_permission", "unknown permission '\(name)'\(hint(name, SimPermissions.known))", p)
            }
            names.append(name)
          }
          fixture.topicPermissions[key.text] = names
        }
      } else {
        error("wrong_type", "'topicPermissions' must map topic patterns to permission lists", node)
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
      if seenUsers[id] != nil { error("duplicate_id", "user '\(id)' is defined twice", f["id"]!) }
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
          item, "a conversation", allowed: ["id", "maxParticipants", "queue", "direction", "participants"],
          required: ["id"])
      else { continue }
      guard let id = string(f["id"], "a conversation's 'id'") else { continue }
      if !seenConversations.insert(id).inserted {
        error("duplicate_id", "conversation '\(id)' is defined twice", f["id"]!)
      }
      var maxParticipants: Int?
      if let node = f["maxParticipants"] {
        if node.kind == .scalar, node.coreType == .int, let n = Int(node.text), n >= 1 {
          maxParticipants = n
        } else {
          error("invalid_value", "'maxParticipants' must be a positive integer", node)
        }
      }
      let queue = string(f["queue"], "'queue'")
      if let queue, seenQueues[queue] == nil, !knownQueues.contains(queue) {
        error(
          "unknown_queue", "conversation refers to queue '\(queue)', which 'queues' does not define",
          f["queue"]!)
      }
      let direction = string(f["direction"], "'direction'") ?? "inbound"
      if direction != "inbound" && direction != "outbound" {
        error("invalid_value", "'direction' must be 'inbound' or 'outbound'", f["direction"]!)
      }
      var participants: [SimFixture.Participant] = []
      for p in sequence(f["participants"], "'participants'") {
        guard
          let pf = fields(
            p, "a participant",
            allowed: ["id", "purpose", "state", "user", "name", "address", "muted", "held"],
            required: ["id", "purpose", "state"])
        else { continue }
        guard let pid = string(pf["id"], "a participant's 'id'"),
          let purpose = string(pf["purpose"], "'purpose'"),
          let state = string(pf["state"], "'state'")
        else { continue }
        if !seenParticipants.insert(pid).inserted {
          error("duplicate_id", "participant '\(pid)' is defined twice", pf["id"]!)
        }
        if !callStates.contains(state) {
          error(
            "invalid_value",
            "unknown call state '\(state)'\(hint(state, callStates)); one of \(callStates.joined(separator: ", "))",
            pf["state"]!)
        }
        let user = string(pf["user"], "'user'")
        if let user, seenUsers[user] == nil, !knownUsers.contains(user) {
          error(
            "unknown_user", "participant refers to user '\(user)', which 'users' does not define", pf["user"]!
          )
        }
        participants.append(
          .init(
            id: pid, purpose: purpose, state: state, user: user, name: string(pf["name"], "'name'"),
            address: string(pf["address"], "'address'"), muted: bool(pf["muted"], "'muted'") ?? false,
            held: bool(pf["held"], "'held'") ?? false))
      }
      fixture.conversations.append(
        .init(
          id: id, maxParticipants: maxParticipants, queue: queue, direction: direction,
          participants: participants))
    }
    return fixture
  }
}

func editDistance(_ a: String, _ b: String) -> Int {
  let x = Array(a)
  let y = Array(b)
  if x.isEmpty { return y.count }
  if y.isEmpty { return x.count }
  var prev = Array(0...y.count)
  var cur = prev
  for i in 1...x.count {
    cur[0] = i
    for j in 1...y.count {
      cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
    }
    swap(&prev, &cur)
  }
  return prev[y.count]
}

/// Durations as the CLI and fixtures write them: `500ms`, `2s`, `1.5s`, `30m`, `24h`, or plain seconds.
public enum SimDuration {
  /// The longest duration accepted (about 31 years), so every duration fits the integers it becomes.
  public static let maxSeconds: TimeInterval = 1e9

  /// The seconds `text` says, or nil when it is not a duration, is negative or is longer than `maxSeconds`.
  public static func parse(_ text: String) -> TimeInterval? {
    let t = text.trimmingCharacters(in: .whitespaces)
    let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
    for (suffix, factor) in units where t.hasSuffix(suffix) {
      let number = t.dropLast(suffix.count)
      if suffix == "s", number.hasSuffix("m") { continue }
      guard let v = Double(number), v >= 0, v * factor <= maxSeconds else { return nil }
      return v * factor
    }
    guard let v = Double(t), v >= 0, v <= maxSeconds else { return nil }
    return v
  }

  /// The shortest of the forms `parse` reads that says `seconds` exactly.
  public static func format(_ seconds: TimeInterval) -> String {
    if seconds >= 3600, seconds.truncatingRemainder(dividingBy: 3600) == 0 {
      return "\(Int(seconds / 3600))h"
    }
    if seconds >= 60, seconds.truncatingRemainder(dividingBy: 60) == 0 { return "\(Int(seconds / 60))m" }
    if seconds.rounded() == seconds { return "\(Int(seconds))s" }
    return "\(Int((seconds * 1000).rounded()))ms"
  }
}
