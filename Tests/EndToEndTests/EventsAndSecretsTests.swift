import Foundation
import PartylineCore
import PartylineTestSupport
import Testing

@Suite(.serialized) struct EventsAndSecretsTests {
  /// HMAC-SHA256 of `body` keyed by `key`, hex, as Python's `hmac` computes it.
  static func pythonHMAC(key: String, body: String) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = [
      "python3", "-c",
      "import hmac, hashlib, sys; k, m = sys.stdin.buffer.read().split(b'\\0', 1); print(hmac.new(k, m, hashlib.sha256).hexdigest())",
    ]
    let input = Pipe()
    let output = Pipe()
    p.standardInput = input
    p.standardOutput = output
    try p.run()
    input.fileHandleForWriting.write(Data(key.utf8) + Data([0]) + Data(body.utf8))
    try input.fileHandleForWriting.close()
    let out = output.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return String(decoding: out, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
  }

  /// A receiver that refuses a delivery once gets it again, with the same delivery id, after the
  /// backoff (the one retry loop, `Backoff.retrying`).
  @Test func aRefusedDeliveryIsSentAgainWithTheSameId() async throws {
    let project = try Project("flaky-hook", .local, state: nil, muteFor: "30m")
    defer { project.remove() }
    let world = try SecretWorld(project, secret: "s3cret-value-1", webhookSecret: "hook-secret-2")
    defer { world.stop() }
    let apply = try await CLI.run(
      [
        "apply", "--yes", "--state", project.state, "--webhook", "http://127.0.0.1:\(world.port)/flaky",
        project.policies,
      ], environment: world.environment)
    #expect(apply.status == 0, "\(apply.stderr)")
    let hooks = try String(contentsOfFile: world.received, encoding: .utf8).split(separator: "\n").compactMap
    {
      try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
    }
    let ids = hooks.compactMap { ($0["headers"] as? [String: String])?["X-Partyline-Delivery"] }
    #expect(!ids.isEmpty && ids.count == 2 * Set(ids).count, "each delivery twice: \(ids)")
  }

