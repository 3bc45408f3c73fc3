import Foundation
import Testing
import YAMLReader

/// The registry of diagnostic ids is the catalogue users read: every id in `DiagnosticID` is in the
/// README's diagnostics tables (or, for the emulator's fixture errors, in docs/emulator.md), and every
/// id those catalogue is in the registry.
@Suite struct DiagnosticIDTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

  /// The ids in the first cell of each row of the README's diagnostics tables.
  static func readmeIds() throws -> Set<String> {
    let text = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
    let start = try #require(text.range(of: "### Diagnostics"))
    let end = try #require(text.range(of: "\n## ", range: start.upperBound..<text.endIndex))
    var ids = Set<String>()
    for line in text[start.upperBound..<end.lowerBound].split(separator: "\n") where line.hasPrefix("| `") {
      let cell = line.dropFirst().prefix { $0 != "|" }
      ids.formUnion(codeSpans(String(cell)))
    }
    return ids
  }

  /// The fixture errors' ids, named in docs/emulator.md's sentence "… with the ids …".
  static func emulatorIds() throws -> Set<String> {
    let text = try String(contentsOf: root.appendingPathComponent("docs/emulator.md"), encoding: .utf8)
    let start = try #require(text.range(of: "with the ids "))
    let end = try #require(text.range(of: "(one YAML document", range: start.upperBound..<text.endIndex))
    return codeSpans(String(text[start.upperBound..<end.lowerBound]))
  }

  static func codeSpans(_ s: String) -> Set<String> {
    Set(
      s.split(separator: "`", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }
        .map { String($0.element) })
  }

  @Test func theRegistryIsWhatTheReadmeAndTheEmulatorDocsCatalogue() throws {
    let registry = Set(DiagnosticID.allCases.map(\.rawValue))
    let catalogued = try Self.readmeIds().union(Self.emulatorIds())
    #expect(registry.subtracting(catalogued).sorted() == [], "in the registry, not catalogued")
    #expect(catalogued.subtracting(registry).sorted() == [], "catalogued, not in the registry")
  }

  @Test func idsAreSnakeCase() {
    for id in DiagnosticID.allCases {
      #expect(id.rawValue.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "_" }, "\(id.rawValue)")
    }
  }
}
