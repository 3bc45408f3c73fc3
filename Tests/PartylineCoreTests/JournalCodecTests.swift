import Foundation
import PartylineCore
import Testing

/// The journal line's one codec: written in a fixed key order, read by `Codable`, versioned.
@Suite struct JournalCodecTests {
  let record = JournalRecord(
    kind: .intent, id: "r1-conv-0", at: 1_800_000_000.25, workspace: "default", run: "r1", action: .mute,
    conversation: "5f0c2a1e-0b6d-4c1e-9a51-1c2d3e4f5a6b", participant: "da272714-0a88-4f39-b75e-a3f723ef5c18",
    policy: "war-room", directive: "9e107d9d372bb682", actingUser: "2228f9a6-0995-4bdb-ba19-281dd0143a12",
    reason: "noise", leaseEnds: 1_800_001_800.25)

  @Test func aLineIsWrittenInTheDocumentedOrderAndReadBack() throws {
    #expect(
      record.line
        == #"{"v":1,"kind":"intent","id":"r1-conv-0","at":"2027-01-15T08:00:00.250Z","t":1800000000.25,"workspace":"default","run":"r1","action":"mute","conversation":"5f0c2a1e-0b6d-4c1e-9a51-1c2d3e4f5a6b","participant":"da272714-0a88-4f39-b75e-a3f723ef5c18","policy":"war-room","directive":"9e107d9d372bb682","actingUser":"2228f9a6-0995-4bdb-ba19-281dd0143a12","reason":"noise","leaseEnds":1800001800.25}"#
    )
    #expect(JournalRecord.parse(Substring(record.line)) == record)
    // The same object through any JSON encoder (PostgreSQL hands lines back reordered).
    let viaEncoder = String(decoding: try JSONEncoder().encode(record), as: UTF8.self)
    #expect(JournalRecord.parse(Substring(viaEncoder)) == record)
  }

  @Test func aLineOfALaterFormatOrWithoutARequiredFieldIsNotARecord() {
    let later = record.line.replacingOccurrences(of: #"{"v":1,"#, with: #"{"v":2,"#)
    #expect(JournalRecord.parse(Substring(later)) == nil)
    let noPolicy = record.line.replacingOccurrences(of: #""policy":"war-room","#, with: "")
    #expect(JournalRecord.parse(Substring(noPolicy)) == nil)
    #expect(JournalRecord.parse(#"{"v":1,"kind":"rumour"}"#) == nil)
    #expect(JournalRecord.parse("{\"v\":1,\"kind\":\"intent\",\"id\":\"x\"") == nil, "a torn line")
  }
}
