/// What the API says about the conversations and users a policy set concerns, read once per plan.
public struct LiveState: Sendable, Hashable {
  public var conversations: [String: LiveConversation]
  /// Users by id.
  public var users: [String: LiveUser]
  /// User ids by lowercased email, for the emails the policy set names.
  public var emails: [String: String]

  public init(
    conversations: [String: LiveConversation] = [:], users: [String: LiveUser] = [:],
    emails: [String: String] = [:]
  ) {
    self.conversations = conversations
    self.users = users
    self.emails = emails
  }

  /// The user id a reference resolves to, when the directory knows it.
  public func userId(_ ref: UserRef) -> String? {
    switch ref {
    case .id(let id): return id
    case .email(let email): return emails[email.lowercased()]
    }
  }
}

public struct LiveUser: Sendable, Hashable {
  public var id: String
  public var name: String?
  public var email: String?
  public var presence: String?

  public init(id: String, name: String? = nil, email: String? = nil, presence: String? = nil) {
    self.id = id
    self.name = name
    self.email = email
    self.presence = presence
  }
}

public struct LiveConversation: Sendable, Hashable {
  public enum Status: Sendable, Hashable {
    case found
    /// The API answered 404.
    case notFound
  }

  public var id: String
  public var status: Status
  public var maxParticipants: Int?
  /// In the order the API lists them.
  public var participants: [LiveParticipant]
  /// inbound or outbound (every leg carries the call's direction), when the API says.
  public var direction: String? = nil
  /// The queues the call's legs carry (lowercased ids).
  public var queues: Set<String> = []
  /// When the call started (its first leg's start), as the API wrote it.
  public var startTime: String? = nil

  public init(
    id: String, status: Status = .found, maxParticipants: Int? = nil, participants: [LiveParticipant] = []
  ) {
    self.id = id
    self.status = status
    self.maxParticipants = maxParticipants
    self.participants = participants
  }

  /// Live while any participant is in a state other than disconnected or terminated.
  public var isLive: Bool { participants.contains { !$0.hasLeft } }

  /// A digest of what a plan depends on: participant ids, states, muted, user ids, purposes, limits.
  public var snapshotHash: String {
    var text = "\(id)|\(status)|\(maxParticipants.map(String.init) ?? "-")"
    for p in participants {
      text += "|\(p.id),\(p.state),\(p.muted),\(p.userId ?? "-"),\(p.purpose),\(p.address ?? "-")"
    }
    return Digest.sha256Hex(text)
  }
}

public struct LiveParticipant: Sendable, Hashable {
  public var id: String
  public var purpose: String
  /// The call state: alerting, dialing, contacting, offering, connected, disconnected, terminated …
  public var state: String
  public var muted: Bool
  public var userId: String?
  public var address: String?
  public var name: String?
  /// The leg's queue (lowercased id), for a queued call.
  public var queue: String? = nil

  public init(
    id: String, purpose: String, state: String, muted: Bool = false, userId: String? = nil,
    address: String? = nil,
    name: String? = nil
  ) {
    self.id = id
    self.purpose = purpose
    self.state = state
    self.muted = muted
    self.userId = userId
    self.address = address
    self.name = name
  }

  /// The E.164 number of the address (`tel:+49…`, `sip:+49…@host` or `+49…`), if it names one.
  public var phoneNumber: String? { address.flatMap(Grammar.phoneNumber) }

  /// Whether this participant's address is the number `e164` (compared by digits, not spelling).
  public func hasNumber(_ e164: String) -> Bool {
    guard let mine = phoneNumber else { return false }
    return mine == Grammar.phoneNumber(e164)
  }

  public var hasLeft: Bool { state == "disconnected" || state == "terminated" }
  public var isConnected: Bool { state == "connected" }
  /// Ringing or being set up: not yet connected, not gone.
  public var isPending: Bool { !hasLeft && !isConnected }
}
