import Foundation
import Testing

/// The module boundaries that keep the executable thin: it parses options, wires adapters into the
/// core and renders. Waits, file locks and syncs belong to adapters (PartylineLocal, PartylineWebhook,
/// …), where they are tested and reused, never to the command files.
@Suite struct ArchitectureTests {
  /// The executable's Swift files, as (path, lines).
  static func executableSources() throws -> [(String, [Substring])] {
    let dir = CLI.packageRoot.appendingPathComponent("Sources/partyline")
    let files = try #require(FileManager.default.enumerator(atPath: dir.path)).compactMap { $0 as? String }
      .filter { $0.hasSuffix(".swift") }.sorted()
    return try files.map { name in
      let text = try String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)
      return (name, text.split(separator: "\n", omittingEmptySubsequences: false))
    }
  }

  @Test func theExecutableHoldsNoSleepsLocksOrSyncs() throws {
    let forbidden = ["Task.sleep(", "usleep(", "flock(", "fsync(", "posix_spawn("]
    var found: [String] = []
    let sources = try Self.executableSources()
    #expect(sources.count > 20, "the executable's sources were found")
    for (name, lines) in sources {
      for (n, line) in lines.enumerated() {
        let code = line.trimmingCharacters(in: .whitespaces)
        if code.hasPrefix("//") { continue }
        for call in forbidden where code.contains(call) { found.append("\(name):\(n + 1): \(call)") }
      }
    }
    #expect(found == [])
  }
}
