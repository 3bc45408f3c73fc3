import PartylineCore
import PartylineTestSupport
import Testing
import WireTime

@Suite struct GrammarTests {
  @Test(arguments: [
    ("90s", 90), ("30m", 1800), ("1h30m", 5400), ("2h", 7200), ("1h0m5s", 3605), ("PT1H30M", 5400),
    ("PT90S", 90),
  ])
  func durations(text: String, seconds: Int) throws {
    #expect(try Grammar.duration(text).get().seconds == seconds)
  }

  @Test(arguments: [
    "", "30", "m", "30x", "1m1h", "1h1h", "PT", "pt30m", "-5m", "1.5h", "30 m", "99999999999h",
  ])
  func badDurations(text: String) {
    #expect(throws: Grammar.DurationError.self) { try Grammar.duration(text).get() }
  }

  /// One grammar, three dialects: what flags and the emulator add to the policy grammar.
  @Test func theDialectsOfTheOneDurationGrammar() {
    func read(_ text: String, _ dialect: DurationText.Dialect) -> Double? {
      try? DurationText.seconds(text, dialect).get()
    }
    for (text, seconds) in [("500ms", 0.5), ("1.5s", 1.5), (".5s", 0.5), ("1m30s", 90), ("PT5M", 300)] {
      #expect(read(text, .flag) == seconds, "\(text)")
      #expect(read(text, .emulator) == seconds, "\(text)")
    }
    for text in ["500ms", "1.5s", "7", "0s", "1.5m"] { #expect(read(text, .policy) == nil, "\(text)") }
    for text in ["7", "0", "0s", "1..5s", "5msm", "1e3s"] { #expect(read(text, .flag) == nil, "\(text)") }
    #expect(read("7", .emulator) == 7)
    #expect(read("0", .emulator) == 0)
    #expect(read("1.5m", .emulator) == 90)
    #expect(read("2000000000s", .emulator) == nil, "longer than maxSeconds")
    #expect(DurationText.seconds("0s", .flag) == .failure(.notPositive))
  }

  @Test func canonicalDurationSpelling() {
    #expect(PolicyDuration(seconds: 90).description == "1m30s")
    #expect(PolicyDuration(seconds: 7200).description == "2h")
  }

  @Test(arguments: [
    "../x", "%2F", "a?b", "a#b", "a b", "ä", "5f0c2a1e-0b6d-4c1e-9a51-1c2d3e4f5a6",
    "5f0c2a1e/0b6d-4c1e-9a51-1c2d3e4f5a6b",
  ])
  func idsThatCouldEscapeAURLAreRejected(text: String) {
    #expect(Grammar.uuid(text) == nil)
  }

  @Test func uuidsAreLowercased() {
    #expect(Grammar.uuid("5F0C2A1E-0B6D-4C1E-9A51-1C2D3E4F5A6B") == "5f0c2a1e-0b6d-4c1e-9a51-1c2d3e4f5a6b")
  }

  @Test func emailsAndPhones() {
    #expect(Grammar.isEmail("jane.doe+x@example.co.uk"))
    for bad in [
      "jane", "@example.com", "jane@", "jane@localhost", "ja ne@example.com", "jane@exa/mple.com",
      "jäne@example.com",
    ] {
      #expect(!Grammar.isEmail(bad), "\(bad)")
    }
    #expect(
      !Grammar.isEmail(String(repeating: "a", count: 60) + "@" + String(repeating: "b", count: 200) + ".com"))
    #expect(Grammar.isE164("+4930123456"))
    for bad in ["4930123456", "+4930", "+1234567890123456", "+49 30 123456", "+49-30"] {
      #expect(!Grammar.isE164(bad), "\(bad)")
    }
  }

  @Test func names() {
    #expect(Grammar.isName("war-room-4711"))
    for bad in ["", "-a", "a-", "A", "a_b", String(repeating: "a", count: 64)] {
      #expect(!Grammar.isName(bad), "\(bad)")
    }
  }
}
