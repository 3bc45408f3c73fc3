public import Foundation

/// Where the package and its built binary are, for tests that run `partyline` as a user would.
public enum Built {
  /// The package's root directory.
  public static let packageRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

  /// The `partyline` binary built next to the test bundle (`.build/debug/partyline` otherwise).
  public static var partyline: URL {
    var dir = Bundle.main.bundleURL
    for _ in 0..<4 {
      let candidate = dir.appendingPathComponent("partyline")
      if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
      dir = dir.deletingLastPathComponent()
    }
    return packageRoot.appendingPathComponent(".build/debug/partyline")
  }
}
