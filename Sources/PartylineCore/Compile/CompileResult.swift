public import YAMLReader

/// The outcome of compiling a policy set: the set when there is no error, and every diagnostic.
public struct CompileResult: Sendable {
  /// The compiled set; nil when any diagnostic is an error.
  public var policySet: PolicySet?
  /// Every error and warning, in reading order (by file as given, then by position).
  public var diagnostics: [Diagnostic]
  /// Number of documents compiled.
  public var documentCount: Int

  /// Whether any diagnostic is an error.
  public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }
}
