import Foundation
import PartylineTestSupport
import Testing

/// DESIGN §5, untrusted text: a caller-ID name comes from the public telephone network. Cursor moves,
/// line erases, a terminal-title sequence and a right-to-left override in it never reach the person
/// reading `plan` or `calls`; in the pull request's Markdown it makes no link, image or mention.
@Suite struct UntrustedTextEndToEndTests {
  static let call = "c0ffee00-0000-4000-8000-000000000001"
  static let hostile =
    #"\e[1A\e[2K\e]0;pwned\a\u202Eevil [click](https://evil.example/x) ![i](https://evil.example/i.png) @octocat <b>x</b>"#

  static func world(_ name: String) throws -> (dir: URL, fixture: String, policies: String) {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("partyline-\(name)-\(getpid())")
    try? FileManager.default.removeItem(at: dir)
    try FileManager.default.createDirectory(
      at: dir.appendingPathComponent("policies"), withIntermediateDirectories: true)
    try """
    clients:
      - {id: partyline-demo, secret: partyline-demo-secret, permissions: ["*"]}
    users:
      - {id: c0ffee00-0000-4000-8000-0000000000a1, name: Agent A, email: a@example.com}
    conversations:
      - id: \(call)
        participants:
          - {id: c0ffee00-0000-4000-8000-0000000000c1, purpose: customer, state: connected, name: "\(hostile)"}
          - {id: c0ffee00-0000-4000-8000-0000000000b1, purpose: agent, state: connected, user: c0ffee00-0000-4000-8000-0000000000a1}
    """.write(to: dir.appendingPathComponent("org.yaml"), atomically: true, encoding: .utf8)
    try """
    apiVersion: partyline/v1
    kind: ConversationPolicy
    metadata: {name: hush}
    spec:
      conversation: \(call)
      mute: [{purpose: customer, for: 5m}]
    """.write(to: dir.appendingPathComponent("policies/hush.yaml"), atomically: true, encoding: .utf8)
    return (dir, dir.appendingPathComponent("org.yaml").path, dir.appendingPathComponent("policies").path)
  }

  /// No control or reordering character in what a terminal would show.
  static func terminalSafe(_ text: String) -> Bool {
    !text.unicodeScalars.contains {
      ($0.value < 0x20 && $0 != "\n") || (0x7F...0x9F).contains($0.value)
        || (0x202A...0x202E).contains($0.value)
        || (0x2066...0x2069).contains($0.value)
    }
  }

  @Test func aCallerNameCannotDriveTheTerminalOrThePullRequest() async throws {
    let w = try Self.world("untrusted")
    defer { try? FileManager.default.removeItem(at: w.dir) }
    let sim = try SimProcess([], fixture: w.fixture)
    defer { sim.stop() }
    let state = w.dir.appendingPathComponent("state").path

    let text = try await CLI.run(["plan", "--state", state, w.policies], environment: sim.environment)
    #expect(text.status == 0, "\(text.stderr)")
    #expect(text.stdout.contains(#"\x1B[1A\x1B[2K\x1B]0;pwned\x07\u202Eevil"#), "the name is shown, escaped")
    #expect(Self.terminalSafe(text.stdout), "\(text.stdout.debugDescription)")
    #expect(Self.terminalSafe(text.stderr))

    let calls = try await CLI.run(["calls"], environment: sim.environment)
    #expect(calls.status == 0, "\(calls.stderr)")
    #expect(calls.stdout.contains("evil"))
    #expect(Self.terminalSafe(calls.stdout), "\(calls.stdout.debugDescription)")

    let md = try await CLI.run(
      ["plan", "--format", "markdown", "--state", state, w.policies], environment: sim.environment)
    #expect(md.status == 0, "\(md.stderr)")
    #expect(md.stdout.contains("evil"))
    #expect(Self.terminalSafe(md.stdout))
    for made in ["](", "![", "<b>", "https://", "@octocat"] {
      #expect(!md.stdout.contains(made), "the Markdown holds '\(made)': \(md.stdout)")
    }
  }
}
