import Foundation
import PartylineCore
import Testing

@Suite(.serialized) struct EventsAndSecretsTests {
  @Test func webhookMetricsAndNoSecretAnywhere() async throws {
    let project = try Project("events", .local, state: nil, muteFor: "30m")
    defer { project.remove() }
    let secret = "client-secret-XYZZY-42"
    let webhookSecret = "webhook-secret-PLUGH-7"
    // A client with a secret of our own, and the demo organisation.
    var fixture = String(
      decoding: try Data(contentsOf: CLI.packageRoot.appendingPathComponent("sim/demo-organisation.yaml")),
      as: UTF8.self)
    fixture = fixture.replacingOccurrences(of: "secret: partyline-demo-secret", with: "secret: \(secret)")
    let fixturePath = project.dir.appendingPathComponent("org.yaml").path
    try fixture.write(toFile: fixturePath, atomically: true, encoding: .utf8)
    let sim = try SimProcess(fast, fixture: fixturePath)
    defer { sim.stop() }

    let received = project.dir.appendingPathComponent("hooks.jsonl").path
    let receiver = Process()
    receiver.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    receiver.arguments = [
      "python3",
      CLI.packageRoot.appendingPathComponent("Tests/EndToEndTests/Inputs/webhook_receiver.py").path, received,
    ]
    let portPipe = Pipe()
    receiver.standardOutput = portPipe
    receiver.standardError = FileHandle.nullDevice
    receiver.standardInput = FileHandle.nullDevice
    try receiver.run()
    // SIGKILL: a test runner may leave SIGTERM ignored in its children.
    defer {
      kill(receiver.processIdentifier, SIGKILL)
      receiver.waitUntilExit()
    }
    var portBytes: [UInt8] = []
    while true {
      let b = portPipe.fileHandleForReading.readData(ofLength: 1)
      guard let c = b.first, c != 10 else { break }
      portBytes.append(c)
    }
    let port = String(decoding: portBytes, as: UTF8.self)

    var env = sim.environment
    env["GENESYSCLOUD_OAUTHCLIENT_SECRET"] = secret
    env["PARTYLINE_WEBHOOK_SECRET"] = webhookSecret
    let metrics = project.dir.appendingPathComponent("metrics.prom").path
    let planFile = project.dir.appendingPathComponent("plan.json").path
    var outputs: [String] = []
    let plan = try CLI.run(
      ["plan", "--out", planFile, "--state", project.state, project.policies], environment: env)
    outputs += [plan.stdout, plan.stderr]
    let apply = try CLI.run(
      [
        "apply", "--yes", "--state", project.state, "--webhook", "http://127.0.0.1:\(port)/hook",
        "--metrics-file",
        metrics, "--latency-warn", "0.0001", project.policies,
      ], environment: env)
    #expect(apply.status == 0, "\(apply.stderr)")
    outputs += [apply.stdout, apply.stderr]
    #expect(apply.stderr.contains("more than --latency-warn"))

    // Webhook: one signed body per outcome, no API credentials.
    let hooks = try String(contentsOfFile: received, encoding: .utf8).split(separator: "\n").compactMap {
      try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
    }
    #expect(hooks.count == 5)
    for h in hooks {
      let body = h["body"] as? String ?? ""
      let headers = (h["headers"] as? [String: String] ?? [:]).reduce(into: [String: String]()) {
        $0[$1.key.lowercased()] = $1.value
      }
      let expected =
        "sha256=" + Digest.hex(Digest.hmacSHA256(key: Array(webhookSecret.utf8), message: Array(body.utf8)))
      #expect(headers["x-partyline-signature"] == expected)
      #expect(headers["authorization"] == nil, "the API token is never sent to the webhook")
      #expect(body.contains("\"type\":\"partyline.outcome\""))
      outputs.append(body)
    }
    let metricsText = try String(contentsOfFile: metrics, encoding: .utf8)
    #expect(metricsText.contains("partyline_calls_total{action=\"mute\",status=\"ok\"} 1"))
    #expect(metricsText.contains("partyline_open_leases 1"))
    outputs.append(metricsText)
    outputs.append(
      try String(contentsOfFile: project.state + "/journal.jsonl", encoding: String.Encoding.utf8))
    outputs.append(try String(contentsOfFile: planFile, encoding: .utf8))
    for (i, text) in outputs.enumerated() {
      #expect(!text.contains(secret), "client secret leaked in output \(i)")
      #expect(!text.contains(webhookSecret), "webhook secret leaked in output \(i)")
      #expect(!text.lowercased().contains("bearer "), "a token leaked in output \(i)")
    }
    for file in [planFile, project.state + "/journal.jsonl"] {
      let mode = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
      #expect(mode == 0o600, "\(file)")
    }
  }

  @Test func webhookMustBeHttpsOffLoopback() throws {
    let r = try CLI.run(["apply", "--yes", "--sandbox", "--webhook", "http://hooks.example.com/x"])
    #expect(r.status == 1)
    #expect(r.stderr.contains("--webhook must be an https URL"))
  }
}
