import Foundation
import SystemPackage
public import PartylineCore

#if canImport(Glibc)
  import Glibc
#endif

/// The journal as an append-only JSON Lines file in a local directory (`.partyline/journal.jsonl`),
/// created 0600. Each append is one `write` of whole lines under an exclusive `flock`, then `fsync`. A
/// torn last line (a crash mid-write) is detected and cut off before the next append.
public final class LocalJournal: Journal, @unchecked Sendable {
  /// The journal file, `journal.jsonl` in the directory given.
  public let path: String
  /// Set when a torn last line was found and removed, for a warning.
  public private(set) var repairedTornLine = false
  private let mutex = NSLock()

  /// The journal in `directory`, creating the directory (0700) and the file (0600) when they are
  /// missing; throws ``JournalError/io(_:)`` when the file cannot be opened.
  public init(directory: String) throws {
    try StateDirectory.prepare(directory)
    path = directory + "/journal.jsonl"
    close(try StateDirectory.open(path, O_CREAT | O_WRONLY | O_APPEND))
  }

  /// Why the journal (or a lock file) could not be read or written.
  public enum JournalError: Error, CustomStringConvertible {
    /// A file could not be opened, read, written, locked or synced; the text says which and why.
    case io(String)
    /// The error's text.
    public var description: String {
      switch self {
      case .io(let m): return m
      }
    }
  }

  /// Appends the records in one write under the file's lock, then syncs (see ``Journal``).
  public func append(_ records: [JournalRecord]) async throws {
    guard !records.isEmpty else { return }
    try withLockedFile(O_RDWR | O_APPEND) { fd in
      try self.cutTornTail(fd)
      let bytes = Array(records.map { $0.line + "\n" }.joined().utf8)
      // One write of whole lines; swift-system retries what a signal interrupted.
      do { _ = try FileDescriptor(rawValue: fd).writeAll(bytes) } catch {
        throw JournalError.io("cannot write \(self.path): \(error)")
      }
      guard fsync(fd) == 0 else { throw JournalError.io("cannot sync \(self.path)") }
    }
  }

  /// The records of `workspace`, in file order (see ``Journal``): kept by workspace as they are read,
  /// so an idle `watch` reading every two seconds does no work proportional to the journal.
  public func records(workspace: String) async throws -> [JournalRecord] {
    let all = try allRecords()
    return mutex.withLock {
      // `all` is the cache's records, and maybe a last line still without its newline.
      guard let c = cache, all.count >= c.records.count, all.count - c.records.count <= 1 else {
        return all.filter { $0.workspace == workspace }
      }
      var out = c.byWorkspace[workspace] ?? []
      if all.count > c.records.count, let last = all.last, last.workspace == workspace { out.append(last) }
      return out
    }
  }

  /// How many records each conversation has, in every workspace (see ``Journal``).
  public func recordCounts() async throws -> [String: Int] {
    let all = try allRecords()
    return mutex.withLock {
      guard let c = cache, c.records.count == all.count else {
        var counts: [String: Int] = [:]
        for r in all { counts[r.conversation, default: 0] += 1 }
        return counts
      }
      return c.counts
    }
  }

  /// How many records `conversation` has, in every workspace (see ``Journal``).
  public func recordCount(conversation: String) async throws -> Int {
    try await recordCounts()[conversation] ?? 0
  }

  /// What has been read of the file: `watch` reads the journal every two seconds, so only the bytes
  /// appended since are read and parsed (memory and time stay proportional to what is new).
  private struct Cache {
    var device: UInt64
    var inode: UInt64
    var offset: Int
    var lines: Int
    var records: [JournalRecord]
    var unreadable: [UnreadableRecord] = []
    /// `records` by workspace, and counted by conversation, as they are read.
    var byWorkspace: [String: [JournalRecord]] = [:]
    var counts: [String: Int] = [:]

    mutating func add(_ r: JournalRecord) {
      records.append(r)
      byWorkspace[r.workspace, default: []].append(r)
      counts[r.conversation, default: 0] += 1
    }
  }
  private var cache: Cache?

  /// The lines the reads skipped (see ``Journal/unreadable()``).
  public func unreadable() async -> [UnreadableRecord] { mutex.withLock { cache?.unreadable ?? [] } }

