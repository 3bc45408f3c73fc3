public import YAMLReader

/// One `mute` entry: who to mute, for how long, and why.
public struct MuteDirective: Hashable, Sendable {
  /// Who is muted.
  public var selector: ParticipantSelector
  /// How long each mute lasts (the entry's `for`).
  public var duration: PolicyDuration
  /// The entry's `reason`, when given.
  public var reason: String?
  /// The entry in the source.
  public var location: SourceRange
  /// The `for` value in the source.
  public var durationLocation: SourceRange
}

/// One `unmute` entry: who to unmute.
public struct UnmuteDirective: Hashable, Sendable {
  /// Who is unmuted.
  public var selector: ParticipantSelector
  /// The entry in the source.
  public var location: SourceRange
}

/// Who an add entry brings into the conversation.
public enum AddTarget: Hashable, Sendable, CustomStringConvertible {
  /// A Genesys user.
  case user(UserRef)
  /// An E.164 phone number of an external party.
  case address(String)

  /// The target as findings name it (`user …`, `address …`).
  public var description: String {
    switch self {
    case .user(let user): return "user \(user)"
    case .address(let address): return "address \(address)"
    }
  }
}

/// One `add` entry: who to bring into the conversation, and as which role.
public struct AddDirective: Hashable, Sendable {
  /// Who is added.
  public var target: AddTarget
  /// The role the party is added as, which the Limits must allow.
  public var role: String
  /// The entry in the source.
  public var location: SourceRange
  /// The `role` value in the source.
  public var roleLocation: SourceRange
}
