/// One participant (a leg) of a live conversation.
public struct LiveParticipant: Sendable, Hashable {
  /// The participant's id.
  public var id: String
  /// The participant's purpose as the API spells it (agent, customer, user …).
  public var purpose: String
  /// The call state: alerting, dialing, contacting, offering, connected, disconnected, terminated …
  public var state: String
  /// Whether the participant is muted.
  public var muted: Bool
  /// The user's id, for a user's leg.
  public var userId: String?
  /// The leg's address as the API renders it (often a `tel:` or `sip:` URI).
  public var address: String?
  /// The participant's name, when the API gives one.
  public var name: String?
  /// The leg's queue (lowercased id), for a queued call.
  public var queue: String? = nil
  /// When the leg connected, in seconds since 1970 (the API's `connectedTime`), when it says.
  public var connectedTime: Double? = nil
  /// The leg's media roles as the API lists them (an open list: `monitor`, `coach`, `barge` …).
  public var mediaRoles: [String] = [] {
    didSet { mediaRoles = mediaRoles.map { UntrustedText.clean($0) } }
  }
  /// The participant a supervision leg monitors, coaches or barges in on (the API's
  /// `monitoredParticipantId`, `coachedParticipantId` or `bargedParticipantId`).
  public var supervisedParticipantId: String? = nil {
    didSet { supervisedParticipantId = UntrustedText.clean(supervisedParticipantId) }
  }

  /// A participant; its queue is set as a property.
  public init(
    id: String, purpose: String, state: String, muted: Bool = false, userId: String? = nil,
    address: String? = nil,
    name: String? = nil
  ) {
    // What the API says is shown to people: made safe here, once (see `UntrustedText`).
    self.id = UntrustedText.clean(id)
    self.purpose = UntrustedText.clean(purpose)
    self.state = UntrustedText.clean(state)
    self.muted = muted
    self.userId = UntrustedText.clean(userId)
    self.address = UntrustedText.clean(address)
    self.name = UntrustedText.clean(name)
  }

  /// The E.164 number of the address (`tel:+49…`, `sip:+49…@host` or `+49…`), if it names one.
  public var phoneNumber: String? { address.flatMap(Grammar.phoneNumber) }

  /// Whether this participant's address is the number `e164` (compared by digits, not spelling).
  public func hasNumber(_ e164: String) -> Bool {
    guard let mine = phoneNumber else { return false }
    return mine == Grammar.phoneNumber(e164)
  }

  /// The media roles that make a leg one Genesys added for supervision (genesys-api.md §10.2).
  public static let supervisionRoles: Set<String> = ["monitor", "coach", "barge"]

  /// For a leg Genesys added for supervision (a monitoring, coaching or barging supervisor): its media
  /// role; nil for an ordinary participant. Such a leg is never an acting user, never matched by a
  /// `purpose` selector and never counted against a role's `max` (DESIGN §1).
  public var supervision: String? {
    if let role = mediaRoles.first(where: { Self.supervisionRoles.contains($0.lowercased()) }) {
      return role.lowercased()
    }
    return supervisedParticipantId != nil ? "monitor" : nil
  }

  /// An ordinary participant: not a supervision leg.
  public var isOrdinary: Bool { supervision == nil }

  /// Whether the participant has left (disconnected or terminated).
  public var hasLeft: Bool { state == "disconnected" || state == "terminated" }
  /// Whether the participant is connected.
  public var isConnected: Bool { state == "connected" }
  /// Ringing or being set up: not yet connected, not gone.
  public var isPending: Bool { !hasLeft && !isConnected }
}
