/// A node of a parsed YAML document. A cheap view into the file's `NodeTree`; an alias shares the node
/// it refers to, so an aliased subtree is never copied.
public struct Node: Sendable {
  /// Whether a node is a scalar, a sequence or a mapping.
  public enum Kind: UInt8, Sendable { case scalar, sequence, mapping }

  /// How a scalar is written in the source.
  public enum ScalarStyle: UInt8, Sendable {
    /// `plain`: unquoted; `singleQuoted`, `doubleQuoted`: in quotes; `literal`: a `|` block; `folded`: a `>`
    /// block.
    case plain, singleQuoted, doubleQuoted, literal, folded
  }

  /// The explicit tag of a node, limited to the YAML core schema.
  public enum Tag: UInt8, Sendable { case none, nonSpecific, str, int, bool, null, float, map, seq }

  /// The type of a scalar under the YAML 1.2 core schema.
  public enum CoreType: Sendable, Equatable { case null, bool, int, float, string }

  let tree: NodeTree
  /// The node's position in its file's `NodeTree`: an alias has the index of the node it refers to.
  public let index: Int32

  init(tree: NodeTree, index: Int32) {
    self.tree = tree
    self.index = index
  }

  var record: NodeTree.Record { tree.records[Int(index)] }

  /// Whether the node is a scalar, a sequence or a mapping.
  public var kind: Kind { record.kind }
  /// How a scalar is written (`plain` for a collection).
  public var style: ScalarStyle { record.style }
  /// The node's explicit tag, or `.none` when it has none.
  public var tag: Tag { record.tag }
  /// The name of the file the node was read from.
  public var file: String { tree.file }

  /// Where the node starts.
  public var start: SourceMark {
    let r = record
    return SourceMark(line: Int(r.startLine), column: Int(r.startColumn))
  }
  /// Where the node ends: the position just after its last character.
  public var end: SourceMark {
    let r = record
    return SourceMark(line: Int(r.endLine), column: Int(r.endColumn))
  }
  /// The node's span in its file, from `start` to `end`.
  public var range: SourceRange { SourceRange(file: tree.file, start: start, end: end) }

  /// The text of a scalar (empty for collections).
  public var text: String {
    let r = record
    guard r.kind == .scalar, r.count > 0 else { return "" }
    return tree.text.withUnsafeBufferPointer { buf in
      String(
        decoding: UnsafeBufferPointer(rebasing: buf[Int(r.offset)..<Int(r.offset + r.count)]), as: UTF8.self)
    }
  }

  /// Calls `body` with the scalar's UTF-8 bytes, without making a `String`.
  public func withUTF8<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
    let r = record
    return try tree.text.withUnsafeBufferPointer { buf in
      guard r.kind == .scalar else { return try body(UnsafeBufferPointer(start: nil, count: 0)) }
      return try body(UnsafeBufferPointer(rebasing: buf[Int(r.offset)..<Int(r.offset + r.count)]))
    }
  }

  /// The index of the first of `literals` that equals the scalar's text byte for byte, or nil
  /// (always nil for a collection). Reads the text once, however many literals there are.
  public func firstMatch(in literals: [StaticString]) -> Int? {
    let r = record
    guard r.kind == .scalar else { return nil }
    let n = Int(r.count)
    return tree.text.withUnsafeBufferPointer { buf -> Int? in
      for (j, literal) in literals.enumerated() where literal.utf8CodeUnitCount == n {
        if n == 0 || memcmpBytes(buf.baseAddress! + Int(r.offset), literal.utf8Start, n) { return j }
      }
      return nil
    }
  }

  /// Number of items of a sequence or entries of a mapping.
  public var count: Int {
    let r = record
    switch r.kind {
    case .scalar: return 0
    case .sequence: return Int(r.count)
    case .mapping: return Int(r.count) / 2
    }
  }

  /// The items of a sequence.
  public var items: [Node] {
    let r = record
    guard r.kind == .sequence else { return [] }
    var out: [Node] = []
    out.reserveCapacity(Int(r.count))
    for i in Int(r.offset)..<Int(r.offset + r.count) {
      out.append(Node(tree: tree, index: tree.children[i]))
    }
    return out
  }

  /// The entries of a mapping, in source order.
  public var entries: [(key: Node, value: Node)] {
    let r = record
    guard r.kind == .mapping else { return [] }
    var out: [(key: Node, value: Node)] = []
    out.reserveCapacity(Int(r.count) / 2)
    var i = Int(r.offset)
    let end = Int(r.offset + r.count)
    while i < end {
      out.append((Node(tree: tree, index: tree.children[i]), Node(tree: tree, index: tree.children[i + 1])))
      i += 2
    }
    return out
  }

  /// The `i`th entry of a mapping (0-based, in source order), without building `entries`.
  public func entry(_ i: Int) -> (key: Node, value: Node) {
    let r = record
    precondition(r.kind == .mapping && i >= 0 && i < Int(r.count) / 2, "entry index out of range")
    let at = Int(r.offset) + 2 * i
    return (Node(tree: tree, index: tree.children[at]), Node(tree: tree, index: tree.children[at + 1]))
  }

  /// The type this scalar has under the YAML 1.2 core schema (quoted scalars are always strings).
  public var coreType: CoreType {
    let r = record
    guard r.kind == .scalar else { return .string }
    return withUTF8 { Self.scalarType(r, $0) }
  }

  /// The core-schema type of a scalar record whose text is `bytes`.
  static func scalarType(_ r: NodeTree.Record, _ bytes: UnsafeBufferPointer<UInt8>) -> CoreType {
    switch r.tag {
    case .str: return .string
    case .int: return .int
    case .bool: return .bool
    case .null: return .null
    case .float: return .float
    case .nonSpecific, .map, .seq: return .string
    case .none: break
    }
    guard r.style == .plain else { return .string }
    return CoreSchema.resolve(bytes)
  }

  /// The text of a scalar whose core-schema type is string, or nil for any other node: what
  /// `kind`, `coreType` and `text` tell together, with one look at the record and the text.
  public var stringValue: String? {
    let r = record
    guard r.kind == .scalar else { return nil }
    return tree.text.withUnsafeBufferPointer { buf -> String? in
      let bytes = UnsafeBufferPointer(rebasing: buf[Int(r.offset)..<Int(r.offset + r.count)])
      guard Self.scalarType(r, bytes) == .string else { return nil }
      return r.count > 0 ? String(decoding: bytes, as: UTF8.self) : ""
    }
  }

  /// A short name of the node's type for messages: 'string', 'integer', 'mapping' …
  public var typeName: String {
    switch kind {
    case .mapping: return "mapping"
    case .sequence: return "sequence"
    case .scalar:
      switch coreType {
      case .null: return "null"
      case .bool: return "boolean"
      case .int: return "integer"
      case .float: return "number"
      case .string: return "string"
      }
    }
  }
}

@inline(__always)
func memcmpBytes(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> Bool {
  var i = 0
  while i < n {
    if a[i] != b[i] { return false }
    i += 1
  }
  return true
}
