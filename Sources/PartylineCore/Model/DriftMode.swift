import YAMLReader

/// What to do when someone else unmutes a participant whose lease is open (`spec.onDrift`).
public enum DriftMode: String, Hashable, Sendable, CaseIterable {
  /// `respect` (the default) leaves the participant unmuted, with a warning; `reconcile` mutes it
  /// again until the lease ends.
  case respect, reconcile
}
