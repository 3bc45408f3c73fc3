import YAMLReader

/// Which participants a mute or unmute entry concerns.
public enum ParticipantSelector: Hashable, Sendable, CustomStringConvertible {
  /// One participant, by id (not in select policies).
  case participant(String)
  /// The participants of one user.
  case user(UserRef)
  /// Every participant with this purpose (customer, agent …).
  case purpose(String)

  /// The selector as findings name it (`participant …`, `user …`, `purpose …`).
  public var description: String {
    switch self {
    case .participant(let id): return "participant \(id)"
    case .user(let user): return "user \(user)"
    case .purpose(let purpose): return "purpose \(purpose)"
    }
  }

  /// Whether the selector names one party literally (as opposed to a purpose, which needs live state).
  public var isLiteral: Bool {
    if case .purpose = self { return false }
    return true
  }
}
