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