  @Test func webhookMetricsAndNoSecretAnywhere() async throws {
    let project = try Project("events", .local, state: nil, muteFor: "30m")
    defer { project.remove() }
    let secret = "client-secret-XYZZY-42"
    let webhookSecret = "webhook-secret-PLUGH-7"
    let world = try SecretWorld(project, secret: secret, webhookSecret: webhookSecret)
    defer { world.stop() }
    let (env, port, received) = (world.environment, world.port, world.received)
    let metrics = project.dir.appendingPathComponent("metrics.prom").path
    let planFile = project.dir.appendingPathComponent("plan.json").path
    var outputs: [String] = []
    let plan = try await CLI.run(
      ["plan", "--out", planFile, "--state", project.state, project.policies], environment: env)
    outputs += [plan.stdout, plan.stderr]
    let apply = try await CLI.run(
      [
        "apply", "--yes", "--state", project.state, "--webhook", "http://127.0.0.1:\(port)/hook",
        "--metrics-file",
        metrics, "--latency-warn", "0.1ms", project.policies,
      ], environment: env)
    #expect(apply.status == 0, "\(apply.stderr)")
    outputs += [apply.stdout, apply.stderr]
    #expect(apply.stderr.contains("more than --latency-warn"))

    // Webhook: one signed body per outcome, no API credentials.
    let hooks = try String(contentsOfFile: received, encoding: .utf8).split(separator: "\n").compactMap {
      try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
    }
    #expect(hooks.count == 5)
    let deliveries = Set(hooks.compactMap { ($0["headers"] as? [String: String])?["X-Partyline-Delivery"] })
    #expect(deliveries.count == 5, "each delivery has an id of its own")
    for h in hooks {
      let body = h["body"] as? String ?? ""
      let headers = (h["headers"] as? [String: String] ?? [:]).reduce(into: [String: String]()) {
        $0[$1.key.lowercased()] = $1.value
      }
      // Checked with Python's hmac, not with our own code: the timestamp and the delivery id are
      // signed with the body, so a replay is seen (an old timestamp, a delivery id seen before).
      let timestamp = try #require(headers["x-partyline-timestamp"].flatMap(Double.init))
      let delivery = try #require(headers["x-partyline-delivery"])
      #expect(abs(timestamp - Date().timeIntervalSince1970) < 120)
      #expect(UUID(uuidString: delivery) != nil)
      let expected =
        try "sha256="
        + Self.pythonHMAC(key: webhookSecret, body: "\(Int(timestamp)).\(delivery).\(body)")
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

  /// validate, plan, apply, watch (with the webhook and metrics) and a plan with a ready-made token, with
  /// known secrets everywhere: the client secret, an access token, the webhook secret and the
  /// PostgreSQL password (when a server is there; the local journal otherwise). None of them may show
  /// in stdout, stderr, the journal, the saved plan, the metrics or a webhook body.
  @Test func noCommandEverShowsASecret() async throws {
    let password = "pg-password-FROBOZZ-9"
    var state: String?
    if TestPostgres.runnable {
      var url = URLComponents(string: try await TestPostgres.freshDatabase("secrets"))!
      url.password = password  // the test server trusts loopback: any password is accepted, and carried
      state = url.string!
    }
    let project = try Project("secrets", state == nil ? .local : .postgres, state: state, muteFor: "2s")
    defer { project.remove() }
    let secret = "client-secret-XYZZY-43"
    let webhookSecret = "webhook-secret-PLUGH-8"
    let world = try SecretWorld(project, secret: secret, webhookSecret: webhookSecret)
    defer { world.stop() }
    let (sim, env, port, received) = (world.sim, world.environment, world.port, world.received)
    let metrics = project.dir.appendingPathComponent("metrics.prom").path
    let planFile = project.dir.appendingPathComponent("plan.json").path
    let events = ["--webhook", "http://127.0.0.1:\(port)/hook", "--metrics-file", metrics]
    var outputs: [String] = []
    func run(_ args: [String], _ environment: [String: String]) async throws -> CLI.Result {
      let r = try await CLI.run(args, environment: environment)
      outputs += [r.stdout, r.stderr]
      return r
    }
    #expect(try await run(["validate", project.policies], env).status == 0)
    #expect(
      try await run(["plan", "--out", planFile, "--state", project.state, project.policies], env).status == 0)
    let apply = try await run(
      ["apply", "--yes", "--state", project.state] + events + [project.policies], env)
    #expect(apply.status == 0, "\(apply.stderr)")

    // watch serves the 2 s lease: its revert goes through the webhook too.
    let watch = Process()
    watch.executableURL = CLI.binary
    watch.arguments = ["watch", "--interval", "1s", "--state", project.state] + events + [project.policies]
    var watchEnv = ProcessInfo.processInfo.environment
    for (k, v) in env { watchEnv[k] = v }
    watch.environment = watchEnv
    let watchOut = Pipe()
    let watchErr = Pipe()
    watch.standardOutput = watchOut
    watch.standardError = watchErr
    try watch.run()
    let deadline = Date().addingTimeInterval(20)
    while Date() < deadline {
      let hooks = (try? String(contentsOfFile: received, encoding: .utf8)) ?? ""
      if hooks.contains("revert") { break }
      try await Task.sleep(nanoseconds: 200_000_000)
    }
    watch.terminate()
    await watch.exited()
    #expect(watch.terminationStatus == 0)
    outputs.append(String(decoding: watchOut.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
    outputs.append(String(decoding: watchErr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))

    // A token minted elsewhere (GENESYSCLOUD_ACCESS_TOKEN) instead of client credentials.
    var tokenEnv = sim.environment
    tokenEnv["GENESYSCLOUD_OAUTHCLIENT_ID"] = nil
    tokenEnv["GENESYSCLOUD_OAUTHCLIENT_SECRET"] = nil
    let (status, data) = try await sim.requestToken(secret: secret)
    #expect(status == 200)
    let token = try #require(
      (try JSONSerialization.jsonObject(with: data) as? [String: Any])?["access_token"] as? String)
    tokenEnv["GENESYSCLOUD_ACCESS_TOKEN"] = token
    #expect(try await run(["plan", "--state", project.state, project.policies], tokenEnv).status == 0)

    let hooks = try String(contentsOfFile: received, encoding: .utf8)
    #expect(hooks.contains("revert"), "watch's revert reached the webhook")
    outputs.append(hooks)
    outputs.append(try String(contentsOfFile: metrics, encoding: .utf8))
    outputs.append(try String(contentsOfFile: planFile, encoding: .utf8))
    let journal = try await project.journal()
    #expect(journal.contains(.outcome, .revert))
    outputs.append(journal.records.map(\.line).joined(separator: "\n"))
    if project.backend == .local {
      outputs.append(try String(contentsOfFile: project.state + "/journal.jsonl", encoding: .utf8))
    }
    for (i, text) in outputs.enumerated() {
      for known in [secret, webhookSecret, password, token] {
        #expect(!text.contains(known), "a secret leaked in output \(i): \(text.prefix(300))")
      }
      #expect(!text.lowercased().contains("bearer "), "a token leaked in output \(i)")
    }
    var files = [planFile, metrics]
    if project.backend == .local { files.append(project.state + "/journal.jsonl") }
    for file in files {
      let mode = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
      #expect(mode == 0o600, "\(file)")
    }
  }

  @Test func webhookMustBeHttpsOffLoopback() async throws {
    let r = try await CLI.run(["apply", "--yes", "--sandbox", "--webhook", "http://hooks.example.com/x"])
    #expect(r.status == 1)
    #expect(r.stderr.contains("must be an https URL (plain http only on loopback)"))
  }
}

/// DESIGN §5: webhooks follow no redirects. The receiver answers 307 towards another path; a sender
/// that followed it would carry the body and its signature there.
@Suite struct WebhookRedirectTests {
  @Test func aRedirectIsNotFollowed() async throws {
    let project = try Project("hook-redirect", .local, state: nil, muteFor: "30m")
    defer { project.remove() }
    let world = try SecretWorld(project, secret: "s-1", webhookSecret: "w-1")
    defer { world.stop() }
    let apply = try await CLI.run(
      [
        "apply", "--yes", "--state", project.state, "--webhook", "http://127.0.0.1:\(world.port)/redirect",
        project.policies,
      ], environment: world.environment)
    #expect(apply.status == 0, "\(apply.stderr)")
    let paths = try String(contentsOfFile: world.received, encoding: .utf8).split(separator: "\n").compactMap
    {
      (try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["path"] as? String
    }
    #expect(!paths.isEmpty)
    #expect(paths.allSatisfy { $0 == "/redirect" }, "\(paths)")
  }
}

/// The emulator with a client secret of the test's own (the demo organisation otherwise), a webhook
/// receiver, and the environment that points the CLI at both with the secrets set.
struct SecretWorld {
  let sim: SimProcess
  let receiver: Process
  let port: String
  /// The file the receiver writes each request to, one JSON object a line.
  let received: String
  let environment: [String: String]

  init(_ project: Project, secret: String, webhookSecret: String) throws {
    var fixture = String(
      decoding: try Data(contentsOf: CLI.packageRoot.appendingPathComponent("sim/demo-organisation.yaml")),
      as: UTF8.self)
    fixture = fixture.replacingOccurrences(of: "secret: partyline-demo-secret", with: "secret: \(secret)")
    let fixturePath = project.dir.appendingPathComponent("org.yaml").path
    try fixture.write(toFile: fixturePath, atomically: true, encoding: .utf8)
    sim = try SimProcess(fast, fixture: fixturePath)
    do {
      (receiver, port, received) = try Self.startReceiver(project)
    } catch {
      sim.stop()
      throw error
    }
    var env = sim.environment
    env["GENESYSCLOUD_OAUTHCLIENT_SECRET"] = secret
    env["PARTYLINE_WEBHOOK_SECRET"] = webhookSecret
    environment = env
  }

  /// SIGKILL for the receiver: a test runner may leave SIGTERM ignored in its children.
  func stop() {
    kill(receiver.processIdentifier, SIGKILL)
    receiver.waitUntilExit()
    sim.stop()
  }

  /// The webhook receiver (Inputs/webhook_receiver.py): the process, its port and the file it writes.
  static func startReceiver(_ project: Project) throws -> (Process, String, String) {
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
    return (receiver, portPipe.fileHandleForReading.readLine(), received)
  }
}
