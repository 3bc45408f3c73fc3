import Foundation
import SystemPackage

/// Files written whole: saved plans, metrics, the sandbox's organisation. Written atomically
/// (a temporary file beside it with an unpredictable name, created exclusively, fsync, rename) with
/// mode 0600.
public enum AtomicFile {
  /// Why a file could not be written, in words rather than `NSPOSIXErrorDomain` codes.
  public struct WriteError: Error, CustomStringConvertible {
    var path: String
    var reason: String
    public var description: String { "cannot write '\(path)': \(reason)" }
  }

  public static func write(_ text: String, to path: String) throws {
    var isDir: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
      throw WriteError(path: path, reason: "it is a directory; give a file name such as '\(path)/plan.json'")
    }
    let parent = (path as NSString).deletingLastPathComponent
    if !parent.isEmpty, !FileManager.default.fileExists(atPath: parent, isDirectory: &isDir) {
      throw WriteError(path: path, reason: "the directory '\(parent)' does not exist")
    }
    // An unpredictable name, created exclusively and never through a symbolic link: another user of
    // the directory cannot plant a file or a link there for us to write through.
    let tmp = path + ".tmp-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
    let fd = open(tmp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0o600)
    guard fd >= 0 else { throw WriteError(path: path, reason: String(cString: strerror(errno))) }
    do { _ = try FileDescriptor(rawValue: fd).writeAll(Array(text.utf8)) } catch {
      close(fd)
      unlink(tmp)
      throw WriteError(path: path, reason: "\(error)")
    }
    fsync(fd)
    close(fd)
    guard rename(tmp, path) == 0 else {
      let reason = String(cString: strerror(errno))
      unlink(tmp)
      throw WriteError(path: path, reason: reason)
    }
  }
}
