import Foundation
import PartylineCore
import PartylineLocal
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
    #expect(try reader.allRecords().isEmpty)
    try await writer.append([record(1), record(2, conversation: "c2")])
    #expect(try reader.allRecords().map(\.id) == ["r-1", "r-2"])
    try await writer.append([record(3)])
    #expect(try reader.allRecords().map(\.id) == ["r-1", "r-2", "r-3"])
    #expect(try await reader.recordCounts() == ["c1": 2, "c2": 1])
    #expect(try await reader.recordCount(conversation: "c1") == 2)

    // A crash mid-write leaves half a line.
    let handle = try #require(FileHandle(forWritingAtPath: reader.path))
    handle.seekToEndOfFile()
    handle.write(Data(record(4).line.prefix(30).utf8))
    try handle.close()
    #expect(try reader.allRecords().map(\.id) == ["r-1", "r-2", "r-3"])
    #expect(reader.repairedTornLine)
    try await writer.append([record(5)])
    #expect(try reader.allRecords().map(\.id) == ["r-1", "r-2", "r-3", "r-5"])
    #expect(try LocalJournal(directory: dir).allRecords().map(\.id) == ["r-1", "r-2", "r-3", "r-5"])

    // A damaged line in the middle is skipped and named, for a fresh reader and a warm one alike: the
    // other records (and their leases) stay readable.
    var text = try String(contentsOfFile: reader.path, encoding: .utf8)
    text = text.replacingOccurrences(of: "\"id\":\"r-2\"", with: "\"id\":2")
    try text.write(toFile: reader.path + ".new", atomically: false, encoding: .utf8)
    _ = rename(reader.path + ".new", reader.path)  // a new file: the reader starts over
    for journal in [reader, try LocalJournal(directory: dir)] {
      #expect(try journal.allRecords().map(\.id) == ["r-1", "r-3", "r-5"])
      let skipped = await journal.unreadable()
      #expect(skipped.map(\.line) == [2])
      #expect(skipped.first?.file == reader.path)
      #expect(skipped.first?.reason.description == "'id' has the wrong type")
    }
    // Appends after it are read incrementally, and the skipped line is still reported.
    try await writer.append([record(6)])
    #expect(try reader.allRecords().map(\.id) == ["r-1", "r-3", "r-5", "r-6"])
    #expect(await reader.unreadable().map(\.line) == [2])
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
    #expect(await after.unreadable().count == 1, "an unreadable line is never dropped")
    #expect(try journal.allRecords().count == 56, "a warm reader starts over on the new file")
    let mode = try FileManager.default.attributesOfItem(atPath: journal.path)[.posixPermissions] as? Int
    #expect(mode == 0o600)
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains("compact") }
    #expect(leftovers.isEmpty)
    // Nothing more to drop: the file is left alone.
    #expect(try await journal.compact(cutoff: now - 30 * 86_400).dropped == 0)
  }
}
