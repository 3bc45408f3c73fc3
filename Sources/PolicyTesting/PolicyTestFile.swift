import Foundation
public import GenesysSim
public import PartylineCore
import OrderedJSON
import WireTime
public import YAMLReader

/// One `kind: PolicyTest` document: the policies it plans, the clock, the world (the emulator's
/// fixture format, in a file or inline), the journal in force, and the plan it expects.
public struct PolicyTestFile: Sendable {
  /// `metadata.name`.
  public var name: String
  /// Where `metadata.name` is.
  public var location: SourceRange
  /// Policy paths, relative to the test file's directory.
  public var policies: [String]
  /// The clock of the whole test.
  public var now: Double
  /// The world the plan is made against.
  public var world: SimFixture
  /// Journal records in force at `now` (open leases).
  public var journal: [JournalRecord]
  /// The expected changes, in plan order.
  public var changes: [ExpectedChange]
  /// The expected findings, when given.
  public var findings: [ExpectedFinding]?

  /// An expected change: its action and the fields the test gives.
  public struct ExpectedChange: Sendable {
    public var action: PlannedChange.Action
    public var fields: [(key: String, value: String, node: Node)]
    public var location: SourceRange
  }

  /// An expected finding: its id, and the policy it concerns when given.
  public struct ExpectedFinding: Sendable {
    public var id: String
    public var policy: String?
    public var location: SourceRange
  }

  static let documentKeys = MappingReader.KnownKeys(["apiVersion", "kind", "metadata", "spec"])
  static let metadataKeys = MappingReader.KnownKeys(["name", "description"])
  static let specKeys = MappingReader.KnownKeys(["policies", "now", "world", "journal", "expect"])
  static let expectKeys = MappingReader.KnownKeys(["changes", "findings"])
  static let changeKeys = ["conversation", "participant", "user", "address", "for", "role", "policy"]
  static let findingKeys = MappingReader.KnownKeys(["id", "policy"])
  static let actions: [PlannedChange.Action] = [.mute, .unmute, .pause, .revert, .prune, .add]

  /// The tests of a parsed file (one per document), or the located reasons it cannot be read.
  public static func read(_ parsed: ParsedFile) -> [Result<PolicyTestFile, Diagnostics>] {
    if parsed.diagnostics.contains(where: { $0.severity == .error }) {
      return [.failure(Diagnostics(parsed.diagnostics))]
    }
    return parsed.documents.map { doc in
      var reader = Reader(file: parsed.file)
      let test = reader.test(doc)
      if let test, reader.diagnostics.isEmpty { return .success(test) }
      return .failure(Diagnostics(reader.diagnostics))
    }
  }

  struct Reader {
    var file: String
    var diagnostics: [Diagnostic] = []

    mutating func error(_ id: DiagnosticID, _ message: String, _ range: SourceRange) {
      diagnostics.append(Diagnostic(id: id, message: message, range: range))
    }

    mutating func fields(
      _ node: Node, _ what: String, _ known: MappingReader.KnownKeys, required: [String] = []
    )
      -> MappingReader.Fields?
    {
      MappingReader.fields(node, in: what, known: known, required: required, diagnostics: &diagnostics)
    }

    mutating func string(_ node: Node, _ what: String) -> String? {
      MappingReader.string(node, what, diagnostics: &diagnostics)
    }

    mutating func list(_ node: Node?, _ what: String) -> [Node] {
      guard let node else { return [] }
      if node.kind == .scalar && node.coreType == .null { return [] }
      return MappingReader.sequence(node, what, diagnostics: &diagnostics) ?? []
    }

    var directory: String { (file as NSString).deletingLastPathComponent }

    func relative(_ path: String) -> String {
      path.hasPrefix("/") ? path : (directory.isEmpty ? path : directory + "/" + path)
    }

