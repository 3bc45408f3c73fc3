/// The call conversation as `GET /api/v2/conversations/calls/{id}` returns it (the fields we use).
public struct CallConversation: Sendable, Hashable, Decodable {
  /// The conversation id.
  public var id: String
  /// The most participants the conversation may have, when the service says.
  public var maxParticipants: Int?
  /// Every participant (leg) of the call; empty when the answer lists none.
  public var participants: [CallParticipant]

  /// A call conversation from its parts.
  public init(id: String, maxParticipants: Int? = nil, participants: [CallParticipant]) {
    self.id = id
    self.maxParticipants = maxParticipants
    self.participants = participants
  }

  enum CodingKeys: String, CodingKey { case id, maxParticipants, participants }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    id = try c.decode(String.self, forKey: .id)
    maxParticipants = try c.decodeIfPresent(Int.self, forKey: .maxParticipants)
    participants = try c.decodeIfPresent([CallParticipant].self, forKey: .participants) ?? []
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
