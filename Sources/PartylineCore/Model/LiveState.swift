/// What the API says about the conversations and users a policy set concerns, read once per plan.
public struct LiveState: Sendable, Hashable {
  /// Conversations by id.
  public var conversations: [String: LiveConversation]
  /// Users by id.
  public var users: [String: LiveUser]
  /// User ids by lowercased email, for the emails the policy set names.
  public var emails: [String: String]

  /// A live state; empty by default.
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
