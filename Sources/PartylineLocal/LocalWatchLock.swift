import Foundation
import PartylineCore

#if canImport(Glibc)
  import Glibc
#endif

/// With a local state directory one `watch` runs per workspace (DESIGN §4): it holds
/// `watch-<workspace>.lock` with `flock` for as long as it lives (the kernel releases it when the
/// process dies), and writes who it is into the file so that a second one can say why it cannot start.
/// A standby that takes over needs state others can reach: PostgreSQL.
public final class LocalWatchLock: Sendable {
  private let fd: Int32

  /// The lock taken, or an error naming its holder.
  public init(directory: String, workspace: String, holder: String) throws {
    try StateDirectory.prepare(directory)
    let path = "\(directory)/watch-\(workspace).lock"
    let fd = try StateDirectory.open(path, O_CREAT | O_RDWR)
    guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
      var buf = [UInt8](repeating: 0, count: 512)
      let n = pread(fd, &buf, 512, 0)
      close(fd)
      let who =
        n > 0
        ? String(decoding: buf[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : ""
      throw WatchHeld(
        "another watch keeps workspace '\(workspace)' in \(directory) (\(who.isEmpty ? "its holder did not say who it is" : who)): with a local state directory one watcher runs at a time; for a standby that takes over when the watcher's machine dies, keep the state in PostgreSQL (--state postgres://…)"
      )
    }
    _ = ftruncate(fd, 0)
    let info = Array("\(holder)\n".utf8)
    _ = info.withUnsafeBytes { pwrite(fd, $0.baseAddress!, $0.count, 0) }
    self.fd = fd
  }

  deinit {
    _ = ftruncate(fd, 0)
    flock(fd, LOCK_UN)
    close(fd)
  }

  /// Another watcher holds the workspace.
  public struct WatchHeld: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
  }
}
