public import PartylineCore
import Synchronization

/// The journal as a list in memory: the `Journal` contract without a backend, for tests of the
/// runtime. (The backends' own tests run against the file and a real PostgreSQL.)
public final class MemoryJournal: Journal, Sendable {
  private let all = Mutex<[JournalRecord]>([])

  /// An empty journal, or one holding `records`.
  public init(_ records: [JournalRecord] = []) { all.withLock { $0 = records } }

  /// Every record, in order.
  public var records: [JournalRecord] { all.withLock { $0 } }

  public func append(_ records: [JournalRecord]) async throws { all.withLock { $0 += records } }

  public func records(workspace: String) async throws -> [JournalRecord] {
    all.withLock { $0.filter { $0.workspace == workspace } }
  }

  public func recordCounts() async throws -> [String: Int] {
    all.withLock { Dictionary($0.map { ($0.conversation, 1) }, uniquingKeysWith: +) }
  }

  public func recordCount(conversation: String) async throws -> Int {
    all.withLock { $0.filter { $0.conversation == conversation }.count }
  }

  public func compact(cutoff: Double) async throws -> CompactionReport {
    all.withLock { records in
      let drop = JournalCompaction.droppable(records, cutoff: cutoff)
      let before = records.count
      records.removeAll { drop.contains($0.conversation) }
      return CompactionReport(dropped: before - records.count, conversations: drop.count, kept: records.count)
    }
  }
}
