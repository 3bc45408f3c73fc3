/// The typed reading of YAML mappings and scalars that the policy compiler and the emulator's fixture
/// reader share: one set of diagnostic ids (`type_mismatch`, `unknown_key`, `missing_key`), one
/// wording, and one "did you mean" (`Suggestions`). Findings are appended to the caller's list.
public enum MappingReader {
  /// A known entry of a mapping.
  public struct Field {
    /// The key's text.
    public var name: String
    /// The key node (for locating a problem with the key).
    public var key: Node
    /// The value node.
    public var value: Node
  }

  /// The known entries of a mapping, in document order.
  public struct Fields {
    /// The mapping.
    public var node: Node
    /// Its entries whose keys are known.
    public var entries: [Field]

    /// The value under `name`, if the mapping has it.
    public subscript(_ name: String) -> Node? { entries.first { $0.name == name }?.value }
    /// The value under the literal `name`, compared as bytes (no `String` is made).
    public subscript(literal name: StaticString) -> Node? {
      name.withUTF8Buffer { bytes in entries.first { $0.name.utf8.elementsEqual(bytes) }?.value }
    }
    /// The key node of `name`, if the mapping has it.
    public func key(_ name: String) -> Node? { entries.first { $0.name == name }?.key }
    /// The entry of `name`, if the mapping has it.
    public func field(_ name: String) -> Field? { entries.first { $0.name == name } }
  }

  /// The keys a mapping may hold: compared as bytes (when given as literals), reported as strings.
  public struct KnownKeys: Sendable {
    /// The keys as literals, matched byte for byte without making a `String`.
    public let literals: [StaticString]
    /// The keys as strings, for the comparison that falls back and for the messages.
    public let names: [String]

    /// Keys given as literals (the fast path).
    public init(_ literals: [StaticString]) {
      self.literals = literals
      names = literals.map { "\($0)" }
    }

    /// Keys given as strings.
    public init(names: [String]) {
      literals = []
      self.names = names
    }
  }

  /// The entries of a mapping whose keys are all in `known`: a value that is not a mapping, a key that
  /// is not a string or is unknown (with a "did you mean"), and each `required` key that is missing
  /// are reported. nil when `node` is not a mapping.
  public static func fields(
    _ node: Node, in what: String, known: KnownKeys, required: [String] = [], diagnostics: inout [Diagnostic]
  ) -> Fields? {
    guard node.kind == .mapping else {
      diagnostics.append(
        Diagnostic(
          id: .typeMismatch, message: "expected a mapping for \(what), found \(node.typeName)",
          range: node.range))
      return nil
    }
    var out = Fields(node: node, entries: [])
    let count = node.count
    out.entries.reserveCapacity(count)
    for i in 0..<count {
      let (key, value) = node.entry(i)
      guard key.kind == .scalar else {
        diagnostics.append(
          Diagnostic(
            id: .typeMismatch, message: "expected a string key in \(what), found \(key.typeName)",
            range: key.range))
        continue
      }
      // Matched byte for byte without making a String; a key that matches no name's bytes is
      // compared as a String (canonical equivalence), and reported if still unknown.
      if !known.literals.isEmpty, let found = key.firstMatch(in: known.literals) {
        out.entries.append(Field(name: known.names[found], key: key, value: value))
        continue
      }
      let name = key.text
      if known.names.contains(name) {
        out.entries.append(Field(name: name, key: key, value: value))
      } else {
        diagnostics.append(
          Diagnostic(
            id: .unknownKey,
            message: "unknown key '\(name)' in \(what)\(Suggestions.hint(name, known.names))",
            range: key.range))
      }
    }
    for name in required where out[name] == nil {
      diagnostics.append(
        Diagnostic(
          id: .missingKey, message: "\(what) is missing required key '\(name)'", range: keyRange(node)))
    }
    return out
  }

  /// Where to point for a problem with a whole mapping: its first key, or the node itself.
  public static func keyRange(_ node: Node) -> SourceRange {
    if node.kind == .mapping && node.count > 0 { return node.entry(0).key.range }
    return node.range
  }

  /// A string scalar (the core schema's string type); other types are reported, with a hint to quote
  /// a scalar meant as a string.
  public static func string(
    _ node: Node, _ what: @autoclosure () -> String, diagnostics: inout [Diagnostic]
  ) -> String? {
    if let s = node.stringValue { return s }  // the common case, in one call
    guard node.kind == .scalar else {
      diagnostics.append(
        Diagnostic(
          id: .typeMismatch, message: "expected a string for '\(what())', found \(node.typeName)",
          range: node.range))
      return nil
    }
    let type = node.coreType
    guard type == .string else {
      let hint = type == .null ? "" : "; quote it if you mean the string '\(node.text)'"
      diagnostics.append(
        Diagnostic(
          id: .typeMismatch, message: "expected a string for '\(what())', found \(node.typeName)\(hint)",
          range: node.range))
      return nil
    }
    return node.text
  }

  /// A boolean scalar (`true` or `false`, any case the core schema allows). `what` is said as given
  /// (quote a key: `'muted'`).
  public static func bool(_ node: Node, _ what: String, diagnostics: inout [Diagnostic]) -> Bool? {
    guard node.kind == .scalar, node.coreType == .bool else {
      diagnostics.append(
        Diagnostic(
          id: .typeMismatch, message: "expected true or false for \(what), found \(node.typeName)",
          range: node.range))
      return nil
    }
    return node.text.lowercased() == "true"
  }

  /// The items of a sequence; a null value is an empty one. nil (reported) for anything else.
  public static func sequence(_ node: Node, _ what: String, diagnostics: inout [Diagnostic]) -> [Node]? {
    if node.kind == .sequence { return node.items }
    if node.kind == .scalar, node.coreType == .null { return [] }
    diagnostics.append(
      Diagnostic(
        id: .typeMismatch, message: "expected a list for \(what), found \(node.typeName)", range: node.range
      ))
    return nil
  }
}
