import PartylineCore

/// An index of the local journal (`journal.index` beside `journal.jsonl`): where each conversation's
/// lines are, which conversations held an open lease, and which lines could not be read — as of the
/// first `covered` bytes of the file. A run reads its conversations' lines through it and parses only
/// what was appended since, so a journal of weeks costs a run what its live calls cost.
///
/// It is a cache, never state: rebuilt from the journal whenever it does not match it (another file,
/// a journal shorter than it covers, different bytes before that point, a bad checksum, any
/// inconsistency), and the lines it points at are parsed and checked like any other.
struct JournalIndex: Equatable {
  /// The journal's device and inode (a compaction replaces the file: a new inode).
  var device: UInt64
  var inode: UInt64
  /// The bytes of the journal covered: whole lines only.
  var covered: Int
  /// The lines in `covered`.
  var lines: Int
  /// A hash of the journal's last bytes (up to 4 KiB) before `covered`: the same file, same bytes.
  var edge: UInt64
  /// Each line's conversation key (``key(_:)``), with the line's offset and length, sorted (lines of
  /// one key in file order): 20 bytes each, little-endian, as in the file — searched where they lie,
  /// never decoded whole on a read.
  private(set) var table: [UInt8]
  /// The conversations with an open lease, in some workspace, as of `covered`.
  var open: [String]
  /// Lines in `covered` that could not be read (at most ``LocalJournal/maxUnreadableKept``).
  var unreadable: [(line: Int, reason: String)]

  /// Where one line is.
  struct Posting: Equatable, Comparable {
    var key: UInt64
    var offset: UInt64
    var length: UInt32
    static func < (a: Posting, b: Posting) -> Bool { (a.key, a.offset) < (b.key, b.offset) }
  }

  /// An index of `postings` (sorted here).
  init(
    device: UInt64, inode: UInt64, covered: Int, lines: Int, edge: UInt64, postings: [Posting],
    open: [String],
    unreadable: [(line: Int, reason: String)]
  ) {
    var table: [UInt8] = []
    table.reserveCapacity(postings.count * 20)
    for p in postings.sorted() {
      withUnsafeBytes(of: p.key.littleEndian) { table += $0 }
      withUnsafeBytes(of: p.offset.littleEndian) { table += $0 }
      withUnsafeBytes(of: p.length.littleEndian) { table += $0 }
    }
    self.init(
      device: device, inode: inode, covered: covered, lines: lines, edge: edge, table: table, open: open,
      unreadable: unreadable)
  }

  private init(
    device: UInt64, inode: UInt64, covered: Int, lines: Int, edge: UInt64, table: [UInt8], open: [String],
    unreadable: [(line: Int, reason: String)]
  ) {
    (self.device, self.inode, self.covered, self.lines, self.edge) = (device, inode, covered, lines, edge)
    (self.table, self.open, self.unreadable) = (table, open, unreadable)
  }

  /// How many postings.
  var count: Int { table.count / 20 }

