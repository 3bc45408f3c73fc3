import Foundation
import PartylineTestSupport
import Testing

@Suite struct ValidateEndToEndTests {
  @Test func examplePoliciesAreValid() async throws {
    let r = try await CLI.run(["validate"])
    #expect(r.status == 0, "\(r.stderr)")
    try assertGolden(r.stdout, "validate-examples.txt")
    #expect(r.stderr.isEmpty)
  }

  @Test func textDiagnosticsWithSourceAndCaret() async throws {
    let r = try await CLI.run(["validate", "Tests/EndToEndTests/Inputs/invalid"])
    #expect(r.status == 1)
    #expect(r.stdout.isEmpty)
    try assertGolden(r.stderr, "validate-invalid.txt")
  }

  @Test func jsonFormat() async throws {
    let r = try await CLI.run(["validate", "--format", "json", "Tests/EndToEndTests/Inputs/invalid"])
    #expect(r.status == 1)
    try assertGolden(r.stdout, "validate-invalid.json")
    let parsed = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
    #expect(parsed?["formatVersion"] as? Int == 1)
  }

  @Test func githubFormat() async throws {
    let r = try await CLI.run(["validate", "--format", "github", "Tests/EndToEndTests/Inputs/invalid"])
    #expect(r.status == 1)
    try assertGolden(r.stdout, "validate-invalid.github")
  }

  @Test func colourOnlyOnATerminal() async throws {
    let r = try await CLI.run(
      ["validate", "Tests/EndToEndTests/Inputs/invalid"], environment: ["NO_COLOR": ""])
    #expect(!r.stderr.contains("\u{1B}["), "not a terminal: no escape codes")
  }

  @Test func missingPathIsAnError() async throws {
    let r = try await CLI.run(["validate", "does/not/exist"])
    #expect(r.status == 1)
    #expect(r.stderr.hasPrefix("does/not/exist:1:1: error: no such file or directory [path_not_found]"))
  }

  @Test func usageErrorsExitOne() async throws {
    let r = try await CLI.run(["validate", "--format", "xml"])
    #expect(r.status == 1)
    #expect(r.stderr.contains("xml"))
  }

  @Test func hostileFilesAreRejectedCleanly() async throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("partyline-hostile-\(getpid())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    var bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
    for i in 1...9 {
      bomb += "a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ") + "]\n"
    }
    let cases: [(String, Data, String)] = [
      ("bomb.yaml", Data(bomb.utf8), "alias_limit_exceeded"),
      (
        "deep.yaml",
        Data((String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)).utf8),
        "nesting_too_deep"
      ),
      ("utf8.yaml", Data([0x61, 0x3A, 0x20, 0xFF, 0x0A]), "invalid_utf8"),
      ("nul.yaml", Data([0x61, 0x3A, 0x20, 0x00, 0x0A]), "invalid_character"),
      ("tag.yaml", Data("a: !custom x\n".utf8), "unsupported_tag"),
      ("scalar.yaml", Data(("a: " + String(repeating: "x", count: 100_000) + "\n").utf8), "scalar_too_long"),
    ]
    for (name, data, id) in cases {
      let path = dir.appendingPathComponent(name)
      try data.write(to: path)
      let r = try await CLI.run(["validate", path.path])
      #expect(r.status == 1, "\(name)")
      #expect(r.stderr.contains("[\(id)]"), "\(name): \(r.stderr.prefix(300))")
    }
    // 64 MiB, sparse: refused by its size before it is read.
    let huge = dir.appendingPathComponent("huge.yaml")
    _ = FileManager.default.createFile(atPath: huge.path, contents: nil)
    let handle = try FileHandle(forWritingTo: huge)
    try handle.truncate(atOffset: 64 << 20)
    try handle.close()
    let r = try await CLI.run(["validate", huge.path])
    #expect(r.status == 1)
    #expect(r.stderr.contains("file is 67108864 bytes, more than the limit of 8388608 [file_too_large]"))
  }

  /// The JSON Schema accepts every example policy and rejects the invalid samples, checked by a real
  /// validator (Python's jsonschema); `validate` rejects the same samples.
  @Test func schemaAgreesWithExamples() async throws {
    let invalid = "Tests/PartylineCoreTests/Fixtures/schema-invalid"
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [
      "python3", "scripts/check-schema.py", "--valid", "policies",
      "Tests/PartylineCoreTests/Fixtures/schema-valid",
      "--invalid", invalid,
    ]
    process.currentDirectoryURL = CLI.packageRoot
    let out = Pipe()
    process.standardOutput = out
    process.standardError = out
    try process.run()
    let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "\(text)")
    #expect(text.components(separatedBy: "\nok").count >= 10, "\(text)")
    let files = try FileManager.default.contentsOfDirectory(
      atPath: CLI.packageRoot.appendingPathComponent(invalid).path)
    for f in files {
      let r = try await CLI.run(["validate", "\(invalid)/\(f)"])
      #expect(r.status == 1, "\(f) passes validate but fails the schema")
    }
  }
}
