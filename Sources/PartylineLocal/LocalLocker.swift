import Foundation
public import PartylineCore

#if canImport(Glibc)
  import Glibc
#endif

/// Per-conversation lock files (`locks/<conversation>.lock`) held with `flock`: released by the kernel
/// when the process dies. The holder writes who it is into the file, so a waiting run can name it.
public struct LocalLocker: ConversationLocker {
  /// The wait for a lock ended before it was free (see `PartylineCore.LockTimeout`).
  public typealias LockTimeout = PartylineCore.LockTimeout

  /// The directory holding the lock files: `locks` under the directory given.
  public let directory: String
  /// Who this run is, written into each lock file it holds so that a waiting run can name it.
  public let holder: String

  /// Lock files under `directory/locks`, created (0700) when missing.
  public init(directory: String, holder: String) throws {
    self.directory = directory + "/locks"
    self.holder = holder
    try StateDirectory.prepare(directory)
    try StateDirectory.prepare(self.directory)
  }

  final class Held: ConversationLock, @unchecked Sendable {
    let fd: Int32
    init(fd: Int32) { self.fd = fd }
    func release() async {
      _ = ftruncate(fd, 0)
      flock(fd, LOCK_UN)
      close(fd)
    }
  }

  /// Takes the conversation's lock file, waiting up to `wait` of the monotonic clock (see
  /// ``ConversationLocker``); throws ``LockTimeout`` naming the holder when the wait runs out, or at
  /// once for an invalid id.
  public func lock(_ conversation: String, within wait: Duration) async throws -> any ConversationLock {
    guard Grammar.uuid(conversation) != nil else {
      throw LockTimeout(conversation: conversation, holder: "nobody (invalid id)", waited: .zero)
    }
    let path = "\(directory)/\(conversation).lock"
    // Never through a symbolic link: a lock file is truncated on release.
    let fd = try StateDirectory.open(path, O_CREAT | O_RDWR)
    let start = ContinuousClock.now
    while flock(fd, LOCK_EX | LOCK_NB) != 0 {
      let waited = start.duration(to: .now)
      if waited >= wait {
        var buf = [UInt8](repeating: 0, count: 512)
        let n = pread(fd, &buf, 512, 0)
        close(fd)
        let who =
          n > 0
          ? String(decoding: buf[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
          : "another run"
        throw LockTimeout(
          conversation: conversation, holder: who.isEmpty ? "another run" : who, waited: waited)
      }
      try await Task.sleep(nanoseconds: 50_000_000)
    }
    _ = ftruncate(fd, 0)
    let info = Array("\(holder)\n".utf8)
    _ = info.withUnsafeBytes { pwrite(fd, $0.baseAddress!, $0.count, 0) }
    return Held(fd: fd)
  }
}
