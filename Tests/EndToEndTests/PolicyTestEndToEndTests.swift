import Foundation
import Testing

/// `partyline test` with the built binary: the example policies' tests pass, a wrong expectation fails
/// with a diff at the test's location, names that do not exist are errors, finding no test is an
/// error; text, JSON and JUnit output (golden files, timings normalised).
@Suite struct PolicyTestEndToEndTests {
  static let inputs = "Tests/EndToEndTests/Inputs/policy-tests"

  /// Timings vary from run to run: `0.07 s` and `time="0.071"` become placeholders.
  static func timeless(_ s: String) -> String {
    s.replacingOccurrences(of: #"\d+\.\d+ s\)"#, with: "<t> s)", options: .regularExpression)
      .replacingOccurrences(of: #"time="\d+\.\d+""#, with: #"time="<t>""#, options: .regularExpression)
      .replacingOccurrences(
        of: #""seconds": [0-9.e-]+"#, with: #""seconds": <t>"#, options: .regularExpression)
  }

  /// Whether Python's XML parser (what CI report tools are built on) reads `text`.
  static func wellFormedXML(_ text: String) throws -> Bool {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3", "-c", "import sys, xml.etree.ElementTree as E; E.fromstring(sys.stdin.read())"]
    let input = Pipe()
    p.standardInput = input
    p.standardError = FileHandle.nullDevice
    try p.run()
    input.fileHandleForWriting.write(Data(text.utf8))
    try input.fileHandleForWriting.close()
    p.waitUntilExit()
    return p.terminationStatus == 0
  }

  @Test func theExamplePoliciesShipWithTestsThatPass() async throws {
    let r = try await CLI.run(["test"])
    #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
    try assertGolden(Self.timeless(r.stdout), "test-pass.txt")
    // Policy discovery skips the tests beside the policies.
    let v = try await CLI.run(["validate"])
    #expect(v.status == 0 && !v.stderr.contains("PolicyTest"), "\(v.stderr)")
  }

  @Test func aWrongExpectationFailsWithADiff() async throws {
    let r = try await CLI.run(["test", "\(Self.inputs)/failing"])
    #expect(r.status == 1)
    try assertGolden(Self.timeless(r.stdout), "test-fail.txt")
    let junit = try await CLI.run(["test", "\(Self.inputs)/failing", "--format", "junit"])
    #expect(junit.status == 1)
    try assertGolden(Self.timeless(junit.stdout), "test-fail.junit.xml")
    #expect(try Self.wellFormedXML(junit.stdout), "JUnit output that an XML parser refuses")
    let json = try await CLI.run(["test", "\(Self.inputs)/failing", "--format", "json"])
    try assertGolden(Self.timeless(json.stdout), "test-fail.json")
  }

  @Test func namesThatDoNotExistAreErrorsNeverAPass() async throws {
    let r = try await CLI.run(["test", "\(Self.inputs)/unknown"])
    #expect(r.status == 1)
    try assertGolden(Self.timeless(r.stdout) + "--- stderr\n" + r.stderr, "test-error.txt")
  }

  @Test func findingNoTestIsAnError() async throws {
    let none = try await CLI.run(["test", "sim"])
    #expect(none.status == 1)
    #expect(none.stderr == "error: no tests found (*.test.yaml) in 'sim'\n", "\(none.stderr)")
    let filtered = try await CLI.run(["test", "--run", "^no-such-test$"])
    #expect(filtered.status == 1)
    #expect(filtered.stderr.contains("no tests found (*.test.yaml) in 'policies' matching '^no-such-test$'"))
    let only = try await CLI.run(["test", "--run", "unanswered"])
    #expect(only.status == 0)
    #expect(only.stdout.hasSuffix("1 passed, 0 failed, 0 errors\n"), "\(only.stdout)")
    let bad = try await CLI.run(["test", "--run", "("])
    #expect(bad.status != 0 && bad.stderr.contains("invalid --run"))
  }

  /// The journal in force at `now` decides too: a lease still running is not muted again.
  @Test func theJournalInForceIsPlannedWith() async throws {
    let r = try await CLI.run(["test", "\(Self.inputs)/journal"])
    #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
  }

  /// `from: connect` under test: the world says when the customer connected.
  @Test func aLateGreetingMuteIsTestedWithTheWorldsConnectedTime() async throws {
    let r = try await CLI.run(["test", "\(Self.inputs)/connect"])
    #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
    #expect(r.stdout.hasSuffix("2 passed, 0 failed, 0 errors\n"))
  }

  /// A recording pause under test: paused for what is left of its window (a monitoring supervisor on
  /// the call is neither needed nor counted), and resumed once the journal's lease has ended.
  @Test func aRecordingPauseIsTestedWithItsJournal() async throws {
    let r = try await CLI.run(["test", "\(Self.inputs)/pause"])
    #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
    #expect(r.stdout.hasSuffix("2 passed, 0 failed, 0 errors\n"))
  }

  /// A policy's calendar under test: muted until its window closes (20 of 30 minutes), nothing after.
  @Test func aCalendarIsTestedAtTheTestsClock() async throws {
    let r = try await CLI.run(["test", "\(Self.inputs)/calendar"])
    #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
    #expect(r.stdout.hasSuffix("2 passed, 0 failed, 0 errors\n"))
  }
}
