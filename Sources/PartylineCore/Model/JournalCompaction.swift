/// What `state compact` drops: the whole history of a conversation whose every record is older than
/// the cutoff and that holds no open lease in any workspace. Whole conversations only, so what a live
/// call's plan depends on (its served leases, the roles added to it) is never half dropped, and an
/// open lease is never dropped at all.
public enum JournalCompaction {
  /// The default `--keep`: 30 days.
  public static let defaultKeep: Duration = .seconds(30 * 86_400)

  /// The conversations of `records` that may be dropped at `cutoff` (seconds since 1970).
  public static func droppable(_ records: [JournalRecord], cutoff: Double) -> Set<String> {
    var newest: [String: Double] = [:]
    for r in records { note(r, in: &newest) }
    return droppable(newest: newest, open: JournalState.openConversations(records), cutoff: cutoff)
  }

  /// Notes `record` in the newest record time of each conversation (for a journal read as a stream).
  public static func note(_ record: JournalRecord, in newest: inout [String: Double]) {
    newest[record.conversation] = max(newest[record.conversation] ?? -.infinity, record.at)
  }

  /// The conversations that may be dropped at `cutoff`, from the newest record time of each and the
  /// conversations that hold an open lease in some workspace.
  public static func droppable(newest: [String: Double], open: Set<String>, cutoff: Double) -> Set<String> {
    Set(newest.filter { $0.value < cutoff && !open.contains($0.key) }.keys)
  }
}

/// What a compaction did.
public struct CompactionReport: Sendable, Hashable {
  /// Records dropped.
  public var dropped: Int
  /// Conversations whose history was dropped.
  public var conversations: Int
  /// Records kept (unreadable lines included: they are never dropped).
  public var kept: Int

  /// A report.
  public init(dropped: Int, conversations: Int, kept: Int) {
    self.dropped = dropped
    self.conversations = conversations
    self.kept = kept
  }
}
