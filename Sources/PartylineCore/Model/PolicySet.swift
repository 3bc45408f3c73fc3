import YAMLReader

/// The compiled policies of a run: every file given, as one set.
public struct PolicySet: Hashable, Sendable {
  /// Sorted by name.
  public var policies: [ConversationPolicy]
  /// The set's Limits (the defaults when no file holds a Limits document).
  public var limits: Limits
  /// The files the set was read from, sorted.
  public var files: [String]
  /// For a set bound to live calls: the digest of the set as written.
  public var sourceDigest: String? = nil

  /// A set of `policies`, sorted here by name.
  public init(policies: [ConversationPolicy], limits: Limits, files: [String]) {
    self.policies = policies.sorted { $0.name < $1.name }
    self.limits = limits
    self.files = files
  }
}
