/// A finding about a source file. Messages are lowercase, have no trailing period and quote user
/// values in single quotes; `id` is a stable snake_case identifier catalogued in the README.
public struct Diagnostic: Hashable, Sendable {
  /// How serious a finding is.
  public enum Severity: String, Sendable, Hashable, Codable {
    /// A problem that keeps the file from being acted on.
    case error
    /// A probable mistake that does not stop the file being used.
    case warning
    /// Information only.
    case note
  }

  /// How serious the finding is.
  public var severity: Severity
  /// The kind of finding (see `DiagnosticID`, the one list of them).
  public var kind: DiagnosticID
  /// The stable snake_case identifier of the kind of finding.
  public var id: String { kind.rawValue }
  /// The finding in words.
  public var message: String
  /// Where in the file the finding is.
  public var range: SourceRange
  /// Other places the finding concerns (the first definition of a duplicate, say).
  public var related: [Related]
  /// Whether a view may quote the line at `range` (false where the place is data that is not
  /// for showing, such as a damaged journal line).
  public var quotesSource = true

  /// Another place a finding concerns, with a few words on what it is there.
  public struct Related: Hashable, Sendable {
    /// What is at this place (`muted here`, say).
    public var message: String
    /// The place.
    public var range: SourceRange
    /// A related place at `range`, described by `message`.
    public init(message: String, range: SourceRange) {
      self.message = message
      self.range = range
    }
  }

  /// A finding (an error unless `severity` says otherwise).
  public init(
    _ severity: Severity = .error, id: DiagnosticID, message: String, range: SourceRange,
    related: [Related] = []
  ) {
    self.severity = severity
    self.kind = id
    self.message = message
    self.range = range
    self.related = related
  }
}
