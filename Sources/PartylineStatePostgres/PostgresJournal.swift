public import PartylineCore

/// The journal as rows of `partyline_journal`: one row per record, the record as JSONB plus indexed
/// columns. An append is one INSERT, committed (durable) before it returns; a row is whole or absent, so
/// there is no torn record to repair.
public struct PostgresJournal: Journal {
  /// The store whose journal connection holds the rows.
  public let store: PostgresStore

  /// The journal of `store`.
  public init(store: PostgresStore) { self.store = store }

  /// Inserts the records in one statement, committed before it returns (on the lock connection when this
  /// process holds the lock of a record's conversation).
  public func append(_ records: [JournalRecord]) async throws { try await store.append(records) }

  /// The records of `workspace`, in the order written.
  public func records(workspace: String) async throws -> [JournalRecord] {
    try await store.records(workspace: workspace)
  }

  /// The records of `conversations` and of those that may hold an open lease (see `Journal.slice`).
  public func slice(workspace: String, conversations: Set<String>, open: Bool) async throws -> JournalSlice {
    try await store.slice(workspace: workspace, conversations: conversations, open: open)
  }

  /// Every record of every workspace, in the order written.
  public func allRecords() async throws -> [JournalRecord] { try await store.records(workspace: nil) }

  /// How many records each conversation has, in every workspace.
  public func recordCounts() async throws -> [String: Int] { try await store.recordCounts(conversation: nil) }

  /// Drops the history of ended conversations older than `cutoff` (see `Journal.compact(cutoff:)`).
  public func compact(cutoff: Double) async throws -> CompactionReport {
    try await store.compact(cutoff: cutoff)
  }

  /// The rows the last read skipped because they could not be read.
  public func unreadable() async -> [UnreadableRecord] { await store.unreadable() }

  /// How many records `conversation` has, in every workspace (0 when it has none).
  public func recordCount(conversation: String) async throws -> Int {
    try await store.recordCounts(conversation: conversation)[conversation] ?? 0
  }
}
