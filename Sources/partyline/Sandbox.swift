import Foundation
import GenesysCloud
import GenesysSim
import PartylineCore
import PartylineGenesys
import PartylineLocal
import PartylineViews
import YAMLReader

/// `--sandbox`: the bundled emulator with the demo organisation. Runs that overlap (the recommended
/// `watch` beside a scheduled `apply`) see one world: the first run starts a sandbox host — the
/// emulator in a process of its own, on loopback — and every sandbox run attaches to it while it
/// runs. The host keeps the organisation in `.partyline/sandbox/organisation.yaml` (written on every
/// change) and exits shortly after the last run detaches; the next run starts it again from that
/// file. The sandbox keeps its own journal beside it and never touches the real state.
///
/// Files under `.partyline/sandbox/`: `attach.lock` (every attached run holds it shared; the host
/// exits once it can take it exclusively), `start.lock` (one run at a time checks for or starts the
/// host), `host.json` (the host's pid and URL, removed when it exits).
enum Sandbox {
  static let directory = ".partyline/sandbox"
  static var organisationFile: String { directory + "/organisation.yaml" }
  static let clientId = "partyline-demo"
  static let clientSecret = "partyline-demo-secret"

  static func open(reset: Bool, apiBudget: Double, budget: RateBudget) async throws -> Connection {
    try FileManager.default.createDirectory(
      atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    let sandbox = SandboxDirectory(path: FileManager.default.currentDirectoryPath + "/" + directory)
    let host: SandboxDirectory.HostInfo
    let origin: String
    let attach: SandboxDirectory.LockFile
    do {
      (host, origin, attach) = try attachToHost(sandbox, reset: reset)
    } catch let failure as SandboxDirectory.Failure {
      throw GenesysError.configuration(failure.description)
    }
    let config = try GenesysConfiguration(
      apiBase: host.url, clientId: clientId, clientSecret: Secret(clientSecret))
    let client = GenesysClient(
      configuration: config, budget: budget, retry: RetryPolicy(budget: apiBudget),
      progress: Connection.progress,
      heartbeat: Connection.heartbeat)
    let close: @Sendable () async -> Void = {
      try? await client.shutdown()
      attach.close()
    }
    return Connection(
      client: client, close: close,
      banner:
        "sandbox: running against the bundled emulator with \(origin) (\(directory)/); nothing real is touched",
      target: "sandbox")
  }

  /// Under `start.lock`: resets the sandbox when asked (only a run alone in it may), attaches
  /// (`attach.lock` shared) and finds the running host or starts one. Returns the host, where its
  /// organisation came from, and the attachment to release when the run ends.
  static func attachToHost(_ sandbox: SandboxDirectory, reset: Bool) throws -> (
    SandboxDirectory.HostInfo, String, SandboxDirectory.LockFile
  ) {
    let attach = try sandbox.attachLock()
    let start = try sandbox.startLock()
    start.lock(shared: false)
    defer { start.close() }
    if reset {
      // Only a run alone in the sandbox may reset it: the others would lose their world.
      guard attach.tryLockAlone() else {
        attach.close()
        throw SandboxDirectory.Failure(
          description:
            "--sandbox-reset: another sandbox run is using the sandbox; reset it when that run has ended")
      }
      if let host = sandbox.runningHost() { sandbox.stopHost(host) }
      for name in ["organisation.yaml", "journal.jsonl", "host.json"] {
        try? FileManager.default.removeItem(atPath: sandbox.path + "/" + name)
      }
      try? FileManager.default.removeItem(atPath: sandbox.path + "/locks")
    }
    attach.lock(shared: true)
    if let running = sandbox.runningHost() {
      return (running, "the organisation that other sandbox runs share (host pid \(running.pid))", attach)
    }
    var origin = "the demo organisation"
    if FileManager.default.fileExists(atPath: organisationFile) {
      if case .failure(let diagnostics) = SimFixture.load(path: organisationFile) {
        attach.close()
        let first = diagnostics.first.map { "\($0.range.description): \($0.message)" } ?? "unreadable"
        throw SandboxDirectory.Failure(
          description:
            "the sandbox state in \(organisationFile) is damaged (\(first)); run with --sandbox-reset")
      }
      origin = "the demo organisation as earlier sandbox runs left it"
    }
    do {
      return (try sandbox.startHost(), origin, attach)
    } catch {
      attach.close()
      throw error
    }
  }
}
