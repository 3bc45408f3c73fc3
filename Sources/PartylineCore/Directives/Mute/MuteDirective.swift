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
