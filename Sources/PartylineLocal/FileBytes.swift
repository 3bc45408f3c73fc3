import Foundation
import SystemPackage

/// Reads a whole file with POSIX calls. (FoundationEssentials' `FileManager.contents(atPath:)` leaks
/// its buffer on this toolchain — LeakSanitizer shows it on every read — and `watch` reads the journal
/// every two seconds.)
public enum FileBytes {
  /// The file's bytes; nil when it cannot be opened, is not a regular file (a FIFO is never waited
  /// on) or is larger than `limit`.
  public static func read(_ path: String, limit: Int = .max) -> [UInt8]? {
    let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var st = stat()
    guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, Int(st.st_size) <= limit else { return nil }
    var out: [UInt8] = []
    out.reserveCapacity(Int(st.st_size))
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    let file = FileDescriptor(rawValue: fd)
    while true {
      // swift-system retries a read that a signal interrupted.
      guard let n = try? chunk.withUnsafeMutableBytes({ try file.read(into: $0) }) else { return nil }
      if n == 0 { break }
      out.append(contentsOf: chunk[0..<n])
      if out.count > limit { return nil }
    }
    return out
  }
}
