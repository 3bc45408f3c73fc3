public import YAMLReader

/// One `mute` entry: who to mute, for how long, and why.
public struct MuteDirective: Hashable, Sendable {
  /// Who is muted.
  public var selector: ParticipantSelector
  /// How long each mute lasts (the entry's `for`).
  public var duration: PolicyDuration
  /// The entry's `reason`, when given.
  public var reason: String?
  /// What the lease is timed from (the entry's `from`).
  public var from: MuteAnchor = .now
  /// The entry in the source.
  public var location: SourceRange
  /// The `for` value in the source.
  public var durationLocation: SourceRange
}

/// What a mute's lease is timed from.
public enum MuteAnchor: String, Sendable, Hashable, CaseIterable {
  /// From when the mute is sent (the default).
  case now
  /// From the participant's `connectedTime`: "the first 20 s of the call". A mute sent late covers
  /// what is left of that window, none once it has passed.
  case connect
}
