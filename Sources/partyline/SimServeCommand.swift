import ArgumentParser
import Foundation
import PartylineLocal
import PartylineViews
import GenesysSim
import YAMLReader
#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

struct SimServeCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "serve",
    abstract: "Serve an emulated Genesys Cloud organisation over HTTP until interrupted.",
    discussion: """
      The first line of stdout is 'listening on http://127.0.0.1:PORT'. Without --fixture the demo
      organisation is served (its client, 'partyline-demo', and secret are in docs/emulator.md). SIGINT
      or SIGTERM stop it cleanly (exit 0); a bad fixture exits 1.
      """
  )

  @Option(help: "Fixture YAML (clients, users, conversations); the demo organisation when left out.")
  var fixture: String?

  @Option(help: "Address to bind.")
  var host: String = "127.0.0.1"

  @Option(help: "Port to listen on; 0 picks a free one.")
  var port: Int = 0

  @Option(help: "Seed for ids, tokens and fault draws.")
  var seed: UInt64 = 1

  @Option(help: "Requests per token per minute, or 'off'.")
  var rateLimit: String = "300"

  @Option(help: "Rate-limit window (e.g. 60s).")
  var rateWindow: String = "60s"

  @Option(help: "Delay before a participant PATCH becomes visible (e.g. 0.5s, 50ms).")
  var patchDelay: String = "0.5s"

  @Option(help: "How long an added party rings before it connects.")
  var connectDelay: String = "2s"

  @Option(help: "How long an added party that does not answer (presence Offline) rings.")
  var noAnswerTimeout: String = "10s"

  @Option(help: "Token lifetime for every client, overriding the fixture (e.g. 1h, 30s).")
  var tokenLifetime: String?

  @Option(
    help: ArgumentHelp(
      "A fault rule, repeatable: 'ROUTE:500=0.1,503=0.05,504=0,reset=0.02,latency=20ms'.",
      discussion: "ROUTE is a glob over 'METHOD /path' or the path ('*' matches anything)."))
  var fault: [String] = []

  @Option(help: "Write the organisation's state as fixture YAML to this file on shutdown.")
  var saveState: String?

  @Option(help: "Seconds between heartbeats on a notification socket (e.g. 30s).")
  var heartbeat: String = "30s"

  @Option(help: "How long a notification channel lives unless subscribed to again (Genesys: 24h).")
  var channelLifetime: String = "24h"

  @Flag(help: "Send the inin-ratelimit-* headers Genesys removed in 2021 (for comparison tests).")
  var rateHeaders = false

  @Flag(
    inversion: .prefixedNo,
    help:
      "Serve PATCH /api/v2/conversations/{id}/recordingstate (August 2025); without it only the older PUT.")
  var recordingStatePatch = true

  @Option(help: "A fault: the share (0 to 1) of events a socket never gets.")
  var eventDrop: Double = 0

  @Option(help: "A fault: how long each event is held back before it is sent (e.g. 500ms).")
  var eventDelay: String = "0s"

  func duration(_ text: String, _ flag: String) throws -> TimeInterval {
    guard let d = SimDuration.parse(text) else {
      throw ValidationError("--\(flag): '\(text)' is not a duration (e.g. 500ms, 2s, 1m)")
    }
    return d
  }

  func validate() throws {
    guard (0...65535).contains(port) else {
      throw ValidationError("--port must be between 0 and 65535 (0 picks a free port), not \(port)")
    }
    _ = try options()
  }

  /// The emulator's options from the flags; every error names its flag.
  func options() throws -> SimOptions {
    var options = SimOptions(seed: seed)
    if rateLimit.lowercased() == "off" {
      options.rateLimit = nil
    } else {
      guard let n = Int(rateLimit), n >= 1 else {
        throw ValidationError("--rate-limit: '\(rateLimit)' is neither a positive number nor 'off'")
      }
      options.rateLimit = n
    }
    options.rateLimitWindow = try duration(rateWindow, "rate-window")
    options.patchDelay = try duration(patchDelay, "patch-delay")
    options.recordingStatePatch = recordingStatePatch
    options.connectDelay = try duration(connectDelay, "connect-delay")
    options.noAnswerTimeout = try duration(noAnswerTimeout, "no-answer-timeout")
    if let tokenLifetime { options.tokenLifetime = try duration(tokenLifetime, "token-lifetime") }
    for spec in fault {
      guard let rule = FaultRule.parse(spec) else {
        throw ValidationError(
          "--fault: cannot read '\(spec)'; e.g. '/api/v2/*:503=0.1,reset=0.05,latency=20ms'")
      }
      options.faults.append(rule)
    }
    options.notifications.heartbeat = try duration(heartbeat, "heartbeat")
    options.notifications.channelLifetime = try duration(channelLifetime, "channel-lifetime")
    options.notifications.delay = try duration(eventDelay, "event-delay")
    guard (0...1).contains(eventDrop) else {
      throw ValidationError("--event-drop must be a share from 0 to 1")
    }
    options.notifications.dropShare = eventDrop
    options.rateHeaders = rateHeaders
    return options
  }

  func run() async throws {
    let loaded: SimFixture
    if let fixture {
      switch SimFixture.load(path: fixture) {
      case .success(let f): loaded = f
      case .failure(let diagnostics):
        var renderer = DiagnosticRenderer.stderr()
        for d in diagnostics.prefix(DiagnosticRenderer.maxShown) { Terminal.stderr.write(renderer.text(d)) }
        let n = diagnostics.filter { $0.severity == .error }.count
        Terminal.stderr.write("\(n) \(n == 1 ? "error" : "errors") in \(fixture)\n")
        throw ExitCode(1)
      }
    } else {
      loaded = SimFixture.demo
    }

    let options = try options()

    // Signals are taken over before the server starts so that an early SIGTERM still stops cleanly.
    let stop = AsyncStream<Void>.makeStream()
    let signals = ShutdownSignals.listen { stop.continuation.yield() }
    defer { signals.cancel() }

    let server: SimServer
    do {
      server = try await SimServer.start(fixture: loaded, options: options, host: host, port: port)
    } catch {
      Terminal.stderr.write("error: cannot listen on \(host):\(port): \(error)\n")
      throw ExitCode(1)
    }
    Terminal.stdout.write("listening on \(server.baseURL)\n")
    // Terminal writes straight to the file descriptor: the line is out unbuffered.

    for await _ in stop.stream { break }
    await server.shutdown()
    if let saveState {
      do {
        // It holds the clients' secrets: 0600, like every file Partyline writes.
        try AtomicFile.write(server.exportState(), to: saveState)
      } catch {
        Terminal.stderr.write("error: cannot write state to '\(saveState)': \(error)\n")
        throw ExitCode(1)
      }
    }
  }
}
