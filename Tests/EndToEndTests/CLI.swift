import Foundation
import PartylineTestSupport
import Testing

/// Runs the built `partyline` binary, as a user would.
enum CLI {
  static var packageRoot: URL { Built.packageRoot }
  static var binary: URL { Built.partyline }

  /// How a run ended and what it printed.
  struct Result: Sendable {
    var status: Int32
    var stdout: String
    var stderr: String
  }

  /// Runs the binary to its exit, on a thread of its own (see `onOwnThread`).
  static func run(
    _ arguments: [String], cwd: URL = packageRoot, environment: [String: String] = [:], stdin: String? = nil
  ) async throws -> Result {
    try await onOwnThread { try runBlocking(arguments, cwd: cwd, environment: environment, stdin: stdin) }
  }

  private static func runBlocking(
    _ arguments: [String], cwd: URL, environment: [String: String], stdin: String?
  ) throws -> Result {
    let process = Process()
    process.executableURL = binary
    process.arguments = arguments
    process.currentDirectoryURL = cwd
    var env = ProcessInfo.processInfo.environment
    env["NO_COLOR"] = "1"
    for (k, v) in environment { env[k] = v }
    process.environment = env
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    let input = Pipe()
    process.standardInput = input
    try process.run()
    if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
    try input.fileHandleForWriting.close()
    // Read both pipes concurrently so a full pipe never blocks the child.
    nonisolated(unsafe) var errData = Data()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async {
      errData = err.fileHandleForReading.readDataToEndOfFile()
      group.leave()
    }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    process.waitUntilExit()
    return Result(
      status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
      stderr: String(decoding: errData, as: UTF8.self))
  }
}

/// Compares `actual` with a golden file of the end-to-end tests (see `Golden.assert`).
func assertGolden(_ actual: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws
{
  try Golden.assert(actual, name, in: "Tests/EndToEndTests/Golden", sourceLocation: sourceLocation)
}
