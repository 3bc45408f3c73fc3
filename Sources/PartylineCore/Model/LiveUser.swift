/// A user as the directory answered.
public struct LiveUser: Sendable, Hashable {
  /// The user's id.
  public var id: String
  /// The user's display name.
  public var name: String?
  /// The user's email.
  public var email: String?
  /// The user's presence (Available, Away, Busy …), when it was read.
  public var presence: String?

  /// A user.
  public init(id: String, name: String? = nil, email: String? = nil, presence: String? = nil) {
    // What the API says is shown to people: made safe here, once (see `UntrustedText`).
    self.id = UntrustedText.clean(id)
    self.name = UntrustedText.clean(name)
    self.email = UntrustedText.clean(email)
    self.presence = UntrustedText.clean(presence)
  }
}
