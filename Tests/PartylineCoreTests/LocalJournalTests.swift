import Foundation
import PartylineCore
import PartylineLocal
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
}
