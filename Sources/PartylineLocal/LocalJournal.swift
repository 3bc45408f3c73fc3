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

  /// Every record of `workspace`, in file order (a listing: a run reads a slice).
  public func records(workspace: String) async throws -> [JournalRecord] {
    try allRecords().filter { $0.workspace == workspace }
  }

  /// How many records each conversation has, in every workspace (a listing: the whole file).
  public func recordCounts() async throws -> [String: Int] {
    var counts: [String: Int] = [:]
    for r in try allRecords() { counts[r.conversation, default: 0] += 1 }
    return counts
  }

  /// How many records `conversation` has, in every workspace (see ``Journal``): through the index.
  public func recordCount(conversation: String) async throws -> Int {
    guard let read = try refresh() else { return 0 }
    return records(of: conversation, in: read).count
  }

  /// The records of `conversations` (and of those with an open lease, when `open`), through the index
  /// and the lines appended since it (see ``Journal/slice(workspace:conversations:open:)``).
  public func slice(workspace: String, conversations: Set<String>, open: Bool) async throws -> JournalSlice {
    guard let read = try refresh() else {
      return JournalSlice(
        conversations: conversations, counts: Dictionary(uniqueKeysWithValues: conversations.map { ($0, 0) }))
    }
    var wanted = conversations
    if open {
      for c in openCandidates(read.view) where !wanted.contains(c) {
        let own = records(of: c, in: read).filter { $0.workspace == workspace }
        if !JournalState.openConversations(own, workspace: workspace).isEmpty {
          wanted.insert(c)
        }
      }
    }
    var slice = JournalSlice(conversations: wanted)
    // In file order: every conversation's records, then sorted by place (records of one conversation
    // are already in order; across conversations the order does not matter, but is kept for reading).
    var placed: [(offset: Int, record: JournalRecord)] = []
    for c in wanted {
      let all = placedRecords(of: c, in: read)
      slice.counts[c] = all.count
      placed += all.filter { $0.record.workspace == workspace }
    }
    slice.records = placed.sorted { $0.offset < $1.offset }.map(\.record)
    return slice
  }

  /// The conversations that may hold an open lease: those the index says held one, and those with a
  /// mute or pause written since (no other record opens a lease).
  private func openCandidates(_ view: View) -> [String] {
    var out = view.index.open
    var seen = Set(out)
    for line in view.tail {
      if let r = line.record, r.kind == .intent, r.action.opensLease, seen.insert(r.conversation).inserted {
        out.append(r.conversation)
      }
    }
    return out
  }

  /// The records of `conversation` in every workspace, in file order.
  private func records(of conversation: String, in read: Read) -> [JournalRecord] {
    placedRecords(of: conversation, in: read).map(\.record)
  }

  /// The records of `conversation` in every workspace with their places: the lines the index points
  /// at (read once per view, then kept), those appended since, and a last line still being written.
  private func placedRecords(of conversation: String, in read: Read) -> [(offset: Int, record: JournalRecord)]
  {
    var out = indexedRecords(of: conversation, in: read.view)
    for i in read.view.tailByConversation[conversation] ?? [] {
      if let r = read.view.tail[i].record { out.append((read.view.tail[i].offset, r)) }
    }
    if let last = read.partial, last.record.conversation == conversation { out.append(last) }
    return out
  }

  /// The records of `conversation` the index points at, read from the file (and kept while the index
  /// is the same; at most ``maxKeptConversations`` conversations are kept).
  private func indexedRecords(of conversation: String, in view: View) -> [(
    offset: Int, record: JournalRecord
  )] {
    if let kept = mutex.withLock({ indexed[conversation] }), kept.covered == view.index.covered,
      kept.inode == view.index.inode
    {
      return kept.records
    }
    let postings = view.index.postings(of: JournalIndex.key(conversation))
    var out: [(offset: Int, record: JournalRecord)] = []
    if !postings.isEmpty {
      let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
      if fd >= 0 {
        defer { close(fd) }
        var line: [UInt8] = []
        for p in postings {
          line = [UInt8](repeating: 0, count: Int(p.length))
          let n = line.withUnsafeMutableBytes { pread(fd, $0.baseAddress, Int(p.length), off_t(p.offset)) }
          guard n == Int(p.length) else { continue }
          // (A line of another conversation with the same key, or not a record: not this one's.)
          if let r = try? JournalRecord.read(Substring(String(decoding: line, as: UTF8.self))).get(),
            r.conversation == conversation
          {
            out.append((Int(p.offset), r))
          }
        }
      }
    }
    mutex.withLock {
      if indexed.count >= Self.maxKeptConversations { indexed.removeAll(keepingCapacity: true) }
      indexed[conversation] = IndexedRecords(
        inode: view.index.inode, covered: view.index.covered, records: out)
    }
    return out
  }

  /// A conversation's records read through the index.
  private struct IndexedRecords {
    var inode: UInt64
    var covered: Int
    var records: [(offset: Int, record: JournalRecord)]
  }
  private var indexed: [String: IndexedRecords] = [:]
  /// How many conversations' indexed records are kept (watch reads the same open ones every 2 s).
  static let maxKeptConversations = 10_000

  /// What this process knows of the file: its index and the whole lines after it.
  private struct View {
    var index: JournalIndex
    /// Bytes read: the index's, then the tail's (always a line's end).
    var offset: Int
    var lines: Int
    var tail: [TailLine] = []
    var tailByConversation: [String: [Int]] = [:]
    var tailUnreadable: [UnreadableRecord] = []
  }
  private struct TailLine {
    var offset: Int
    var length: Int
    var record: JournalRecord?
  }
  /// One read: the view, and a last line without its newline that reads as a record (being written).
  private struct Read {
    var view: View
    var partial: (offset: Int, record: JournalRecord)?
  }
  private var view: View?

  /// How many lines appended after the index make the next read fold them into it (the lines after
  /// the index are parsed by every new process: this bounds what a run parses).
  public static let foldAt = 512

  /// The file's index at `indexPath`, beside the journal.
  public var indexPath: String { path.replacingOccurrences(of: "journal.jsonl", with: "journal.index") }

  /// Brings the view up to the file: the index read (or built) when the file is another one or shorter
  /// than what was read, then the lines appended since; folds them into the index when there are
  /// ``foldAt`` of them. Nil when there is no journal file.
  private func refresh() throws -> Read? {
    let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var st = stat()
    guard fstat(fd, &st) == 0 else { throw JournalError.io("cannot read \(path)") }
    let size = Int(st.st_size)
    let (device, inode) = (UInt64(st.st_dev), UInt64(st.st_ino))
    var v: View
    if let known = mutex.withLock({ self.view }), known.index.device == device, known.index.inode == inode,
      known.offset <= size
    {
      v = known
    } else {
      let index =
        loadIndex(fd, device: device, inode: inode, size: size)
        ?? JournalIndex(
          device: device, inode: inode, covered: 0, lines: 0, edge: JournalIndex.fnv([UInt8]()), postings: [],
          open: [], unreadable: [])
      v = View(index: index, offset: index.covered, lines: index.lines)
    }
    let bytes = try readBytes(fd, from: v.offset, expected: size - v.offset)
    // Whole lines are parsed and kept; a last line without its newline (torn by a crash, or still
    // being written) is not.
    let complete = bytes.lastIndex(of: 10).map { $0 + 1 } ?? 0
    var lineStart = 0
    for i in 0..<complete where bytes[i] == 10 {
      v.lines += 1
      let text = String(decoding: bytes[lineStart..<i], as: UTF8.self)
      var line = TailLine(offset: v.offset + lineStart, length: i - lineStart, record: nil)
      switch JournalRecord.read(Substring(text)) {
      case .success(let r):
        line.record = r
        v.tailByConversation[r.conversation, default: []].append(v.tail.count)
      case .failure(let reason):
        // Kept to a bounded number of reports: a journal of nothing but damage stays small in memory.
        if v.index.unreadable.count + v.tailUnreadable.count < Self.maxUnreadableKept {
          v.tailUnreadable.append(UnreadableRecord(file: path, line: v.lines, reason: reason))
        }
      }
      v.tail.append(line)
      lineStart = i + 1
    }
    v.offset += complete
    if v.tail.count >= Self.foldAt { v = fold(v, fd: fd) }
    let current = v
    mutex.withLock { self.view = current }
    var read = Read(view: v)
    if complete < bytes.count {
      if let r = JournalRecord.parse(Substring(String(decoding: bytes[complete...], as: UTF8.self))) {
        read.partial = (v.offset, r)
      } else {
        mutex.withLock { repairedTornLine = true }  // cut off at the next append
      }
    }
    return read
  }

  /// The index file, if it is one and matches the journal open as `fd` (same file, at least as long,
  /// the same bytes before the end it covers); nil otherwise (it is then rebuilt).
  private func loadIndex(_ fd: Int32, device: UInt64, inode: UInt64, size: Int) -> JournalIndex? {
    let ifd = open(indexPath, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
    guard ifd >= 0 else { return nil }
    defer { close(ifd) }
    var st = stat()
    guard fstat(ifd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_uid == geteuid(),
      Int(st.st_size) <= JournalIndex.maxBytes,
      let bytes = try? readBytes(ifd, from: 0, expected: Int(st.st_size)),
      let index = JournalIndex.decode(bytes), index.device == device, index.inode == inode,
      index.covered <= size,
      (try? edge(fd, covered: index.covered)) == index.edge
    else { return nil }
    return index
  }

  /// How many bytes of the journal its index covers, if there is an index that matches it (nil when
  /// there is none, or it would be rebuilt).
  public func indexedBytes() -> Int? {
    let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var st = stat()
    guard fstat(fd, &st) == 0 else { return nil }
    return loadIndex(fd, device: UInt64(st.st_dev), inode: UInt64(st.st_ino), size: Int(st.st_size))?.covered
  }

  /// The hash of the file's last bytes (up to 4 KiB) before `covered` (see `JournalIndex.edge`).
  private func edge(_ fd: Int32, covered: Int) throws -> UInt64 {
    let start = max(0, covered - 4096)
    var bytes = [UInt8](repeating: 0, count: covered - start)
    let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, covered - start, off_t(start)) }
    guard n == covered - start else { throw JournalError.io("cannot read \(path)") }
    return JournalIndex.fnv(bytes)
  }

  /// The view with its tail folded into a new index, written beside the journal (a cache: when it
  /// cannot be written, the view still holds it, and the next process folds again).
  private func fold(_ v: View, fd: Int32) -> View {
    var postings = v.index.postings
    for line in v.tail {
      // A line that cannot be read has no conversation; it is counted among the lines, never lost.
      guard let r = line.record else { continue }
      postings.append(
        JournalIndex.Posting(
          key: JournalIndex.key(r.conversation), offset: UInt64(line.offset),
          length: UInt32(clamping: line.length)))
    }
    postings.sort()
    // The open conversations: of the candidates, those with an open lease in any workspace.
    let read = Read(view: v)
    let open = openCandidates(v).filter { !JournalState.openConversations(records(of: $0, in: read)).isEmpty }
    guard let edge = try? edge(fd, covered: v.offset) else { return v }
    let index = JournalIndex(
      device: v.index.device, inode: v.index.inode, covered: v.offset, lines: v.lines, edge: edge,
      postings: postings, open: open.sorted(),
      unreadable: v.index.unreadable + v.tailUnreadable.map { ($0.line, $0.reason.description) })
    try? writeIndex(index)
    return View(index: index, offset: v.offset, lines: v.lines)
  }

  /// Writes `index` beside the journal: a new file (0600, created exclusively, never through a link),
  /// renamed over the old one.
  private func writeIndex(_ index: JournalIndex) throws {
    let temp = indexPath + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    let tfd = open(temp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0o600)
    guard tfd >= 0 else { throw JournalError.io("cannot create \(temp)") }
    do {
      defer { close(tfd) }
      _ = try FileDescriptor(rawValue: tfd).writeAll(index.encoded())
    } catch {
      unlink(temp)
      throw error
    }
    guard rename(temp, indexPath) == 0 else {
      unlink(temp)
      throw JournalError.io("cannot replace \(indexPath)")
    }
  }

  /// The lines the reads skipped (see ``Journal/unreadable()``).
  public func unreadable() async -> [UnreadableRecord] {
    mutex.withLock {
      guard let v = view else { return [] }
      return v.index.unreadable.map {
        UnreadableRecord(file: path, line: $0.line, reason: UnreadableRecord.Reason($0.reason))
      } + v.tailUnreadable
    }
  }

  /// Every record, read from the whole file (a listing, a compaction); a line other than the last that
  /// cannot be read (damaged, of a later format version, a stray writer's) is skipped, so one bad line
  /// never hides the leases of the others.
  public func allRecords() throws -> [JournalRecord] {
    let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
    guard fd >= 0 else { return [] }
    defer { close(fd) }
    var records: [JournalRecord] = []
    let bytes = try readBytes(fd, from: 0)
    var lineStart = 0
    for i in bytes.indices where bytes[i] == 10 {
      if let r = try? JournalRecord.read(Substring(String(decoding: bytes[lineStart..<i], as: UTF8.self)))
        .get()
      {
        records.append(r)
      }
      lineStart = i + 1
    }
    if lineStart < bytes.count,
      let r = JournalRecord.parse(Substring(String(decoding: bytes[lineStart...], as: UTF8.self)))
    {
      records.append(r)
    }
    return records
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

  /// Drops the history of the conversations `JournalCompaction` names, atomically, reading the file as a
  /// stream (memory stays that of the conversations, not of the lines). The file is read and decided
  /// on without the lock (appends, reverts' among them, never wait for that): the newest record of each
  /// conversation, and the open leases through the index. Then, under the lock, what was appended since
  /// is read (a conversation written to since is kept whole), and the kept lines (unreadable ones
  /// included: they are never dropped) are written to a new file (0600, created exclusively) with its
  /// index, synced, and renamed over the journal.
  public func compact(cutoff: Double) async throws -> CompactionReport {
    guard let read = try refresh() else { return CompactionReport(dropped: 0, conversations: 0, kept: 0) }
    let view = read.view
    let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
    guard fd >= 0 else { return CompactionReport(dropped: 0, conversations: 0, kept: 0) }
    defer { close(fd) }
    var st = stat()
    guard fstat(fd, &st) == 0 else { throw JournalError.io("cannot read \(path)") }
    guard UInt64(st.st_ino) == view.index.inode, UInt64(st.st_dev) == view.index.device else {
      return CompactionReport(dropped: 0, conversations: 0, kept: 0)  // replaced meanwhile
    }
    var newest: [String: Double] = [:]
    try forEachLine(fd, upTo: view.offset) { _, text in
      if let r = JournalRecord.parse(Substring(String(decoding: text, as: UTF8.self))) {
        JournalCompaction.note(r, in: &newest)
      }
    }
    // The conversations with an open lease.
    let holding = Set(
      openCandidates(view).filter { !JournalState.openConversations(records(of: $0, in: read)).isEmpty })
    var drop = JournalCompaction.droppable(newest: newest, open: holding, cutoff: cutoff)
    guard !drop.isEmpty else { return CompactionReport(dropped: 0, conversations: 0, kept: view.lines) }
    return try withLockedFile(O_RDWR) { locked in
      var now = stat()
      guard fstat(locked, &now) == 0, now.st_ino == st.st_ino, now.st_dev == st.st_dev else {
        return CompactionReport(dropped: 0, conversations: 0, kept: view.lines)  // replaced meanwhile
      }
      try self.cutTornTail(locked)
      let tail = try self.readLines(locked, from: view.offset)
      // A conversation written to since is kept whole.
      for line in tail.lines { if let r = line.record { drop.remove(r.conversation) } }
      guard !drop.isEmpty else { return CompactionReport(dropped: 0, conversations: 0, kept: view.lines) }
      let temp = self.path + ".compact-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
      let tfd = open(temp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0o600)
      guard tfd >= 0 else {
        throw JournalError.io("cannot create \(temp): \(String(cString: strerror(errno)))")
      }
      var out: [UInt8] = []  // written in pieces of about 1 MiB
      var written = 0
      var dropped = 0
      var kept = 0
      // The new file's index, as it is written: a run after a compaction need not read it whole.
      var postings: [JournalIndex.Posting] = []
      var unreadable: [(line: Int, reason: String)] = []
      var keptOpen = Set<String>()
      do {
        defer { close(tfd) }
        let file = FileDescriptor(rawValue: tfd)
        func keep(_ text: ArraySlice<UInt8>, _ record: Result<JournalRecord, UnreadableRecord.Reason>) throws
        {
          kept += 1
          switch record {
          case .success(let r):
            postings.append(
              JournalIndex.Posting(
                key: JournalIndex.key(r.conversation), offset: UInt64(written + out.count),
                length: UInt32(clamping: text.count)))
            if holding.contains(r.conversation) || (r.kind == .intent && r.action.opensLease) {
              keptOpen.insert(r.conversation)  // (candidates: read and checked by every run)
            }
          case .failure(let why):
            if unreadable.count < Self.maxUnreadableKept { unreadable.append((kept, why.description)) }
          }
          out += text
          out.append(10)
          if out.count >= 1 << 20 {
            _ = try file.writeAll(out)
            written += out.count
            out.removeAll(keepingCapacity: true)
          }
        }
        try self.forEachLine(locked, upTo: view.offset) { _, text in
          let record = JournalRecord.read(Substring(String(decoding: text, as: UTF8.self)))
          if case .success(let r) = record, drop.contains(r.conversation) {
            dropped += 1
            return
          }
          try keep(text, record)
        }
        for line in tail.lines {
          let record: Result<JournalRecord, UnreadableRecord.Reason> =
            line.record.map { .success($0) }
            ?? JournalRecord.read(Substring(String(decoding: line.text, as: UTF8.self)))
          try keep(line.text[...], record)
        }
        _ = try file.writeAll(out)
        written += out.count
        guard fsync(tfd) == 0 else { throw JournalError.io("cannot sync \(temp)") }
      } catch {
        unlink(temp)
        throw error
      }
      let edge = try self.edge(openedAt: temp, covered: written)
      guard rename(temp, self.path) == 0 else {
        unlink(temp)
        throw JournalError.io("cannot replace \(self.path): \(String(cString: strerror(errno)))")
      }
      self.syncDirectory()
      self.mutex.withLock {
        self.view = nil
        self.indexed = [:]
      }
      var replaced = stat()
      if stat(self.path, &replaced) == 0 {
        postings.sort()
        try? self.writeIndex(
          JournalIndex(
            device: UInt64(replaced.st_dev), inode: UInt64(replaced.st_ino), covered: written, lines: kept,
            edge: edge, postings: postings, open: keptOpen.sorted(), unreadable: unreadable))
      }
      return CompactionReport(dropped: dropped, conversations: drop.count, kept: kept)
    }
  }

  /// Calls `body` with each whole line of the file before byte `end` (its offset and bytes, without
  /// the newline), reading 1 MiB at a time.
  private func forEachLine(_ fd: Int32, upTo end: Int, _ body: (Int, ArraySlice<UInt8>) throws -> Void) throws
  {
    var chunk = [UInt8](repeating: 0, count: 1 << 20)
    var carry: [UInt8] = []
    var at = 0
    let file = FileDescriptor(rawValue: fd)
    while at < end {
      let want = min(chunk.count, end - at)
      let n: Int
      do {
        n = try chunk.withUnsafeMutableBytes {
          try file.read(
            fromAbsoluteOffset: Int64(at), into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<want]))
        }
      } catch { throw JournalError.io("cannot read \(path): \(error)") }
      if n == 0 { break }
      var start = 0
      let lineOffset = at - carry.count
      for i in 0..<n where chunk[i] == 10 {
        if carry.isEmpty {
          try body(at + start, chunk[start..<i])
        } else {
          carry += chunk[start..<i]
          try body(lineOffset, carry[...])
          carry.removeAll(keepingCapacity: true)
        }
        start = i + 1
      }
      carry += chunk[start..<n]
      at += n
    }
  }

  /// The hash of the last bytes (up to 4 KiB) before `covered` of the file at `path` (see
  /// `JournalIndex.edge`).
  private func edge(openedAt path: String, covered: Int) throws -> UInt64 {
    let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
    guard fd >= 0 else { throw JournalError.io("cannot read \(path)") }
    defer { close(fd) }
    return try edge(fd, covered: covered)
  }

  /// Syncs the journal's directory (a rename is durable once it is).
  private func syncDirectory() {
    let dir = open((path as NSString).deletingLastPathComponent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if dir >= 0 {
      _ = fsync(dir)
      close(dir)
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
