import Foundation
#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif
import PartylineTestSupport
import Testing

/// Operating a watcher (DESIGN §4): `watch --listen` serves `/healthz`, `/readyz` and `/metrics`
/// (read here by Prometheus's own Python parser), and `--log-format json` writes one JSON object per
/// line.
@Suite struct OperatingEndToEndTests {
  static let parserAvailable: Bool = {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3", "-c", "import prometheus_client"]
    p.standardError = FileHandle.nullDevice
    guard (try? p.run()) != nil else { return false }
    p.waitUntilExit()
    return p.terminationStatus == 0
  }()
  static let skipNote =
    "needs Python's prometheus_client (pip install prometheus_client; .ci/run installs it)"

  /// The port `watch` says it serves on (a text line, or a JSON one).
  static func port(_ stderr: String) -> Int? {
    guard let line = stderr.split(separator: "\n").first(where: { $0.contains("serving /metrics") }),
      let match = line.firstMatch(of: /on 127\.0\.0\.1:([0-9]+)/)
    else { return nil }
    return Int(match.1)
  }

  static func get(_ port: Int, _ path: String) async throws -> (Int, String) {
    let (data, response) = try await URLSession.shared.data(
      from: URL(string: "http://127.0.0.1:\(port)\(path)")!)
    return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
  }

