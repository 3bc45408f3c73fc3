public import YAMLReader

/// One `unmute` entry: who to unmute.
public struct UnmuteDirective: Hashable, Sendable {
  /// Who is unmuted.
  public var selector: ParticipantSelector
  /// The entry in the source.
  public var location: SourceRange
}
