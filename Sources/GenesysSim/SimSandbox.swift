import Foundation
import YAMLReader

/// Where `--sandbox` keeps the emulated organisation between runs: `DIR/org.yaml`, a fixture that
/// `SimServer.exportState()` wrote. A missing file means a fresh demo organisation.
public enum SimSandbox {
  /// The default directory, relative to the working directory.
  public static let defaultDirectory = ".partyline/sandbox"

  public static func statePath(in directory: String) -> String {
    (directory as NSString).appendingPathComponent("org.yaml")
  }

  /// The saved organisation, or the demo organisation when nothing was saved yet.
  public static func fixture(in directory: String = defaultDirectory) -> Result<SimFixture, Diagnostics> {
    let path = statePath(in: directory)
    guard FileManager.default.fileExists(atPath: path) else { return .success(.demo) }
    return SimFixture.load(path: path)
  }

  /// Writes the server's current organisation to `directory/org.yaml`, creating the directory.
  public static func save(_ server: SimServer, in directory: String = defaultDirectory) throws {
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    try server.exportState().write(toFile: statePath(in: directory), atomically: true, encoding: .utf8)
  }
}
