import Foundation
import Testing
import YAMLReader

func parse(_ text: String, limits: ReaderLimits = .default) -> ParsedFile {
  YAMLReader(limits: limits).parse(Array(text.utf8), file: "t.yaml")
}

func parse(bytes: [UInt8], limits: ReaderLimits = .default) -> ParsedFile {
  YAMLReader(limits: limits).parse(bytes, file: "t.yaml")
}

func only(_ f: ParsedFile) -> (id: String, message: String, at: String)? {
  guard f.diagnostics.count == 1, let d = f.diagnostics.first else { return nil }
  return (d.id, d.message, "\(d.range.start)")
}

@Suite struct YAMLReaderTests {
  @Test func nodesKeepOneBasedMarksInScalars() throws {
    let f = parse("a: 1\nnamé: ✓ value\nlist:\n  - x\n  - {k: 'v'}\n")
    #expect(f.diagnostics.isEmpty)
    let root = try #require(f.documents.first)
    #expect(root.kind == .mapping)
    let e = root.entries
    #expect(e.map { $0.key.text } == ["a", "namé", "list"])
    #expect(e[1].value.start == SourceMark(line: 2, column: 7))
    #expect(e[1].value.text == "✓ value")
    let items = e[2].value.items
    #expect(items[1].start == SourceMark(line: 5, column: 5))
    #expect(items[1].entries[0].value.style == .singleQuoted)
    #expect(items[1].entries[0].value.start == SourceMark(line: 5, column: 9))
  }

  @Test func coreSchemaTypes() throws {
    let f = parse(
      "[true, yes, 'true', ~, null, '', 12, 0x1F, 0o17, 1.5, .inf, -.5e3, on, 1_000, !!str 5, +4930123456]")
    let types = try #require(f.documents.first).items.map(\.coreType)
    #expect(
      types == [
        .bool, .string, .string, .null, .null, .string, .int, .int, .int, .float, .float, .float, .string,
        .string,
        .string, .int,
      ])
  }

  @Test func severalDocuments() {
    let f = parse("a: 1\n---\nb: 2\n---\n")
    #expect(f.documents.count == 3)
    #expect(f.diagnostics.isEmpty)
  }

  @Test func duplicateKeysAreErrors() throws {
    let d = try #require(only(parse("a: 1\nb: 2\n'a': 3\n")))
    #expect(d.id == "duplicate_key")
    #expect(d.message == "duplicate key 'a', first defined at line 1")
    #expect(d.at == "3:1")
  }

  @Test func duplicateKeysInLargeMappings() throws {
    var text = (0..<100).map { "k\($0): \($0)" }.joined(separator: "\n")
    text += "\nk42: again\n"
    let d = try #require(only(parse(text)))
    #expect(d.id == "duplicate_key")
    #expect(d.at == "101:1")
  }

  @Test func syntaxErrorsKeepProblemAndContextPositions() throws {
    let f = parse("a: [1, 2\nb: 3\n")
    let d = try #require(f.diagnostics.first)
    #expect(d.id == "yaml_syntax")
    #expect(d.message == "did not find expected ',' or ']' while parsing a flow sequence")
    #expect(d.range.start == SourceMark(line: 2, column: 2))
    #expect(d.related.first?.range.start == SourceMark(line: 1, column: 4))
  }

  @Test func aliasesShareTheirNode() throws {
    let f = parse("base: &b {k: v}\ncopy: *b\n")
    #expect(f.diagnostics.isEmpty)
    let e = try #require(f.documents.first).entries
    #expect(e[1].value.entries[0].value.text == "v")
  }

  @Test func unknownAndRecursiveAliases() throws {
    #expect(only(parse("a: *nope\n"))?.id == "yaml_syntax")
    #expect(only(parse("a: &x [1, *x]\n"))?.id == "recursive_alias")
  }

  // MARK: Hostile input

  @Test func billionLaughsFailsFast() throws {
    var text = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    for i in 1...9 {
      text += "a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ") + "]\n"
    }
    let clock = ContinuousClock()
    let start = clock.now
    let d = try #require(only(parse(text)))
    #expect(d.id == "alias_limit_exceeded")
    #expect(d.message == "aliases expand to more than 10000 nodes")
    #expect(clock.now - start < .seconds(5))
  }

  @Test func deepNestingIsRefused() throws {
    let text = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
    let d = try #require(only(parse(text)))
    #expect(d.id == "nesting_too_deep")
    #expect(d.message == "nesting is deeper than the limit of 64")
    #expect(d.at == "1:65")
  }

  @Test func deepBlockNestingIsRefused() throws {
    var text = ""
    for i in 0..<1000 { text += String(repeating: " ", count: i) + "k:\n" }
    #expect(only(parse(text))?.id == "nesting_too_deep")
  }

  @Test func invalidUTF8IsLocated() throws {
    let d = try #require(only(parse(bytes: Array("a: ok\nb: caf".utf8) + [0xC3, 0x28] + Array("\n".utf8))))
    #expect(d.id == "invalid_utf8")
    #expect(d.message == "invalid UTF-8: invalid trailing UTF-8 octet")
    #expect(d.at == "2:7")
  }

  @Test func nulByteIsRefused() throws {
    let d = try #require(only(parse(bytes: Array("a: x".utf8) + [0] + Array("y\n".utf8))))
    #expect(d.id == "invalid_character")
    #expect(d.message == "control characters are not allowed (U+0000)")
    #expect(d.at == "1:5")
  }

  @Test func customTagsAreRefused() throws {
    let d = try #require(only(parse("a: !python/object:os.system rm\n")))
    #expect(d.id == "unsupported_tag")
    #expect(
      d.message == "tag '!python/object:os.system' is not allowed here: only the YAML core schema tags are")
    #expect(
      only(parse("a: !!binary aGk=\n"))?.message
        == "tag '!!binary' is not allowed here: only the YAML core schema tags are")
    #expect(parse("a: !!str 5\nb: !!map {}\n").diagnostics.isEmpty)
  }

  @Test func longScalarIsRefused() throws {
    let text = "a: " + String(repeating: "x", count: 10_000_000) + "\n"
    let d = try #require(only(parse(text, limits: ReaderLimits(maxFileBytes: 16 << 20))))
    #expect(d.id == "scalar_too_long")
    #expect(d.message == "scalar is 10000000 bytes, more than the limit of 65536")
    // With the default file limit, the same input is refused before parsing.
    #expect(only(parse(text))?.id == "file_too_large")
  }

  @Test func hugeFileIsRefusedBeforeReading() throws {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent(
      "partyline-huge-\(getpid()).yaml"
    ).path
    defer { unlink(path) }
    let fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0o600)
    #expect(fd >= 0)
    #expect(ftruncate(fd, 64 << 20) == 0)  // a sparse 64 MiB file
    close(fd)
    let f = YAMLReader().read(path: path)
    let d = try #require(only(f))
    #expect(d.id == "file_too_large")
    #expect(d.message == "file is 67108864 bytes, more than the limit of 8388608")
  }

  @Test func tooManyNodes() throws {
    let text = "[" + Array(repeating: "1", count: 2000).joined(separator: ",") + "]"
    #expect(only(parse(text, limits: ReaderLimits(maxNodes: 1000)))?.id == "too_many_nodes")
  }

  @Test func missingFileIsADiagnostic() {
    let f = YAMLReader().read(path: "/nonexistent/p.yaml")
    #expect(only(f)?.id == "unreadable_file")
  }
}
