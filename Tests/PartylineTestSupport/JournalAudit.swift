import Foundation
public import PartylineCore

/// The journal a run of the binary left, read back typed, through the codec the engine reads it with
/// (`JournalRecord`'s `Decodable`). Every line must decode: a line the engine would skip is a failure
/// of the audit, except a torn last line (no newline after it), which a killed run may leave.
public struct JournalAudit: Sendable {
  /// A line that is not a journal record of this format.
  public struct Unreadable: Error, CustomStringConvertible {
    /// 1-based line number.
    public var line: Int
    /// Why it did not decode.
    public var reason: String
    public var description: String { "journal line \(line) does not decode: \(reason)" }
  }

  /// Every record, in the order written.
  public var records: [JournalRecord]
  /// Whether the text ended in a torn line (left out of `records`).
  public var tornTail: Bool

  /// The records of journal text (the local backend's `journal.jsonl`).
  public init(text: String) throws {
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    let last = lines.popLast() ?? ""
    tornTail = !last.isEmpty
    records = try Self.decode(lines)
  }

  /// The records of complete lines (one per row, as the PostgreSQL backend stores them).
  public init(lines: [String]) throws {
    tornTail = false
    records = try Self.decode(lines)
  }

  private static func decode(_ lines: [String]) throws -> [JournalRecord] {
    try lines.enumerated().map { index, line in
      switch JournalRecord.read(Substring(line)) {
      case .success(let r): return r
      case .failure(let reason): throw Unreadable(line: index + 1, reason: reason.description)
      }
    }
  }

  /// The journal of a local state directory; empty when none was written yet.
  public static func local(_ directory: String) throws -> JournalAudit {
    let path = directory + "/journal.jsonl"
    guard FileManager.default.fileExists(atPath: path) else { return try JournalAudit(text: "") }
    return try JournalAudit(text: String(contentsOfFile: path, encoding: .utf8))
  }

  /// The journal of a PostgreSQL state, in write order; empty before a run made its table.
  public static func postgres(_ url: String) async throws -> JournalAudit {
    let table = try await TestPostgres.strings(
      url, "SELECT coalesce(to_regclass('partyline_journal')::text, '')")
    guard table.first?.isEmpty == false else { return try JournalAudit(lines: []) }
    return try JournalAudit(
      lines: try await TestPostgres.strings(url, "SELECT record::text FROM partyline_journal ORDER BY seq"))
  }

  /// The records of this kind, and of this action when one is given.
  public func of(_ kind: JournalRecord.Kind, _ action: PlannedChange.Action? = nil) -> [JournalRecord] {
    records.filter { $0.kind == kind && (action == nil || $0.action == action) }
  }

  /// Whether some record is of this kind and action.
  public func contains(_ kind: JournalRecord.Kind, _ action: PlannedChange.Action) -> Bool {
    records.contains { $0.kind == kind && $0.action == action }
  }

  /// The first record of this kind and action.
  public func first(_ kind: JournalRecord.Kind, _ action: PlannedChange.Action) -> JournalRecord? {
    records.first { $0.kind == kind && $0.action == action }
  }

  /// The ids of the intents that have no outcome: calls that may or may not have taken effect.
  public var unanswered: Set<String> {
    Set(of(.intent).map(\.id)).subtracting(of(.outcome).map(\.id))
  }

  /// How long after the first mute's lease ended the first revert was sent (its intent is journalled
  /// just before its request goes out); nil without both.
  public var revertLateness: Double? {
    guard let ends = first(.intent, .mute)?.leaseEnds, let sent = first(.intent, .revert)?.at else {
      return nil
    }
    return sent - ends
  }
}