  /// Every record; a line other than the last that cannot be read (damaged, of a later format
  /// version, a stray writer's) is skipped and kept in `unreadable()`, so one bad line never hides the
  /// leases of the others.
  public func allRecords() throws -> [JournalRecord] {
    let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
    guard fd >= 0 else { return [] }
    defer { close(fd) }
    var st = stat()
    guard fstat(fd, &st) == 0 else { throw JournalError.io("cannot read \(path)") }
    let size = Int(st.st_size)
    var c = mutex.withLock { cache }
    if c == nil || c!.device != UInt64(st.st_dev) || c!.inode != UInt64(st.st_ino) || size < c!.offset {
      c = Cache(device: UInt64(st.st_dev), inode: UInt64(st.st_ino), offset: 0, lines: 0, records: [])
    }
    var cached = c!
    let bytes = try readBytes(fd, from: cached.offset, expected: size - cached.offset)
    // Whole lines are parsed and kept; a last line without its newline (torn by a crash) is not.
    let complete = bytes.lastIndex(of: 10).map { $0 + 1 } ?? 0
    var lineStart = 0
    for i in 0..<complete where bytes[i] == 10 {
      cached.lines += 1
      let line = String(decoding: bytes[lineStart..<i], as: UTF8.self)
      switch JournalRecord.read(Substring(line)) {
      case .success(let r): cached.add(r)
      case .failure(let reason):
        // Kept to a bounded number of reports: a journal of nothing but damage stays small in memory.
        if cached.unreadable.count < Self.maxUnreadableKept {
          cached.unreadable.append(UnreadableRecord(file: path, line: cached.lines, reason: reason))
        }
      }
      lineStart = i + 1
    }
    cached.offset += complete
    mutex.withLock { cache = cached }
    guard complete < bytes.count else { return cached.records }
    if let r = JournalRecord.parse(Substring(String(decoding: bytes[complete...], as: UTF8.self))) {
      return cached.records + [r]
    }
    mutex.withLock { repairedTornLine = true }  // cut off at the next append
    return cached.records
  }

  /// How many unreadable lines are kept for reports (the count of lines read goes on).
  static let maxUnreadableKept = 1000

  /// Runs `body` on the journal file under its exclusive lock. A compaction replaces the file (a new
  /// inode) while holding the old one's lock, so after the lock is granted the file is checked to
  /// still be the one at `path`; if not, it is opened again (no append goes to a replaced file).
  private func withLockedFile<T>(_ flags: Int32, _ body: (Int32) throws -> T) throws -> T {
    while true {
      let fd = open(path, flags | O_CLOEXEC | O_NOFOLLOW)
      guard fd >= 0 else { throw JournalError.io("cannot open \(path): \(String(cString: strerror(errno)))") }
      defer { close(fd) }
      while flock(fd, LOCK_EX) != 0 {
        if errno != EINTR { throw JournalError.io("cannot lock \(path)") }
      }
      defer { flock(fd, LOCK_UN) }
      var held = stat()
      var current = stat()
      guard fstat(fd, &held) == 0 else { throw JournalError.io("cannot read \(path)") }
      if stat(path, &current) != 0 || current.st_ino != held.st_ino || current.st_dev != held.st_dev {
        continue  // replaced while we waited: lock the file that is there now
      }
      return try body(fd)
    }
  }

