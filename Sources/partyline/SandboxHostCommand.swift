import ArgumentParser
import Foundation
import PartylineLocal
import GenesysSim

#if canImport(Glibc)
  import Glibc
#endif

/// `partyline sim sandbox-host DIR`: the process that serves the sandbox's one world to every sandbox
/// run (started by the first of them, see ``Sandbox``). It loads `DIR/organisation.yaml` (or the demo
/// organisation), writes `DIR/host.json` once listening, saves the organisation on every change, and
/// exits once no run has been attached for `--idle-exit`, or on SIGTERM.
struct SandboxHostCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "sandbox-host",
    abstract: "Serve the sandbox's organisation to the sandbox runs (started by --sandbox).",
    shouldDisplay: false
  )

  @Argument(help: "The sandbox directory.")
  var directory: String

  @Option(help: "Seconds without an attached run before the host exits.")
  var idleExit: Double = 2

  func run() async throws {
    let organisation = directory + "/organisation.yaml"
    var fixture = SimFixture.demo
    if FileManager.default.fileExists(atPath: organisation) {
      guard case .success(let saved) = SimFixture.load(path: organisation) else { throw ExitCode(1) }
      fixture = saved
    }
    signal(SIGINT, SIG_IGN)
    signal(SIGTERM, SIG_IGN)
    let stop = DispatchSource.makeSignalSource(signal: SIGTERM, queue: .global())
    let stopped = ManagedFlag()
    stop.setEventHandler { stopped.set() }
    stop.resume()
    defer { stop.cancel() }

    let server = try await SimServer.start(fixture: fixture, options: SimOptions())
    var saved = server.exportState()
    try AtomicFile.write(saved, to: organisation)
    let sandbox = SandboxDirectory(path: directory)
    try sandbox.announce(SandboxDirectory.HostInfo(pid: getpid(), url: server.baseURL))
    try await sandbox.hostLoop(idleExit: idleExit, stopped: { stopped.isSet }) {
      let state = server.exportState()
      if state != saved {
        try? AtomicFile.write(state, to: organisation)
        saved = state
      }
    }
    sandbox.withdraw()
    try? AtomicFile.write(server.exportState(), to: organisation)
    await server.shutdown()
  }
}
