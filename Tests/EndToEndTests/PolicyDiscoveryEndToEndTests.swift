import Foundation
import PartylineTestSupport
import Testing

/// DESIGN §5, untrusted text: a pull request can add anything under `policies/`. Discovery reads
/// regular files only (a FIFO named `*.yaml` is skipped, never waited on) and refuses a symbolic link
/// that leaves the directory, without printing a line of what it points to.
@Suite struct PolicyDiscoveryEndToEndTests {
  /// `partyline validate DIR` under `timeout -s KILL 30` (the test runner's children ignore SIGTERM): a hang is a failure, not a stuck suite.
  static func validate(_ dir: String) throws -> (status: Int32, output: String) {
    var env = ProcessInfo.processInfo.environment
    env["NO_COLOR"] = "1"
    return try runToExit(
      ["/usr/bin/timeout", "-s", "KILL", "30", CLI.binary.path, "validate", dir], environment: env)
  }

  @Test func aLinkOutOfTheDirectoryIsRefusedAndAFIFOIsSkipped() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("partyline-discovery-\(getpid())")
    try? FileManager.default.removeItem(at: dir)
    defer { try? FileManager.default.removeItem(at: dir) }
    let policies = dir.appendingPathComponent("policies")
    try FileManager.default.createDirectory(
      at: policies.appendingPathComponent("team"), withIntermediateDirectories: true)
    try "db_password: hunter2\nkind: secret\n".write(
      to: dir.appendingPathComponent("secret.yaml"), atomically: true, encoding: .utf8)
    try """
    apiVersion: partyline/v1
    kind: ConversationPolicy
    metadata: {name: noisy-line}
    spec:
      conversation: \(Demo.Call.noisy)
      mute: [{purpose: customer, for: 5m}]
    """.write(to: policies.appendingPathComponent("team/noisy.yaml"), atomically: true, encoding: .utf8)
    // A link inside the directory is read as the file it names.
    try FileManager.default.createSymbolicLink(
      atPath: policies.appendingPathComponent("alias.yml").path, withDestinationPath: "team/noisy.yaml")
    #expect(mkfifo(policies.appendingPathComponent("pipe.yaml").path, 0o600) == 0)

    let clean = try Self.validate(policies.path)
    #expect(clean.status == 0, "\(clean.output)")
    #expect(clean.output.contains("policy_not_regular"), "\(clean.output)")
    #expect(clean.output.contains("pipe.yaml"))

    try FileManager.default.createSymbolicLink(
      atPath: policies.appendingPathComponent("leak.yaml").path, withDestinationPath: "../secret.yaml")
    let leaky = try Self.validate(policies.path)
    #expect(leaky.status == 1, "\(leaky.output)")
    #expect(leaky.output.contains("policy_link_outside"), "\(leaky.output)")
    #expect(leaky.output.contains("leak.yaml"))
    #expect(!leaky.output.contains("hunter2"), "\(leaky.output)")
    #expect(!leaky.output.contains("secret.yaml"), "the target is not named")
  }
}
