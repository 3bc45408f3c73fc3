/// The shared record of every run's intents, outcomes and closes (a local file or PostgreSQL), from
/// which leases and added roles are read.
public protocol Journal: Sendable {
  /// Appends `records`, in order.
  func append(_ records: [JournalRecord]) async throws
  /// Every record of `workspace`, in the order written (a listing or a compaction: a run reads a
  /// slice).
  func records(workspace: String) async throws -> [JournalRecord]
  /// The records in `workspace` of `conversations` and, when `open`, of every conversation with an
  /// open lease there, with their counts in every workspace (see ``JournalSlice``).
  func slice(workspace: String, conversations: Set<String>, open: Bool) async throws -> JournalSlice
  /// How many records each conversation has, in every workspace: a run compares a conversation's
  /// count under its lock with the count before it planned, to learn whether any run acted since.
  func recordCounts() async throws -> [String: Int]
  /// How many records the conversation has, in every workspace (see `recordCounts()`).
  func recordCount(conversation: String) async throws -> Int
  /// The lines (or rows) the last read skipped because they could not be read: a damaged line, a
  /// later format version, a stray writer. Reported on every run; never a reason to stop reverting.
  func unreadable() async -> [UnreadableRecord]
  /// Drops, atomically, the history of the conversations ``JournalCompaction/droppable(_:cutoff:)``
  /// names (every record older than `cutoff`, no open lease); appends may go on meanwhile and are
  /// never lost.
  func compact(cutoff: Double) async throws -> CompactionReport
}

extension Journal {
  /// A journal that cannot hold an unreadable record (it keeps values, not lines).
  public func unreadable() async -> [UnreadableRecord] { [] }

  /// The slice cut from every record (a journal without an index of its own).
  public func slice(workspace: String, conversations: Set<String>, open: Bool) async throws -> JournalSlice {
    let counts = try await recordCounts()
    return JournalSlice(
      cutting: try await records(workspace: workspace), workspace: workspace, conversations: conversations,
      open: open, counts: counts)
  }
}

extension Journal {
  /// The open leases of `workspace` (read from the slice of the conversations that hold one).
  public func openLeases(workspace: String) async throws -> [Lease] {
    let slice = try await slice(workspace: workspace, conversations: [], open: true)
    return JournalState(slice.records, workspace: workspace).leases.filter { $0.status == .open }
  }
}
