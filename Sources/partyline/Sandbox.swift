import Foundation
import GenesysCloud
import GenesysSim

/// `--sandbox`: the bundled emulator, in-process, with the demo organisation. Its organisation is kept
/// under `.partyline/sandbox/` between runs, so a sandbox apply followed by a plan tells one story;
/// `--sandbox-reset` starts afresh. It never touches the real state.
enum Sandbox {
  static let directory = ".partyline/sandbox"
  static var organisationFile: String { directory + "/organisation.yaml" }
  static let clientId = "partyline-demo"
  static let clientSecret = "partyline-demo-secret"

  static func open(reset: Bool, apiBudget: Double) async throws -> Connection {
    try FileManager.default.createDirectory(
      atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    var fixture = SimFixture.demo
    var origin = "the demo organisation"
    if reset {
      try? FileManager.default.removeItem(atPath: organisationFile)
    } else if FileManager.default.fileExists(atPath: organisationFile) {
      switch SimFixture.load(path: organisationFile) {
      case .success(let saved):
        fixture = saved
        origin = "the demo organisation as earlier sandbox runs left it"
      case .failure(let diagnostics):
        let first = diagnostics.first.map { "\($0.range.description): \($0.message)" } ?? "unreadable"
        throw GenesysError.configuration(
          "the sandbox state in \(organisationFile) is damaged (\(first)); run with --sandbox-reset")
      }
    }
    let server = try await SimServer.start(fixture: fixture, options: SimOptions())
    let config = try GenesysConfiguration(
      apiBase: server.baseURL, clientId: clientId, clientSecret: Secret(clientSecret))
    let client = GenesysClient(configuration: config, retry: RetryPolicy(budget: apiBudget))
    let close: @Sendable () async -> Void = {
      try? await client.shutdown()
      let state = server.exportState()
      try? AtomicFile.write(state, to: organisationFile)
      await server.shutdown()
    }
    return Connection(
      client: client, close: close,
      banner:
        "sandbox: running against the bundled emulator with \(origin) (\(directory)/); nothing real is touched",
      target: "sandbox")
  }
}
