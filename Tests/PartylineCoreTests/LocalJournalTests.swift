import Foundation
import PartylineCore
@testable import PartylineLocal
import PartylineTestSupport
import Testing

@Suite struct LocalJournalTests {
  func record(_ n: Int, conversation: String = "c1") -> JournalRecord {
    JournalRecord(
      kind: .intent, id: "r-\(n)", at: 1_800_000_000 + Double(n), workspace: "default", run: "r",
      action: .mute, conversation: conversation, participant: "p", policy: "p1", directive: "d",
      leaseEnds: 1_800_000_600)
  }

  func directory(_ name: String) -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "partyline-journal-\(name)-\(getpid())")
    try? FileManager.default.removeItem(at: dir)
    return dir.path
  }

  /// Reads pick up what any writer appended since, whole lines only; a torn last line is left out,
  /// flagged and cut off at the next append; a damaged line elsewhere names its line.
  @Test func incrementalReadsTornTailsAndDamage() async throws {
    let dir = directory("incremental")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let reader = try LocalJournal(directory: dir)
    let writer = try LocalJournal(directory: dir)  // another run, as far as the reader can tell
    func ids(_ j: LocalJournal) async throws -> [String] {
      try await j.slice(workspace: "default", conversations: ["c1", "c2"], open: false).records.map(\.id)
    }
    #expect(try await ids(reader).isEmpty)
    try await writer.append([record(1), record(2, conversation: "c2")])
    #expect(try await ids(reader) == ["r-1", "r-2"])
    try await writer.append([record(3)])
    #expect(try await ids(reader) == ["r-1", "r-2", "r-3"])
    #expect(try reader.allRecords().map(\.id) == ["r-1", "r-2", "r-3"])
    #expect(try await reader.recordCounts() == ["c1": 2, "c2": 1])
    #expect(try await reader.recordCount(conversation: "c1") == 2)
    let counted = try await reader.slice(workspace: "other", conversations: ["c1", "c9"], open: false)
    #expect(counted.records.isEmpty, "another workspace's records are not this one's")
    #expect(counted.counts == ["c1": 2, "c9": 0], "counts are of every workspace")

    // A crash mid-write leaves half a line.
    let handle = try #require(FileHandle(forWritingAtPath: reader.path))
    handle.seekToEndOfFile()
    handle.write(Data(record(4).line.prefix(30).utf8))
    try handle.close()
    #expect(try await ids(reader) == ["r-1", "r-2", "r-3"])
    #expect(reader.repairedTornLine)
    try await writer.append([record(5)])
    #expect(try await ids(reader) == ["r-1", "r-2", "r-3", "r-5"])
    #expect(try await ids(LocalJournal(directory: dir)) == ["r-1", "r-2", "r-3", "r-5"])

    // A damaged line in the middle is skipped and named, for a fresh reader and a warm one alike: the
    // other records (and their leases) stay readable.
    var text = try String(contentsOfFile: reader.path, encoding: .utf8)
    text = text.replacingOccurrences(of: "\"id\":\"r-2\"", with: "\"id\":2")
    try text.write(toFile: reader.path + ".new", atomically: false, encoding: .utf8)
    _ = rename(reader.path + ".new", reader.path)  // a new file: the reader starts over
    for journal in [reader, try LocalJournal(directory: dir)] {
      #expect(try await ids(journal) == ["r-1", "r-3", "r-5"])
      #expect(try journal.allRecords().map(\.id) == ["r-1", "r-3", "r-5"])
      let skipped = await journal.unreadable()
      #expect(skipped.map(\.line) == [2])
      #expect(skipped.first?.file == reader.path)
      #expect(skipped.first?.reason.description == "'id' has the wrong type")
    }
    // Appends after it are read incrementally, and the skipped line is still reported.
    try await writer.append([record(6)])
    #expect(try await ids(reader) == ["r-1", "r-3", "r-5", "r-6"])
    #expect(await reader.unreadable().map(\.line) == [2])
  }

  /// What a slice must be: cut from every record of the file (`every`, read once).
  func expected(_ every: [JournalRecord], workspace: String, conversations: Set<String>, open: Bool)
    -> JournalSlice
  {
    JournalSlice(cutting: every, workspace: workspace, conversations: conversations, open: open)
  }

  func expected(_ dir: String, workspace: String, conversations: Set<String>, open: Bool) throws
    -> JournalSlice
  {
    expected(
      try LocalJournal(directory: dir).allRecords(), workspace: workspace, conversations: conversations,
      open: open)
  }

  /// An index file is input: cut short or with any bytes changed — even with its checksum made to
  /// match — it decodes to nothing or to an index whose every line lies within what it covers, and
  /// never crashes the reader.
  @Test func aDamagedIndexNeverCrashesTheReader() throws {
    let index = JournalIndex(
      device: 1, inode: 2, covered: 4000, lines: 40, edge: 3,
      postings: (0..<40).map {
        JournalIndex.Posting(key: UInt64($0 % 7), offset: UInt64($0 * 100), length: 99)
      },
      open: ["conv-1", "conv-2"], unreadable: [(3, "'id' has the wrong type")])
    let good = index.encoded()
    #expect(JournalIndex.decode(good) == index)
    var rng = SeededRandom(5)
    for n in 0..<2000 {
      var bytes = good
      if n % 10 == 0 {
        bytes = Array(bytes.prefix(Int(rng.next() % UInt64(bytes.count))))
      } else {
        for _ in 0...(rng.next() % 3) {
          bytes[Int(rng.next() % UInt64(bytes.count - 8))] = UInt8(truncatingIfNeeded: rng.next())
        }
      }
      #expect(JournalIndex.decode(bytes) == nil || bytes == good, "the checksum refuses it")
      // Forged: the checksum made to match.
      if bytes.count >= 16 {
        let body = bytes.count - 8
        let sum = JournalIndex.checksum(bytes[0..<body])
        withUnsafeBytes(of: sum.littleEndian) { bytes.replaceSubrange(body..., with: $0) }
      }
      if let forged = JournalIndex.decode(bytes) {
        for p in forged.postings { #expect(Int(p.offset) + Int(p.length) <= forged.covered) }
        #expect(forged.unreadable.allSatisfy { $0.line <= forged.lines })
      }
    }
  }

  /// A compaction reads the file as a stream, a piece at a time: on a journal of megabytes it keeps
  /// exactly what the rule keeps (every record of the conversations not dropped, in order, and every
  /// unreadable line), and writes the new file's index.
  @Test func aCompactionOfMegabytesKeepsExactlyWhatTheRuleKeeps() async throws {
    let dir = directory("compact-big")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let journal = try LocalJournal(directory: dir)
    let lines =
      JournalHistory.random(4500, seed: 21, prefix: "old-", from: 1_700_000_000)
      + JournalHistory.random(4500, seed: 22)
    let text = lines.map { $0 + "\n" }.joined()
    #expect(text.utf8.count > 2 << 20, "more than two pieces")
    try text.write(toFile: journal.path, atomically: false, encoding: .utf8)
    let before = try journal.allRecords()
    let cutoff = 1_750_000_000.0
    let drop = JournalCompaction.droppable(before, cutoff: cutoff)
    #expect(!drop.isEmpty)
    let report = try await journal.compact(cutoff: cutoff)
    let after = try LocalJournal(directory: dir)
    #expect(try after.allRecords() == before.filter { !drop.contains($0.conversation) })
    #expect(report.conversations == drop.count)
    #expect(report.dropped == before.filter { drop.contains($0.conversation) }.count)
    let damaged = lines.filter { JournalRecord.parse(Substring($0)) == nil }
    let left = try String(contentsOfFile: journal.path, encoding: .utf8).split(separator: "\n")
    #expect(left.filter { JournalRecord.parse($0) == nil }.map(String.init) == damaged)
    let size = try #require(FileManager.default.attributesOfItem(atPath: journal.path)[.size] as? Int)
    #expect(after.indexedBytes() == size)
    _ = try await after.slice(workspace: "default", conversations: [], open: false)
    #expect(await after.unreadable().count == damaged.count)
    let every = try after.allRecords()
    for workspace in ["default", "other"] {
      #expect(
        try await after.slice(workspace: workspace, conversations: ["conv-3"], open: true)
          == expected(every, workspace: workspace, conversations: ["conv-3"], open: true))
    }
  }

  /// Slices read through the index (warm, from a fresh process, after folds, across appends) hold
  /// exactly what cutting the whole journal holds: the open leases' conversations, the records asked
  /// for, and every workspace's counts.
  @Test(arguments: [1, 2] as [UInt64]) func slicesThroughTheIndexAreTheWholeJournalsSlices(seed: UInt64)
    async throws
  {
    let dir = directory("slices-\(seed)")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let warm = try LocalJournal(directory: dir)
    let all = JournalHistory.random(3 * LocalJournal.foldAt, seed: seed)
    var written = 0
    var rng = SeededRandom(seed &+ 100)
    while written < all.count {
      let n = min(all.count - written, Int(rng.next() % 300) + 1)
      let handle = try #require(FileHandle(forWritingAtPath: warm.path))
      handle.seekToEndOfFile()
      handle.write(Data(all[written..<written + n].map { $0 + "\n" }.joined().utf8))
      try handle.close()
      written += n
      let every = try warm.allRecords()
      let fresh = try LocalJournal(directory: dir)
      for workspace in ["default", "other"] {
        let asked = Set((0..<3).map { _ in "conv-\(rng.next() % 70)" })
        let want = expected(every, workspace: workspace, conversations: asked, open: true)
        let plain = expected(every, workspace: workspace, conversations: asked, open: false)
        for journal in [warm, fresh] {
          let got = try await journal.slice(workspace: workspace, conversations: asked, open: true)
          #expect(got.conversations == want.conversations)
          #expect(got.counts == want.counts)
          #expect(got.records == want.records)
          #expect(try await journal.slice(workspace: workspace, conversations: asked, open: false) == plain)
        }
      }
    }
    #expect(FileManager.default.fileExists(atPath: warm.indexPath), "the index was written")
    let unreadable = try String(contentsOfFile: warm.path, encoding: .utf8).split(separator: "\n")
      .enumerated().filter { JournalRecord.parse($0.element) == nil }.map { $0.offset + 1 }
    let fresh = try LocalJournal(directory: dir)
    _ = try await fresh.slice(workspace: "default", conversations: [], open: false)
    #expect(await fresh.unreadable().map(\.line) == unreadable)
    #expect(await warm.unreadable().map(\.line) == unreadable)
  }

  /// The index is a cache: damaged, of another journal, of a journal rewritten in place or replaced,
  /// or a link, it is not believed — the journal is read again and the slices stay right.
  @Test func anIndexThatDoesNotMatchItsJournalIsRebuilt() async throws {
    let dir = directory("index-faults")
    let elsewhere = directory("index-elsewhere")
    defer {
      try? FileManager.default.removeItem(atPath: dir)
      try? FileManager.default.removeItem(atPath: elsewhere)
    }
    let journal = try LocalJournal(directory: dir)
    try JournalHistory.random(2 * LocalJournal.foldAt, seed: 7).map { $0 + "\n" }.joined().write(
      toFile: journal.path, atomically: false, encoding: .utf8)
    let asked: Set<String> = ["conv-1", "conv-2"]
    func check(_ why: Comment) async throws {
      let want = try expected(dir, workspace: "default", conversations: asked, open: true)
      let got = try await LocalJournal(directory: dir).slice(
        workspace: "default", conversations: asked, open: true)
      #expect(got == want, why)
    }
    try await check("built from the journal")
    let good = try Data(contentsOf: URL(fileURLWithPath: journal.indexPath))

    // A flipped byte anywhere fails the checksum.
    var bad = good
    bad[bad.count / 2] ^= 0x40
    try bad.write(to: URL(fileURLWithPath: journal.indexPath))
    try await check("a damaged index")

    // Another journal's index (same size, other bytes) is refused by the file's identity.
    let other = try LocalJournal(directory: elsewhere)
    try JournalHistory.random(2 * LocalJournal.foldAt, seed: 8).map { $0 + "\n" }.joined().write(
      toFile: other.path, atomically: false, encoding: .utf8)
    _ = try await other.slice(workspace: "default", conversations: [], open: true)
    try FileManager.default.removeItem(atPath: journal.indexPath)
    try FileManager.default.copyItem(atPath: other.indexPath, toPath: journal.indexPath)
    try await check("another journal's index")

    // The journal rewritten in place (same file, same length, other bytes): the edge hash differs.
    _ = try await LocalJournal(directory: dir).slice(workspace: "default", conversations: [], open: true)
    var text = try String(contentsOfFile: journal.path, encoding: .utf8)
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    let flipped = lines.map { $0.replacingOccurrences(of: "\"status\":\"ok\"", with: "\"status\":\"no\"") }
    text = flipped.joined(separator: "\n")
    let handle = try #require(FileHandle(forWritingAtPath: journal.path))
    handle.write(Data(text.utf8))
    try handle.close()
    try await check("a journal rewritten in place")

    // A link in its place is not followed.
    try FileManager.default.removeItem(atPath: journal.indexPath)
    try FileManager.default.createSymbolicLink(
      atPath: journal.indexPath, withDestinationPath: other.indexPath)
    try await check("an index that is a link")
  }
  /// Compaction drops whole conversations whose every record is older than the cutoff and that hold
  /// no open lease; recent history, open leases and unreadable lines stay, and appends made while it
  /// runs are never lost.
  @Test func compactionDropsOldServedHistoryAndKeepsTheRest() async throws {
    let dir = directory("compact")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let journal = try LocalJournal(directory: dir)
    let now = 1_800_000_000.0
    let old = now - 40 * 86_400
    try await journal.append(JournalHistory.mute("ended", at: old, served: true))
    try await journal.append(JournalHistory.mute("still-open", at: old, served: false))
    try await journal.append(JournalHistory.mute("recent", at: now - 3600, served: true))
    let handle = try #require(FileHandle(forWritingAtPath: journal.path))
    handle.seekToEndOfFile()
    handle.write(Data("not a record\n".utf8))
    try handle.close()
    #expect(try journal.allRecords().count == 10)

    // Appends race the compaction: none is lost.
    let writer = try LocalJournal(directory: dir)
    async let appends: Void = {
      for n in 0..<50 { try await writer.append([self.record(n, conversation: "live")]) }
    }()
    let report = try await journal.compact(cutoff: now - 30 * 86_400)
    try await appends
    #expect(report.dropped == 4)
    #expect(report.conversations == 1)
    let after = try LocalJournal(directory: dir)
    let byConversation = Dictionary(grouping: try after.allRecords(), by: \.conversation).mapValues(\.count)
    #expect(byConversation == ["still-open": 2, "recent": 4, "live": 50])
    _ = try await after.slice(workspace: "default", conversations: [], open: true)
    #expect(await after.unreadable().count == 1, "an unreadable line is never dropped")
    #expect(try journal.allRecords().count == 56, "a warm reader starts over on the new file")
    let mode = try FileManager.default.attributesOfItem(atPath: journal.path)[.posixPermissions] as? Int
    #expect(mode == 0o600)
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains("compact") }
    #expect(leftovers.isEmpty)
    // The compacted file comes with its index: the next run need not read it whole.
    let size = try #require(FileManager.default.attributesOfItem(atPath: journal.path)[.size] as? Int)
    let covered = try #require(after.indexedBytes(), "the compaction wrote the new file's index")
    #expect(covered > 0 && covered <= size)
    for open in [true, false] {
      #expect(
        try await after.slice(workspace: "default", conversations: ["recent", "live"], open: open)
          == (try expected(dir, workspace: "default", conversations: ["recent", "live"], open: open)))
    }
    // Nothing more to drop: the file is left alone.
    #expect(try await journal.compact(cutoff: now - 30 * 86_400).dropped == 0)
  }
}