  /// The posting at `i` (of `count`).
  func posting(at i: Int) -> Posting {
    table.withUnsafeBytes { raw in
      Posting(
        key: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i * 20, as: UInt64.self)),
        offset: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i * 20 + 8, as: UInt64.self)),
        length: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 20 + 16, as: UInt32.self)))
    }
  }

  /// Every posting (to fold more lines in).
  var postings: [Posting] { (0..<count).map(posting(at:)) }

  static func == (a: JournalIndex, b: JournalIndex) -> Bool {
    (a.device, a.inode, a.covered, a.lines, a.edge) == (b.device, b.inode, b.covered, b.lines, b.edge)
      && a.table == b.table && a.open == b.open
      && a.unreadable.map(\.line) == b.unreadable.map(\.line)
      && a.unreadable.map(\.reason) == b.unreadable.map(\.reason)
  }

  /// A conversation's key: FNV-1a over its UTF-8 (two conversations may share one: their lines are
  /// told apart by the records themselves).
  static func key(_ conversation: String) -> UInt64 { fnv(conversation.utf8) }

  /// The file's checksum: FNV-1a over 64-bit words (then the last bytes), eight times faster than
  /// over bytes, for a file of megabytes read by every run.
  static func checksum(_ bytes: ArraySlice<UInt8>) -> UInt64 {
    bytes.withUnsafeBytes { raw in
      var h: UInt64 = 0xcbf2_9ce4_8422_2325
      var i = 0
      while i + 8 <= raw.count {
        h =
          (h ^ UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))) &* 0x100_0000_01b3
        h ^= h >> 32
        i += 8
      }
      while i < raw.count {
        h = (h ^ UInt64(raw[i])) &* 0x100_0000_01b3
        i += 1
      }
      return h
    }
  }

  /// FNV-1a, 64 bits.
  static func fnv<S: Sequence>(_ bytes: S, _ seed: UInt64 = 0xcbf2_9ce4_8422_2325) -> UInt64
  where S.Element == UInt8 {
    var h = seed
    for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
    return h
  }

  /// The postings of `key`, in file order.
  func postings(of key: UInt64) -> [Posting] {
    var lo = 0
    var hi = count
    while lo < hi {
      let mid = (lo + hi) / 2
      if posting(at: mid).key < key { lo = mid + 1 } else { hi = mid }
    }
    var out: [Posting] = []
    while lo < count {
      let p = posting(at: lo)
      guard p.key == key else { break }
      out.append(p)
      lo += 1
    }
    return out
  }

  // MARK: The file

  static let magic = Array("PLJIDX01".utf8)
  /// The most bytes an index file may have (a bigger one is not read: rebuilt).
  static let maxBytes = 1 << 30

  /// The index as bytes: a header, then the postings, the open conversations and the unreadable
  /// lines, then a checksum of everything before it. Little-endian.
  func encoded() -> [UInt8] {
    var out = Self.magic
    out.reserveCapacity(64 + postings.count * 20)
    func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
    func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
    func text(_ s: String) {
      let b = Array(s.utf8)
      u32(UInt32(b.count))
      out += b
    }
    for v in [device, inode, UInt64(covered), UInt64(lines), edge, UInt64(count)] { u64(v) }
    u64(UInt64(open.count))
    u64(UInt64(unreadable.count))
    out += table
    for c in open { text(c) }
    for u in unreadable {
      u64(UInt64(u.line))
      text(u.reason)
    }
    u64(Self.checksum(out[...]))
    return out
  }

  /// The index in `bytes`, or nil when they are not a whole, consistent index.
  static func decode(_ bytes: [UInt8]) -> JournalIndex? {
    guard bytes.count >= 8 + 8 * 8 + 8, Array(bytes[0..<8]) == magic else { return nil }
    let body = bytes.count - 8
    var at = 8
    var ok = true
    func u64() -> UInt64 {
      guard ok, at + 8 <= body else {
        ok = false
        return 0
      }
      defer { at += 8 }
      return UInt64(
        littleEndian: bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: UInt64.self) })
    }
    func u32() -> UInt32 {
      guard ok, at + 4 <= body else {
        ok = false
        return 0
      }
      defer { at += 4 }
      return UInt32(
        littleEndian: bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: UInt32.self) })
    }
    func text() -> String {
      let n = Int(u32())
      guard ok, n <= body - at else {
        ok = false
        return ""
      }
      defer { at += n }
      return String(decoding: bytes[at..<at + n], as: UTF8.self)
    }
    let checksum = bytes.withUnsafeBytes {
      UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: body, as: UInt64.self))
    }
    guard Self.checksum(bytes[0..<body]) == checksum else { return nil }
    let (device, inode, covered, lines, edge, count, opens, bad) = (
      u64(), u64(), u64(), u64(), u64(), u64(), u64(), u64()
    )
    // Each count fits what is left of the file before anything is reserved for it.
    guard ok, covered < UInt64(Int.max), lines <= covered, count <= UInt64(body - at) / 20,
      opens <= UInt64(body - at) / 4, bad <= UInt64(body - at) / 12
    else { return nil }
    let table = Array(bytes[at..<at + Int(count) * 20])
    at += Int(count) * 20
    // Sorted, and every line within what the index covers.
    let valid = table.withUnsafeBytes { raw -> Bool in
      var last: (UInt64, UInt64)? = nil
      for i in 0..<Int(count) {
        let key = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i * 20, as: UInt64.self))
        let offset = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i * 20 + 8, as: UInt64.self))
        let length = UInt64(
          UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 20 + 16, as: UInt32.self)))
        guard offset <= covered, length <= covered - offset, last.map({ $0 < (key, offset) }) ?? true else {
          return false
        }
        last = (key, offset)
      }
      return true
    }
    guard valid else { return nil }
    var open: [String] = []
    for _ in 0..<opens { open.append(text()) }
    var unreadable: [(line: Int, reason: String)] = []
    for _ in 0..<bad {
      let line = u64()
      let reason = text()
      guard line <= lines else { return nil }
      unreadable.append((Int(line), reason))
    }
    guard ok, at == body else { return nil }
    return JournalIndex(
      device: device, inode: inode, covered: Int(covered), lines: Int(lines), edge: edge, table: table,
      open: open,
      unreadable: unreadable)
  }
}
