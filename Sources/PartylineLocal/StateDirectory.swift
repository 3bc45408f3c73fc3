import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// The rules a local state directory keeps (DESIGN §5, a state location that is not what it seems):
/// the journal decides which mutes get reverted, so nobody but its owner may bend it. The directory
/// (and its `locks`) must belong to this user and not be writable by group or others; the files in
/// it are opened without following a symbolic link, and a file of ours readable by others is made
/// 0600.
public enum StateDirectory {
  /// Why a state directory or file is refused.
  public struct Refused: Error, CustomStringConvertible {
    /// What is wrong and what to do.
    public var description: String
  }

  /// Creates `path` (0700, with its parents) when missing, then checks its owner and mode.
  public static func prepare(_ path: String) throws {
    try FileManager.default.createDirectory(
      atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    try check(path)
  }

  /// Refuses a directory that is not this user's or that group or others may write to.
  public static func check(_ path: String) throws {
    var st = stat()
    guard stat(path, &st) == 0 else {
      throw Refused(
        description: "cannot read the state directory '\(path)': \(String(cString: strerror(errno)))")
    }
    guard (st.st_mode & S_IFMT) == S_IFDIR else {
      throw Refused(description: "the state location '\(path)' is not a directory")
    }
    guard st.st_uid == geteuid() else {
      throw Refused(
        description:
          "the state directory '\(path)' belongs to uid \(st.st_uid), not to this user (uid \(geteuid())): another user could bend its journal; use a directory of your own"
      )
    }
    let mode = st.st_mode & 0o777
    guard mode & 0o022 == 0 else {
      throw Refused(
        description:
          "the state directory '\(path)' is writable by others (mode \(String(mode, radix: 8))): run `chmod go-w '\(path)'` (0700 is best)"
      )
    }
  }

  /// Opens a file of the state directory without following a symbolic link; a file this user owns
  /// that others may read or write is made 0600. Returns the descriptor, or throws.
  public static func open(_ path: String, _ flags: Int32) throws -> Int32 {
    let fd = Glibc.open(path, flags | O_CLOEXEC | O_NOFOLLOW, 0o600)
    guard fd >= 0 else {
      let why = errno == ELOOP ? "it is a symbolic link (refused)" : String(cString: strerror(errno))
      throw Refused(description: "cannot open \(path): \(why)")
    }
    var st = stat()
    guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
      close(fd)
      throw Refused(description: "cannot open \(path): not a regular file (refused)")
    }
    if st.st_mode & 0o077 != 0 {
      guard st.st_uid == geteuid(), fchmod(fd, 0o600) == 0 else {
        close(fd)
        throw Refused(
          description:
            "\(path) is open to others (mode \(String(st.st_mode & 0o777, radix: 8))) and not this user's to fix"
        )
      }
    }
    return fd
  }
}
