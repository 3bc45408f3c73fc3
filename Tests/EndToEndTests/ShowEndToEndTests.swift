import Foundation
import PartylineTestSupport
import Testing

/// `partyline show PLANFILE` of the built binary: a saved plan rendered for review, with its validity
/// and signature, and no network.
@Suite(.serialized) struct ShowEndToEndTests {
  /// A saved plan of the example policies against the emulator, in a directory of its own.
  func savedPlan(_ name: String, environment: [String: String] = [:]) async throws -> (dir: URL, file: String)
  {
    let sim = try SimProcess()
    defer { sim.stop() }
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "partyline-show-\(name)-\(getpid())")
    try? FileManager.default.removeItem(at: dir)
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let file = dir.appendingPathComponent("plan.json").path
    let r = try await CLI.run(
      ["plan", "--out", file, "--plan-ttl", "5m"], environment: sim.environment.merging(environment) { $1 })
    #expect(r.status == 0, "\(r.stderr)")
    return (dir, file)
  }

  func edit(_ path: String, _ change: (inout [String: Any]) -> Void) throws {
    var o = try #require(
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
    change(&o)
    try JSONSerialization.data(withJSONObject: o).write(to: URL(fileURLWithPath: path))
  }

  /// Every format, with no emulator and no credentials: the plan as `plan` shows it, under a header
  /// that says where it was made, until when it is valid and that it is not signed.
  @Test func aSavedPlanIsShownInEveryFormatWithoutTheNetwork() async throws {
    let (dir, file) = try await savedPlan("formats")
    defer { try? FileManager.default.removeItem(at: dir) }
    for (format, ext) in [("text", "txt"), ("json", "json"), ("markdown", "md")] {
      let r = try await CLI.run(["show", file, "--format", format])
      #expect(r.status == 0, "\(r.stderr)")
      try assertGolden(normalise(r.stdout), "show-saved.\(ext)")
    }
  }

  /// An expired plan is still shown, and said to be expired (apply --plan refuses it).
  @Test func anExpiredPlanIsShownAndSaidToBeExpired() async throws {
    let (dir, file) = try await savedPlan("expired")
    defer { try? FileManager.default.removeItem(at: dir) }
    try edit(file) { o in
      o["createdAt"] = "2026-01-01T00:00:00.000Z"
      o["notAfter"] = "2026-01-01T00:05:00.000Z"
    }
    let r = try await CLI.run(["show", file])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("expired at 2026-01-01T00:05:00.000Z: apply --plan refuses it"), "\(r.stdout)")
    let json = try await CLI.run(["show", file, "--format", "json"])
    #expect(json.stdout.contains(#""expired": true"#), "\(json.stdout)")
  }

  /// Signed with PARTYLINE_PLAN_KEY: shown as verified with the key, as not checked without it, and
  /// refused with another key (exit 1).
  @Test func aSignedPlanIsVerifiedWhenTheKeyIsSet() async throws {
    let key = ["PARTYLINE_PLAN_KEY": "a-key-of-thirty-two-characters-or-more-0123456789"]
    let (dir, file) = try await savedPlan("signed", environment: key)
    defer { try? FileManager.default.removeItem(at: dir) }
    let verified = try await CLI.run(["show", file], environment: key)
    #expect(verified.status == 0, "\(verified.stderr)")
    #expect(
      verified.stdout.contains("signed, and the signature matches PARTYLINE_PLAN_KEY"), "\(verified.stdout)")
    let unchecked = try await CLI.run(
      ["show", file, "--format", "json"], environment: ["PARTYLINE_PLAN_KEY": ""])
    #expect(
      unchecked.stdout.contains(#""signature": "unverified""#), "\(unchecked.stdout) \(unchecked.stderr)")
    let other = try await CLI.run(
      ["show", file], environment: ["PARTYLINE_PLAN_KEY": "another-key-of-thirty-two-characters-9876543210"])
    #expect(other.status == 1)
    #expect(other.stderr.contains("the signature does not match"), "\(other.stderr)")
    #expect(other.stdout.isEmpty)
  }

  /// The file is input: text in it never drives the terminal, and what is not a plan is an error.
  @Test func aHostilePlanNeverDrivesTheTerminalAndGarbageIsAnError() async throws {
    let (dir, file) = try await savedPlan("hostile")
    defer { try? FileManager.default.removeItem(at: dir) }
    try edit(file) { o in
      var changes = o["changes"] as? [[String: Any]] ?? []
      for i in changes.indices { changes[i]["subject"] = "caller\u{1B}]0;pwned\u{07}\u{202E}" }
      o["changes"] = changes
    }
    let r = try await CLI.run(["show", file])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(!r.stdout.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 || $0.value == 0x202E })
    #expect(r.stdout.contains(#"caller\x1B]0;pwned\x07\u202E"#), "\(r.stdout)")
    try "not a plan\n".write(toFile: file, atomically: true, encoding: .utf8)
    let garbage = try await CLI.run(["show", file])
    #expect(garbage.status == 1)
    #expect(garbage.stderr.hasPrefix("error: "), "\(garbage.stderr)")
    let missing = try await CLI.run(["show", dir.appendingPathComponent("none.json").path])
    #expect(missing.status == 1)
    #expect(missing.stderr.contains("cannot read the saved plan"), "\(missing.stderr)")
  }
}
