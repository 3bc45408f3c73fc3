import YAMLReader

/// A Genesys user, by id or by email (resolved against the directory when planning).
public enum UserRef: Hashable, Sendable, CustomStringConvertible {
  /// A user id (a UUID, lowercase).
  case id(String)
  /// An email (lowercase), resolved against the directory.
  case email(String)

  /// The id or the email.
  public var description: String {
    switch self {
    case .id(let id): return id
    case .email(let email): return email
    }
  }
}
