public import YAMLReader

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
