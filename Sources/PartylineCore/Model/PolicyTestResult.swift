public import YAMLReader

/// What one policy test (`kind: PolicyTest`, `partyline test`) came to.
public struct PolicyTestResult: Sendable {
  /// Passed, failed (the plan is not the one expected), or could not run (an error in the test, its
  /// policies or its world).
  public enum Status: String, Sendable {
    case pass, fail, error
  }

  /// `metadata.name`.
  public var name: String
  /// Where the test is (its `metadata.name`).
  public var location: SourceRange
  /// What it came to.
  public var status: Status
  /// The expected changes, one line each (only the fields the test gives).
  public var expected: [String] = []
  /// The plan's changes, one line each.
  public var actual: [String] = []
  /// The expected findings (`id` and `policy`), when the test gives them.
  public var expectedFindings: [String]? = nil
  /// The plan's findings, in the same form.
  public var actualFindings: [String] = []
  /// Why it could not run, located.
  public var errors: [Diagnostic] = []
  /// How long it took, in seconds.
  public var seconds: Double = 0

  /// A result.
  public init(name: String, location: SourceRange, status: Status) {
    self.name = name
    self.location = location
    self.status = status
  }
}
