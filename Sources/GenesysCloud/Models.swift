/// The call conversation as `GET /api/v2/conversations/calls/{id}` returns it (the fields we use).
public struct CallConversation: Sendable, Hashable, Decodable {
  public var id: String
  public var maxParticipants: Int?
  public var participants: [CallParticipant]

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
  public struct EntityRef: Sendable, Hashable, Decodable {
    public var id: String
    public var name: String?
  }

  public var id: String
  public var name: String?
  public var address: String?
  public var purpose: String?
  public var state: String?
  public var muted: Bool?
  public var user: EntityRef?
  /// The queue of a queued call's ACD, customer and agent legs.
  public var queue: EntityRef?
  /// inbound or outbound; every leg of a call carries the call's direction.
  public var direction: String?
  public var startTime: String?

  public init(
    id: String, name: String? = nil, address: String? = nil, purpose: String? = nil, state: String? = nil,
    muted: Bool? = nil, user: EntityRef? = nil, queue: EntityRef? = nil, direction: String? = nil,
    startTime: String? = nil
  ) {
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

/// A directory user (the fields we use).
public struct DirectoryUser: Sendable, Hashable, Decodable {
  public var id: String
  public var name: String?
  public var email: String?
  public var state: String?
}

struct UserListing: Decodable {
  var entities: [DirectoryUser]?
}

struct UserSearchResponse: Decodable {
  var results: [DirectoryUser]?
}

struct TokenResponse: Decodable {
  var access_token: String
  var token_type: String?
  var expires_in: Double?
}

struct ErrorBody: Decodable {
  var message: String?
  var code: String?
  var status: Int?
  var contextId: String?
}

struct OAuthErrorBody: Decodable {
  var error: String?
  var description: String?
  var error_description: String?
}

/// A routing queue (`GET /api/v2/routing/queues`).
public struct RoutingQueue: Sendable, Hashable, Decodable {
  public var id: String
  public var name: String?
}

struct QueueListing: Decodable {
  var entities: [RoutingQueue]?
  var pageCount: Int?
  var total: Int?
}

/// The conversation activity query's answer: the details of the observations.
struct ActivityResponse: Decodable {
  struct Result: Decodable {
    var entities: [Entity]?
    var truncated: Bool?
  }
  struct Entity: Decodable {
    var conversationId: String?
  }
  var results: [Result]?
}