  /// Prometheus's parser over the exposition: `name{labels} value` per sample, sorted.
  static func parsed(_ text: String) throws -> [String: Double] {
    let script = """
      import sys
      from prometheus_client.parser import text_string_to_metric_families
      for family in text_string_to_metric_families(open(sys.argv[1]).read()):
          for s in family.samples:
              labels = ",".join(f'{k}="{v}"' for k, v in sorted(s.labels.items()))
              print(f"{s.name}{{{labels}}} {s.value}")
      """
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("metrics-\(getpid()).txt")
    try text.write(to: file, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: file) }
    let out = try runToExit(["/usr/bin/env", "python3", "-c", script, file.path])
    guard out.status == 0 else { throw ParseFailed(description: out.output) }
    var samples: [String: Double] = [:]
    for line in out.output.split(separator: "\n") {
      guard let space = line.lastIndex(of: " "), let v = Double(line[line.index(after: space)...]) else {
        continue
      }
      samples[String(line[..<space])] = v
    }
    return samples
  }
  struct ParseFailed: Error, CustomStringConvertible { var description: String }

  @Test(.enabled(if: parserAvailable || TestPostgres.underCI, Comment(rawValue: skipNote)))
  func endpointsAnswerAndMetricsParseAndJSONLogLinesParse() async throws {
    let project = try await Project.make("endpoints", .local, muteFor: "5m")
    defer { project.remove() }
    let sim = try SimProcess(fast)
    defer { sim.stop() }
    let watch = try SelectEndToEndTests.Watch(
      [
        "watch", "--interval", "60s", "--listen", "127.0.0.1:0", "--log-format", "json", "--state",
        project.state, project.policies,
      ], environment: sim.environment, dir: project.dir)
    defer { watch.terminate() }
    #expect(await SelectEndToEndTests.wait(20) { watch.stderr.contains("Apply complete") }, "\(watch.stderr)")
    let port = try #require(Self.port(watch.stderr), "\(watch.stderr)")
    let (health, healthBody) = try await Self.get(port, "/healthz")
    #expect(health == 200 && healthBody.contains("alive"))
    // Ready once the event stream is connected.
    var ready: (Int, String) = (0, "")
    _ = try await SelectEndToEndTests.wait(10) {
      ready = try await Self.get(port, "/readyz")
      return ready.0 == 200
    }
    #expect(ready.0 == 200, "\(ready.1)")
    let r = try #require(try JSONSerialization.jsonObject(with: Data(ready.1.utf8)) as? [String: Any])
    #expect(r["status"] as? String == "ready")
    #expect(r["role"] as? String == "single")
    #expect(r["eventStream"] as? String == "connected")
    #expect(r["stateStore"] as? String == "ok")
    #expect((r["openLeases"] as? Int ?? 0) >= 1, "the noisy line's customer is muted: \(ready.1)")
    #expect(r["nextRevert"] is String)
    let (status, text) = try await Self.get(port, "/metrics")
    #expect(status == 200)
    let m = try Self.parsed(text)
    #expect(m["partyline_leader{}"] == 1, "\(text)")
    #expect((m["partyline_open_leases{}"] ?? 0) >= 1)
    #expect((m["partyline_requests_total{class=\"read\"}"] ?? 0) >= 1, "\(text)")
    #expect((m["partyline_requests_total{class=\"write\"}"] ?? 0) >= 1)
    #expect((m["partyline_calls_total{action=\"mute\",status=\"ok\"}"] ?? 0) >= 1, "\(text)")
    #expect(m["partyline_reverts_late_total{}"] == 0)
    #expect(
      m["partyline_reverts_promised_early_total{}"] == 0,
      "one mute alone is promised at its lease's end, not within the slack: \(text)")
    #expect(await watch.stop() < 10)
    // Every line of the log is one JSON object with a time, a level and a message.
    let lines = watch.stderr.split(separator: "\n")
    #expect(lines.count >= 4)
    for line in lines {
      let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
      #expect(
        o?["time"] is String && o?["level"] is String && o?["message"] is String,
        "not a JSON log line: \(line)")
    }
    #expect(lines.contains { $0.contains("\"message\":\"watch stopped") })
  }

  @Test func aListenAddressThatIsNotOneIsRefused() async throws {
    let r = try await CLI.run(["watch", "--listen", "nowhere", "policies"])
    #expect(r.status != 0)
    #expect(r.stderr.contains("--listen 'nowhere' is not an address"), "\(r.stderr)")
  }

  // MARK: The deployment examples, run

  /// What docs/deploy/kubernetes.yaml says, read by PyYAML: each container's args and probes.
  struct Kubernetes: Decodable {
    var replicas: Int
    var watchArgs: [String]
    var ports: [Int]
    var readiness: Probe
    var liveness: Probe
    var applyArgs: [String]
    var schedule: String
    struct Probe: Decodable {
      var path: String
      var port: Int
    }
  }

  static func kubernetes() throws -> Kubernetes {
    let script = """
      import json, sys, yaml
      docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
      dep = next(d for d in docs if d["kind"] == "Deployment")
      job = next(d for d in docs if d["kind"] == "CronJob")
      c = dep["spec"]["template"]["spec"]["containers"][0]
      a = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
      probe = lambda p: {"path": p["httpGet"]["path"], "port": p["httpGet"]["port"]}
      print(json.dumps({"replicas": dep["spec"]["replicas"], "watchArgs": c["args"],
        "ports": [p["containerPort"] for p in c["ports"]], "readiness": probe(c["readinessProbe"]),
        "liveness": probe(c["livenessProbe"]), "applyArgs": a["args"], "schedule": job["spec"]["schedule"]}))
      """
    let path = CLI.packageRoot.appendingPathComponent("docs/deploy/kubernetes.yaml").path
    let out = try runToExit(["/usr/bin/env", "python3", "-c", script, path])
    guard out.status == 0 else { throw ParseFailed(description: out.output) }
    return try JSONDecoder().decode(Kubernetes.self, from: Data(out.output.utf8))
  }

  /// `args` with the listen address's port replaced by `port` (on loopback) and the policy directory
  /// `policies` by `dir`; the port the example listens on.
  static func localised(_ args: [String], port: Int, policies: String, dir: String) -> (
    args: [String], listened: Int?
  ) {
    var out: [String] = []
    var listened: Int?
    var i = 0
    while i < args.count {
      if args[i] == "--listen", i + 1 < args.count {
        listened = WatchAddress.port(args[i + 1])
        out += ["--listen", "127.0.0.1:\(port)"]
        i += 2
        continue
      }
      out.append(args[i] == policies ? dir : args[i])
      i += 1
    }
    return (out, listened)
  }

  enum WatchAddress {
    static func port(_ s: String) -> Int? { s.split(separator: ":").last.flatMap { Int($0) } }
  }

  static func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = 0
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafePointer(to: &addr) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) }
    }
    _ = withUnsafeMutablePointer(to: &addr) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
    }
    return Int(UInt16(bigEndian: addr.sin_port))
  }

  /// The Kubernetes example: its two watcher replicas, run here with its arguments (the listen port
  /// and the policy directory localised) against one PostgreSQL, answer their probes — one leads,
  /// one stands by, both ready, both alive; its CronJob's apply runs beside them; and the systemd
  /// unit's ExecStart, run from its working directory, stands by beside them.
  @Test(
    .enabled(if: TestPostgres.runnable, Comment(rawValue: TestPostgres.skipNote)),
    .enabled(if: parserAvailable || TestPostgres.underCI, Comment(rawValue: skipNote)))
  func theDeploymentExamplesRunAndAnswerTheirProbes() async throws {
    let k = try Self.kubernetes()
    #expect(k.replicas == 2)
    let project = try await Project.make("deploy", .postgres, muteFor: "5m")
    defer { project.remove() }
    let sim = try SimProcess(fast)
    defer { sim.stop() }
    var env = sim.environment
    env["PARTYLINE_STATE"] = project.state
    var replicas: [(SelectEndToEndTests.Watch, Int)] = []
    defer { for (w, _) in replicas { w.terminate() } }
    for n in 0..<k.replicas {
      let port = try Self.freePort()
      let (args, listened) = Self.localised(
        k.watchArgs, port: port, policies: "/policies", dir: project.policies)
      #expect(listened == k.readiness.port && listened == k.liveness.port && k.ports.contains(listened ?? -1))
      #expect(args.first == "watch")
      replicas.append(
        (try SelectEndToEndTests.Watch(args, environment: env, dir: project.dir, name: "replica-\(n)"), port))
      try await Task.sleep(nanoseconds: 500_000_000)
    }
    var roles: [String] = []
    for (w, port) in replicas {
      var ready = (0, "")
      _ = await SelectEndToEndTests.wait(15) {
        ready = (try? await Self.get(port, k.readiness.path)) ?? (0, "")
        return ready.0 == 200
      }
      #expect(ready.0 == 200, "\(ready.1)\n\(w.stderr.suffix(1500))")
      let role = (try? JSONSerialization.jsonObject(with: Data(ready.1.utf8)) as? [String: Any])?["role"]
      roles.append(role as? String ?? "?")
      #expect(try await Self.get(port, k.liveness.path).0 == 200)
      // Every log line is JSON (the example asks for it).
      for line in w.stderr.split(separator: "\n") {
        #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil, "\(line)")
      }
    }
    #expect(roles.sorted() == ["leader", "standby"])
    // The CronJob's apply, beside the watchers.
    let (applyArgs, _) = Self.localised(k.applyArgs, port: 0, policies: "/policies", dir: project.policies)
    let apply = try await CLI.run(applyArgs, environment: env)
    #expect(apply.status == 0, "\(apply.stderr)")
    // The systemd unit's command, from its working directory: a third watcher, standing by.
    let unit = try String(
      contentsOf: CLI.packageRoot.appendingPathComponent("docs/deploy/partyline-watch.service"),
      encoding: .utf8)
    let exec = try #require(unit.split(separator: "\n").first { $0.hasPrefix("ExecStart=") })
    let words = exec.dropFirst("ExecStart=".count).split(separator: " ").map(String.init)
    #expect(words.first == "/usr/local/bin/partyline")
    let port = try Self.freePort()
    let (args, listened) = Self.localised(Array(words.dropFirst()), port: port, policies: "-", dir: "-")
    #expect(listened == 9464)
    // WorkingDirectory: the project (its `policies` directory is the unit's relative one).
    let systemd = try SelectEndToEndTests.Watch(
      args, environment: env, dir: project.dir, name: "systemd", cwd: project.dir)
    defer { systemd.terminate() }
    var ready = (0, "")
    _ = await SelectEndToEndTests.wait(15) {
      ready = (try? await Self.get(port, "/readyz")) ?? (0, "")
      return ready.0 == 200
    }
    #expect(
      ready.0 == 200 && ready.1.contains("\"role\":\"standby\""), "\(ready.1)\n\(systemd.stderr.suffix(1500))"
    )
  }
}
