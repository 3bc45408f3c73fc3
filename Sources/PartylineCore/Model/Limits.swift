public import YAMLReader

/// A role of the Limits: how many Partyline may add per conversation, and whether it joins muted.
public struct RoleRule: Hashable, Sendable {
  /// The role's name.
  public var name: String
  /// At most this many added by Partyline per conversation.
  public var max: Int?
  /// Muted once connected, as a lease of maxMute.
  public var muted: Bool
  /// The role's key in the source; nil for a default role.
  public var location: SourceRange?

  /// A role; by default without a max and not muted.
  public init(name: String, max: Int? = nil, muted: Bool = false, location: SourceRange? = nil) {
    self.name = name
    self.max = max
    self.muted = muted
    self.location = location
  }
}

/// The `kind: Limits` document, or the defaults.
public struct Limits: Hashable, Sendable {
  /// The longest a mute may last (at most `hardMaxMute`); a muted role's lease lasts this long.
  public var maxMute: PolicyDuration
  /// The most participants a conversation may have after Partyline's adds (at most
  /// `hardMaxParticipants`).
  public var maxParticipants: Int
  /// Allowed roles, sorted by name.
  public var roles: [RoleRule]
  /// The document's `kind` value in the source; nil for the defaults.
  public var location: SourceRange?
  /// The longest a recording pause may last (`maxPause`, at most `hardMaxPause`).
  public var maxPause: PolicyDuration = .defaultMaxPause

  /// The most participants any Limits may allow: 20.
  public static let hardMaxParticipants = 20

  /// The Limits when no file holds a Limits document: maxMute 2h, 20 participants, and the roles
  /// agent, observer and supervisor.
  public static let defaults = Limits(
    maxMute: .hardMaxMute, maxParticipants: hardMaxParticipants,
    roles: [RoleRule(name: "agent"), RoleRule(name: "observer"), RoleRule(name: "supervisor")],
    location: nil)

  /// The allowed role of this name, if any.
  public func role(named name: String) -> RoleRule? { roles.first { $0.name == name } }
}
