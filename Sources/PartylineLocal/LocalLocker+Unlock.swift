import Foundation
import PartylineCore

#if canImport(Glibc)
  import Glibc
#endif

extension LocalLocker {
  /// What `state unlock` found for a conversation's lock file.
  public enum UnlockResult: Sendable, Equatable {
    /// No process holds the lock and no holder note was left.
    case notLocked
    /// No process holds the lock; the note a dead holder left (this text) was removed.
    case clearedStaleNote(String)
    /// A live process holds the `flock`: it cannot be broken from outside; stop that process.
    case heldByLiveProcess(String)
  }

  /// Clears a stale holder note. A `flock` is released by the kernel when its process dies, so a lock
  /// that is still held belongs to a live process, and only ending that process releases it.
  public func unlock(_ conversation: String) throws -> UnlockResult {
    guard Grammar.uuid(conversation) != nil else {
      throw LocalJournal.JournalError.io("'\(conversation)' is not a conversation id")
    }
    let path = "\(directory)/\(conversation).lock"
    guard FileManager.default.fileExists(atPath: path) else { return .notLocked }
    let fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW)
    guard fd >= 0 else { throw LocalJournal.JournalError.io("cannot open \(path)") }
    defer { close(fd) }
    var buf = [UInt8](repeating: 0, count: 512)
    let n = pread(fd, &buf, 512, 0)
    let note =
      n > 0
      ? String(decoding: buf[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : ""
    guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
      return .heldByLiveProcess(note.isEmpty ? "another run" : note)
    }
    defer { flock(fd, LOCK_UN) }
    guard !note.isEmpty else { return .notLocked }
    guard ftruncate(fd, 0) == 0 else { throw LocalJournal.JournalError.io("cannot clear \(path)") }
    return .clearedStaleNote(note)
  }
}
