/// The call conversation as `GET /api/v2/conversations/calls/{id}` returns it (the fields we use).
public struct CallConversation: Sendable, Hashable, Decodable {
  /// The conversation id.
  public var id: String
  /// The most participants the conversation may have, when the service says.
  public var maxParticipants: Int?
  /// Every participant (leg) of the call; empty when the answer lists none.
  public var participants: [CallParticipant]
  /// The call's recording state (`active`, `paused`, `none`; upper case in some models), lowercased.
  public var recordingState: String?
  /// Whether the recording is securely paused (genesys-api.md §10.1): what confirms a pause, since
  /// `recordingState` also reads paused during a hold.
  public var securePause: Bool?

  /// A call conversation from its parts.
  public init(
    id: String, maxParticipants: Int? = nil, participants: [CallParticipant], recordingState: String? = nil,
    securePause: Bool? = nil
  ) {
    self.id = id
    self.maxParticipants = maxParticipants
    self.participants = participants
    self.recordingState = recordingState?.lowercased()
    self.securePause = securePause
  }

  enum CodingKeys: String, CodingKey { case id, maxParticipants, participants, recordingState, securePause }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    id = try c.decode(String.self, forKey: .id)
    maxParticipants = try c.decodeIfPresent(Int.self, forKey: .maxParticipants)
    participants = try c.decodeIfPresent([CallParticipant].self, forKey: .participants) ?? []
    recordingState = try c.decodeIfPresent(String.self, forKey: .recordingState)?.lowercased()
    securePause = try c.decodeIfPresent(Bool.self, forKey: .securePause)
  }

  /// Whether the recording is securely paused: the call's `securePause`, else its legs' (any paused
  /// leg says so); nil when nobody says.
  public var isSecurelyPaused: Bool? {
    if let securePause { return securePause }
    let legs = participants.compactMap(\.securePause)
    return legs.isEmpty ? nil : legs.contains(true)
  }
}

/// A CallMediaParticipant: flat, with `user.id` (not `userId`).
public struct CallParticipant: Sendable, Hashable, Decodable {
  /// A reference to another entity (a user or a queue): its id and, when given, its name.
  public struct EntityRef: Sendable, Hashable, Decodable {
    /// The entity's id.
    public var id: String
    /// The entity's name, when the service includes it.
    public var name: String?
  }

  /// The participant id.
  public var id: String
  /// The participant's display name.
  public var name: String?
  /// The participant's address (such as a phone number or SIP URI).
  public var address: String?
  /// The participant's role in the call, as Genesys names it (`customer`, `agent`, `acd`, `user`, …).
  public var purpose: String?
  /// The participant's call state (`alerting`, `connected`, `disconnected`, …).
  public var state: String?
  /// Whether the participant is muted, when the service says.
  public var muted: Bool?
  /// The Genesys user behind the participant, if any.
  public var user: EntityRef?
  /// The queue of a queued call's ACD, customer and agent legs.
  public var queue: EntityRef?
  /// inbound or outbound; every leg of a call carries the call's direction.
  public var direction: String?
  /// When the participant joined the call, as the service's ISO 8601 text.
  public var startTime: String?
  /// When the participant connected, as the service's ISO 8601 text (absent until it does).
  public var connectedTime: String?
  /// The leg's media roles: an open list (`monitor`, `coach`, `barge` for supervision legs).
  public var mediaRoles: [String]?
  /// For a monitoring supervisor's leg: the participant monitored.
  public var monitoredParticipantId: String?
  /// For a coaching supervisor's leg: the participant coached.
  public var coachedParticipantId: String?
  /// For a barging supervisor's leg: the participant barged in on.
  public var bargedParticipantId: String?
  /// Whether the leg's recording is securely paused, when the service says.
  public var securePause: Bool?
  /// The leg's recording state (`none`, `active`, `paused`), as the service spells it.
  public var recordingState: String?

  /// A participant from its parts.
  public init(
    id: String, name: String? = nil, address: String? = nil, purpose: String? = nil, state: String? = nil,
    muted: Bool? = nil, user: EntityRef? = nil, queue: EntityRef? = nil, direction: String? = nil,
    startTime: String? = nil, connectedTime: String? = nil
  ) {
    self.connectedTime = connectedTime
    self.queue = queue
    self.direction = direction
    self.startTime = startTime
    self.id = id
    self.name = name
    self.address = address
    self.purpose = purpose
    self.state = state
    self.muted = muted
    self.user = user
  }
}
