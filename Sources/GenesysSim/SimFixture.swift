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
    /// When the participant connected (a connected leg; nil: when the emulator starts).
    public var connectedTime: Date? = nil
    /// The leg's media roles (`monitor`, `coach`, `barge` for a supervisor Genesys added).
    public var mediaRoles: [String] = []
    /// For a supervision leg: the participant it monitors, coaches or barges in on, by the media role
    /// (`monitor` → `monitoredParticipantId` …).
    public var supervises: String? = nil

    /// A participant; by default with no user, name or address, neither muted nor held.
    public init(
      id: String, purpose: String, state: String, user: String? = nil, name: String? = nil,
      address: String? = nil, muted: Bool = false, held: Bool = false, connectedTime: Date? = nil
    ) {
      self.id = id
      self.purpose = purpose
      self.state = state
      self.user = user
      self.name = name
      self.address = address
      self.muted = muted
      self.held = held
      self.connectedTime = connectedTime
    }
  }

  /// The states of a call's recording a fixture may give.
  public static let recordingStates = ["none", "active", "paused"]
  /// The key naming the supervised participant, by a supervision leg's media role.
  public static let supervisionKeys: [(key: String, role: String)] = [
    ("monitoredParticipantId", "monitor"), ("coachedParticipantId", "coach"),
    ("bargedParticipantId", "barge"),
  ]

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
    /// The call's recording: `none` (not recorded), `active`, or `paused` (a secure pause).
    public var recordingState: String = "none"

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

  /// A fixture from a YAML mapping (a policy test's inline `world`): `clients` may be left out.
  public static func read(_ node: Node) -> Result<SimFixture, Diagnostics> {
    var reader = FixtureReader()
    reader.clientsOptional = true
    let fixture = reader.read(node)
    if reader.diagnostics.isEmpty { return .success(fixture) }
    return .failure(Diagnostics(reader.diagnostics))
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
          id: .fixtureDocuments,
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

/// The call states a fixture may give (CallMediaParticipant's enum, docs/genesys-api.md §2a).
let callStates = [
  "alerting", "dialing", "contacting", "offering", "connected", "disconnected", "terminated", "converting",
  "uploading", "transmitting", "none", "parked",
]
