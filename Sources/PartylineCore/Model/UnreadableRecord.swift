public import YAMLReader

/// A journal line (or row) that could not be read: it is skipped, reported with its place, and the
/// leases the rest of the journal holds are still kept and reverted.
public struct UnreadableRecord: Sendable, Hashable {
  /// Why a line could not be read, in words fit for a report (never the line's own text).
  public struct Reason: Error, Sendable, Hashable, CustomStringConvertible {
    /// The words.
    public var description: String
    /// A reason.
    public init(_ description: String) { self.description = description }
  }

  /// Where it is: the journal file, or `partyline_journal` for PostgreSQL.
  public var file: String
  /// Its line in the file, or its row's `seq`.
  public var line: Int
  /// Why it could not be read.
  public var reason: Reason

  /// An unreadable line at `file`:`line`.
  public init(file: String, line: Int, reason: Reason) {
    self.file = file
    self.line = line
    self.reason = reason
  }

  /// The finding a run reports for it (a warning: it must not stop the reverts the rest of the
  /// journal calls for; `apply` exits 1 after them).
  public var finding: Diagnostic {
    var d = Diagnostic(
      .warning, id: .journalUnreadable,
      message:
        "journal record cannot be read (\(reason)): skipped; the leases of the other records are kept and reverted",
      range: SourceRange(file: file, line: line, column: 1))
    d.quotesSource = false  // the line is data of unknown origin, never shown
    return d
  }
}