  /// Drops the history of the conversations `JournalCompaction` names, atomically. The file is read
  /// and decided on without the lock (appends, reverts' among them, never wait for that); then, under
  /// the lock, what was appended since is read too, the kept lines (unreadable ones included: they are
  /// never dropped) and the new ones are written to a new file (0600, created exclusively), synced, and
  /// renamed over the journal.
  public func compact(cutoff: Double) async throws -> CompactionReport {
    let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
    guard fd >= 0 else { return CompactionReport(dropped: 0, conversations: 0, kept: 0) }
    defer { close(fd) }
    var st = stat()
    guard fstat(fd, &st) == 0 else { throw JournalError.io("cannot read \(path)") }
    let head = try readLines(fd, from: 0)
    var drop = JournalCompaction.droppable(head.lines.compactMap(\.record), cutoff: cutoff)
    guard !drop.isEmpty else { return CompactionReport(dropped: 0, conversations: 0, kept: head.lines.count) }
    return try withLockedFile(O_RDWR) { locked in
      var now = stat()
      guard fstat(locked, &now) == 0, now.st_ino == st.st_ino, now.st_dev == st.st_dev else {
        return CompactionReport(dropped: 0, conversations: 0, kept: head.lines.count)  // replaced meanwhile
      }
      try self.cutTornTail(locked)
      let tail = try self.readLines(locked, from: head.end)
      // A conversation written to since is kept whole.
      for line in tail.lines { if let r = line.record { drop.remove(r.conversation) } }
      var out: [UInt8] = []
      var dropped = 0
      var kept = 0
      for line in head.lines + tail.lines {
        if let r = line.record, drop.contains(r.conversation) {
          dropped += 1
          continue
        }
        kept += 1
        out += line.text
        out.append(10)
      }
      guard dropped > 0 else { return CompactionReport(dropped: 0, conversations: 0, kept: kept) }
      try self.replace(with: out)
      self.mutex.withLock { self.cache = nil }
      return CompactionReport(dropped: dropped, conversations: drop.count, kept: kept)
    }
  }

  /// The file's bytes from `offset` to its end (`expected`: how many there should be, to reserve).
  private func readBytes(_ fd: Int32, from offset: Int, expected: Int = 0) throws -> [UInt8] {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(max(0, expected))
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    var at = offset
    let file = FileDescriptor(rawValue: fd)
    while true {
      let n: Int
      do {
        n = try chunk.withUnsafeMutableBytes { try file.read(fromAbsoluteOffset: Int64(at), into: $0) }
      } catch { throw JournalError.io("cannot read \(path): \(error)") }
      if n == 0 { break }
      bytes.append(contentsOf: chunk[0..<n])
      at += n
    }
    return bytes
  }

  /// The whole lines of the file from byte `offset`, each with its record when it reads as one, and
  /// the offset after the last whole line.
  private func readLines(_ fd: Int32, from offset: Int) throws -> (
    lines: [(text: [UInt8], record: JournalRecord?)], end: Int
  ) {
    let bytes = try readBytes(fd, from: offset)
    var lines: [(text: [UInt8], record: JournalRecord?)] = []
    var start = 0
    for i in bytes.indices where bytes[i] == 10 {
      let text = Array(bytes[start..<i])
      lines.append((text, try? JournalRecord.read(Substring(String(decoding: text, as: UTF8.self))).get()))
      start = i + 1
    }
    return (lines, offset + start)
  }

  /// Replaces the journal with `bytes`: a new file beside it (0600, created exclusively, never through a
  /// symlink), synced, renamed over the journal, and the directory synced.
  private func replace(with bytes: [UInt8]) throws {
    let temp = path + ".compact-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    let tfd = open(temp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0o600)
    guard tfd >= 0 else {
      throw JournalError.io("cannot create \(temp): \(String(cString: strerror(errno)))")
    }
    do {
      defer { close(tfd) }
      do { _ = try FileDescriptor(rawValue: tfd).writeAll(bytes) } catch {
        throw JournalError.io("cannot write \(temp): \(error)")
      }
      guard fsync(tfd) == 0 else { throw JournalError.io("cannot sync \(temp)") }
    } catch {
      unlink(temp)
      throw error
    }
    guard rename(temp, path) == 0 else {
      unlink(temp)
      throw JournalError.io("cannot replace \(path): \(String(cString: strerror(errno)))")
    }
    let dir = open((path as NSString).deletingLastPathComponent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if dir >= 0 {
      _ = fsync(dir)
      close(dir)
    }
  }

  /// If the file does not end with a newline, the last line was torn by a crash: cut it off.
  private func cutTornTail(_ fd: Int32) throws {
    var st = stat()
    guard fstat(fd, &st) == 0, st.st_size > 0 else { return }
    var last: UInt8 = 0
    guard pread(fd, &last, 1, st.st_size - 1) == 1, last != 10 else { return }
    var pos = st.st_size - 1
    var byte: UInt8 = 0
    while pos > 0 {
      guard pread(fd, &byte, 1, pos - 1) == 1 else { break }
      if byte == 10 { break }
      pos -= 1
    }
    guard ftruncate(fd, pos) == 0 else { throw JournalError.io("cannot repair \(path)") }
    mutex.withLock { repairedTornLine = true }
  }
}
