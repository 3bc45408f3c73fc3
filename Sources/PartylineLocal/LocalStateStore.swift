import Foundation
public import PartylineCore

/// A local state directory (default `.partyline`) as a `StateStore`: the JSON Lines journal, lock
/// files, this machine's clock, no leadership (one watcher per directory: `LocalWatchLock`).
public struct LocalStateStore: StateStore {
  public let label: String
  public var clockOffset: Double { 0 }
  public let journal: (any Journal)?
  public let locker: (any ConversationLocker)?
  public var leader: (any LeaderLease)? { nil }
  public let exists: Bool
  /// The directory.
  public let directory: String

  /// Opens `directory`: to write (created if need be), or to read (nothing created; `journal` is nil
  /// when nothing was journalled there yet).
  public init(directory: String, access: StateAccess, holder: String) throws {
    self.directory = directory
    label = directory
    switch access {
    case .write:
      let journal = try LocalJournal(directory: directory)
      self.journal = journal
      locker = try LocalLocker(directory: directory, holder: holder)
      exists = true
    case .read:
      exists = FileManager.default.fileExists(atPath: directory)
      journal =
        FileManager.default.fileExists(atPath: directory + "/journal.jsonl")
        ? try LocalJournal(directory: directory) : nil
      locker = nil
    }
  }

  public func listing() async throws -> StateListing {
    StateListing(records: try (journal as? LocalJournal)?.allRecords() ?? [])
  }

  /// Clears a stale holder note; a lock a live process holds (its `flock`) cannot be broken from
  /// outside.
  public func unlock(_ conversation: String) async throws -> UnlockOutcome {
    switch try LocalLocker(directory: directory, holder: "").unlock(conversation) {
    case .notLocked: return UnlockOutcome()
    case .clearedStaleNote(let note): return UnlockOutcome(clearedNotes: [note])
    case .heldByLiveProcess(let holder): return UnlockOutcome(heldBy: holder)
    }
  }

  public func close() async {}
}