    mutating func test(_ doc: Node) -> PolicyTestFile? {
      guard
        let top = fields(
          doc, "the document", Self.documentKeysAll, required: ["apiVersion", "kind", "metadata", "spec"])
      else { return nil }
      if let v = top["apiVersion"], let s = string(v, "apiVersion"), s != PolicyCompiler.apiVersion {
        error(
          .unsupportedApiVersion, "unsupported apiVersion '\(s)'; expected '\(PolicyCompiler.apiVersion)'",
          v.range)
      }
      if let k = top["kind"], let s = string(k, "kind"), s != "PolicyTest" {
        error(.unsupportedKind, "a test file holds kind 'PolicyTest', found '\(s)'", k.range)
      }
      var name = ""
      var location = doc.range
      if let m = top["metadata"],
        let meta = fields(m, "metadata", PolicyTestFile.metadataKeys, required: ["name"]),
        let n = meta["name"], let s = string(n, "metadata.name")
      {
        name = s
        location = n.range
        if !Grammar.isName(s) {
          error(.invalidName, "invalid name '\(s)': lowercase letters, digits and '-', at most 63", n.range)
        }
      }
      guard let specNode = top["spec"],
        let spec = fields(specNode, "spec", PolicyTestFile.specKeys, required: ["now", "world", "expect"])
      else { return nil }
      var policies = ["."]
      if let p = spec["policies"] {
        policies = list(p, "spec.policies").compactMap { string($0, "spec.policies") }.map(relative)
      } else {
        policies = [relative(".")]
      }
      var now = 0.0
      if let n = spec["now"], let s = string(n, "spec.now") {
        if let t = Timestamp.parseRFC3339(s) {
          now = t
        } else {
          error(
            .invalidValue,
            "invalid now '\(s)': expected an RFC 3339 date and time with its offset, such as 2026-12-07T09:15:00+01:00",
            n.range)
        }
      }
      var world = SimFixture(clients: [], users: [], conversations: [])
      if let w = spec["world"] {
        let result: Result<SimFixture, Diagnostics>
        if w.kind == .mapping {
          result = SimFixture.read(w)
        } else if let path = string(w, "spec.world") {
          // The emulator's fixture format, `clients` optional (the test adds one).
          let parsed = YAMLReader().read(path: relative(path))
          if parsed.diagnostics.contains(where: { $0.severity == .error }) {
            result = .failure(Diagnostics(parsed.diagnostics))
          } else if parsed.documents.count != 1 {
            result = .failure([
              Diagnostic(
                id: .fixtureDocuments,
                message: "a world holds exactly one document, found \(parsed.documents.count)", range: w.range
              )
            ])
          } else {
            result = SimFixture.read(parsed.documents[0])
          }
        } else {
          result = .failure([])
        }
        switch result {
        case .success(let f): world = f
        case .failure(let d): diagnostics += Array(d)
        }
      }
      var journal: [JournalRecord] = []
      for r in list(spec["journal"], "spec.journal") {
        switch JournalRecord.read(Substring(json(r).render())) {
        case .success(let record): journal.append(record)
        case .failure(let why): error(.invalidValue, "not a journal record: \(why)", r.range)
        }
      }
      var changes: [ExpectedChange] = []
      var findings: [ExpectedFinding]? = nil
      if let e = spec["expect"],
        let expect = fields(e, "spec.expect", PolicyTestFile.expectKeys, required: ["changes"])
      {
        for c in list(expect["changes"], "spec.expect.changes") { if let x = change(c) { changes.append(x) } }
        if let f = expect["findings"] {
          var out: [ExpectedFinding] = []
          for n in list(f, "spec.expect.findings") { if let x = finding(n) { out.append(x) } }
          findings = out
        }
      }
      return PolicyTestFile(
        name: name, location: location, policies: policies, now: now, world: world, journal: journal,
        changes: changes, findings: findings)
    }

    static let documentKeysAll = PolicyTestFile.documentKeys

    mutating func change(_ node: Node) -> ExpectedChange? {
      let names = PolicyTestFile.actions.map(\.rawValue)
      guard node.kind == .mapping, node.entries.count == 1, let (k, v) = node.entries.first else {
        error(
          .typeMismatch,
          "an expected change is a mapping with one key, the action (\(names.joined(separator: ", "))), such as 'mute: {conversation: …, participant: …}'",
          node.range)
        return nil
      }
      guard let action = PlannedChange.Action(rawValue: k.text), PolicyTestFile.actions.contains(action)
      else {
        error(
          .invalidValue,
          "unknown action '\(k.text)': expected one of \(names.joined(separator: ", "))\(Suggestions.hint(k.text, names))",
          k.range)
        return nil
      }
      guard
        let f = fields(
          v, "the expected \(action.rawValue)", .init(names: PolicyTestFile.changeKeys),
          required: ["conversation"])
      else { return nil }
      var out: [(key: String, value: String, node: Node)] = []
      for entry in f.entries {
        if let s = string(entry.value, entry.name) { out.append((entry.name, s, entry.value)) }
      }
      return ExpectedChange(action: action, fields: out, location: node.range)
    }

    mutating func finding(_ node: Node) -> ExpectedFinding? {
      guard let f = fields(node, "an expected finding", PolicyTestFile.findingKeys, required: ["id"]),
        let idNode = f["id"], let id = string(idNode, "id")
      else { return nil }
      guard DiagnosticID(rawValue: id) != nil else {
        let ids = DiagnosticID.allCases.map(\.rawValue)
        error(.invalidValue, "unknown finding id '\(id)'\(Suggestions.hint(id, ids))", idNode.range)
        return nil
      }
      return ExpectedFinding(
        id: id, policy: f["policy"].flatMap { string($0, "policy") }, location: node.range)
    }

    /// A YAML node as JSON (a journal record written in YAML): scalars by their core type.
    func json(_ node: Node) -> JSONValue {
      switch node.kind {
      case .mapping: return .object(node.entries.map { ($0.key.text, json($0.value)) })
      case .sequence: return .array(node.items.map(json))
      case .scalar:
        switch node.coreType {
        case .null: return .null
        case .bool: return .bool(node.text == "true")
        case .int: return Int(node.text).map(JSONValue.int) ?? .string(node.text)
        case .float: return Double(node.text).map(JSONValue.double) ?? .string(node.text)
        case .string: return .string(node.text)
        }
      }
    }
  }
}
