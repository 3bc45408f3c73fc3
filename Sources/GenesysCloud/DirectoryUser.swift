/// A directory user (the fields we use).
public struct DirectoryUser: Sendable, Hashable, Decodable {
  /// The user id.
  public var id: String
  /// The user's name.
  public var name: String?
  /// The user's email address.
  public var email: String?
  /// The user's account state (`active`, `inactive`, `deleted`).
  public var state: String?
}

struct UserListing: Decodable {
  var entities: [DirectoryUser]?
}

struct UserSearchResponse: Decodable {
  var results: [DirectoryUser]?
}
