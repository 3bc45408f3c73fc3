internal import CYAML

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

struct TreeBuilder {
  let file: String
  let limits: ReaderLimits
  /// The tree's storage, filled here and handed to an immutable `NodeTree` by `finish()`.
  var records: [NodeTree.Record] = []
  var children: [Int32] = []
  var text: [UInt8] = []
  /// Root node of each finished document.
  var roots: [Int32] = []
  var diagnostics: [Diagnostic] = []

  /// Open collections: node index and where their children start in `pending`.
  var stack: [(node: Int32, firstChild: Int)] = []
  var pending: [Int32] = []
  /// Expanded size of each node (a node plus everything under it, aliases expanded), saturating.
  var sizes: [Int32] = []
  var anchors: [String: Int32] = [:]
  var aliasNodes = 0
  var input: UnsafeBufferPointer<UInt8> = UnsafeBufferPointer(start: nil, count: 0)

  init(file: String, limits: ReaderLimits, bytes: Int) {
    self.file = file
    self.limits = limits
    let estimate = min(bytes / 8, limits.maxNodes)
    records.reserveCapacity(estimate)
    sizes.reserveCapacity(estimate)
    children.reserveCapacity(estimate)
    text.reserveCapacity(bytes / 2)
  }

  /// The documents read, as nodes of the finished tree.
  func finish() -> [Node] {
    let tree = NodeTree(file: file, records: records, children: children, text: text)
    return roots.map { Node(tree: tree, index: $0) }
  }

  mutating func fail(_ id: DiagnosticID, _ message: String, at mark: yaml_mark_t) {
    diagnostics.append(Diagnostic(id: id, message: message, range: range(mark, mark)))
  }

  func range(_ a: yaml_mark_t, _ b: yaml_mark_t) -> SourceRange {
    SourceRange(
      file: file, start: SourceMark(line: Int(a.line) + 1, column: Int(a.column) + 1),
      end: SourceMark(line: Int(b.line) + 1, column: Int(b.column) + 1))
  }

  mutating func run(_ buf: UnsafeBufferPointer<UInt8>) {
    input = buf
    var parser = yaml_parser_t()
    guard yaml_parser_initialize(&parser) == 1 else {
      diagnostics.append(
        Diagnostic(
          id: .internalError, message: "cannot initialise the YAML parser",
          range: SourceRange(file: file, line: 1, column: 1)))
      return
    }
    defer { yaml_parser_delete(&parser) }
    yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
    yaml_parser_set_input_string(&parser, buf.baseAddress ?? UnsafePointer(bitPattern: 1)!, buf.count)

    var event = yaml_event_t()
    while true {
      guard yaml_parser_parse(&parser, &event) == 1 else {
        libyamlError(parser)
        return
      }
      let type = event.type
      let ok = handle(&event)
      yaml_event_delete(&event)
      if !ok || type == YAML_STREAM_END_EVENT { return }
    }
  }

  mutating func libyamlError(_ p: yaml_parser_t) {
    let problem = p.problem.map { String(cString: $0) } ?? "unknown error"
    if p.error == YAML_READER_ERROR {
      var offset = Int(p.problem_offset)
      // Point at the first byte of a broken UTF-8 sequence rather than inside it.
      for back in 1...3 where offset - back >= 0 && offset - back < input.count {
        let b = input[offset - back]
        if b < 0x80 { break }
        if b >= 0xC0 {
          offset -= back
          break
        }
      }
      let at = markForOffset(offset)
      let id: DiagnosticID =
        problem.contains("control character") || problem.contains("Unicode character")
        ? .invalidCharacter : (problem.contains("UTF-8") ? .invalidUTF8 : .yamlSyntax)
      var message = problem
      if p.problem_value >= 0 && !problem.contains("UTF-8") {
        message +=
          " (U+\(String(UInt32(bitPattern: p.problem_value), radix: 16, uppercase: true).leftPad(4)))"
      } else if problem.contains("UTF-8") {
        message = "invalid UTF-8: \(problem)"
      }
      diagnostics.append(
        Diagnostic(id: id, message: message, range: SourceRange(file: file, start: at, end: at)))
      return
    }
    if p.error == YAML_MEMORY_ERROR {
      diagnostics.append(
        Diagnostic(
          id: .internalError, message: "out of memory while parsing",
          range: SourceRange(file: file, line: 1, column: 1)))
      return
    }
    var related: [Diagnostic.Related] = []
    if let context = p.context {
      related.append(.init(message: String(cString: context), range: range(p.context_mark, p.context_mark)))
    }
    let text = p.context.map { "\(problem) \(String(cString: $0))" } ?? problem
    diagnostics.append(
      Diagnostic(
        id: .yamlSyntax, message: text, range: range(p.problem_mark, p.problem_mark), related: related))
  }

  /// libyaml's reader errors carry a byte offset; turn it into a line and a column in scalars.
  func markForOffset(_ offset: Int) -> SourceMark {
    var line = 1
    var column = 1
    var i = 0
    let end = min(offset, input.count)
    while i < end {
      let c = input[i]
      if c == 10 {
        line += 1
        column = 1
      } else if c & 0xC0 != 0x80 {
        column += 1
      }
      i += 1
    }
    return SourceMark(line: line, column: column)
  }

  func tag(_ ptr: UnsafeMutablePointer<yaml_char_t>?) -> Node.Tag? {
    guard let ptr else { return Node.Tag.none }
    let s = String(cString: ptr)
    switch s {
    case "!": return .nonSpecific
    case "tag:yaml.org,2002:str": return .str
    case "tag:yaml.org,2002:int": return .int
    case "tag:yaml.org,2002:bool": return .bool
    case "tag:yaml.org,2002:null": return .null
    case "tag:yaml.org,2002:float": return .float
    case "tag:yaml.org,2002:map": return .map
    case "tag:yaml.org,2002:seq": return .seq
    default: return nil
    }
  }

  // The tags each node kind accepts, built once rather than as a literal per event.
  static let scalarTags: Set<Node.Tag> = [.none, .nonSpecific, .str, .int, .bool, .null, .float]
  static let mappingTags: Set<Node.Tag> = [.none, .nonSpecific, .map]
  static let sequenceTags: Set<Node.Tag> = [.none, .nonSpecific, .seq]

  mutating func checkTag(
    _ ptr: UnsafeMutablePointer<yaml_char_t>?, _ event: yaml_event_t, allowed: Set<Node.Tag>
  ) -> Node.Tag? {
    // Untagged, the common case: every node kind accepts it.
    if ptr == nil { return Node.Tag.none }
    guard let t = tag(ptr), allowed.contains(t) else {
      let name = ptr.map { String(cString: $0) } ?? ""
      let shown = name.hasPrefix("tag:yaml.org,2002:") ? "!!" + name.dropFirst(18) : name
      fail(
        .unsupportedTag, "tag '\(shown)' is not allowed here: only the YAML core schema tags are",
        at: event.start_mark)
      return nil
    }
    return t
  }

  mutating func newNode(_ record: NodeTree.Record, size: Int32) -> Int32? {
    if records.count >= limits.maxNodes {
      diagnostics.append(
        Diagnostic(
          id: .tooManyNodes, message: "file has more than \(limits.maxNodes) nodes",
          range: SourceRange(file: file, line: Int(record.startLine), column: Int(record.startColumn))))
      return nil
    }
    let id = Int32(records.count)
    records.append(record)
    sizes.append(size)
    return id
  }

  /// Attaches a finished node to its parent, or makes it the document's root.
  mutating func attach(_ id: Int32) {
    if stack.isEmpty {
      roots.append(id)
    } else {
      pending.append(id)
    }
  }

  mutating func registerAnchor(_ ptr: UnsafeMutablePointer<yaml_char_t>?, _ id: Int32) {
    guard let ptr else { return }
    anchors[String(cString: ptr)] = id
  }

  mutating func handle(_ event: inout yaml_event_t) -> Bool {
    let s = event.start_mark
    let e = event.end_mark
    switch event.type {
    case YAML_SCALAR_EVENT:
      let sc = event.data.scalar
      let length = Int(sc.length)
      if length > limits.maxScalarBytes {
        fail(
          .scalarTooLong, "scalar is \(length) bytes, more than the limit of \(limits.maxScalarBytes)",
          at: s)
        return false
      }
      // Untagged (the common case) needs no lookup.
      let t: Node.Tag
      if sc.tag == nil {
        t = .none
      } else {
        guard let checked = checkTag(sc.tag, event, allowed: Self.scalarTags) else { return false }
        t = checked
      }
      let style: Node.ScalarStyle
      switch sc.style {
      case YAML_SINGLE_QUOTED_SCALAR_STYLE: style = .singleQuoted
      case YAML_DOUBLE_QUOTED_SCALAR_STYLE: style = .doubleQuoted
      case YAML_LITERAL_SCALAR_STYLE: style = .literal
      case YAML_FOLDED_SCALAR_STYLE: style = .folded
      default: style = .plain
      }
      let offset = Int32(text.count)
      if length > 0 {
        text.append(contentsOf: UnsafeBufferPointer(start: sc.value, count: length))
      }
      let rec = NodeTree.Record(
        kind: .scalar, style: style, tag: t, startLine: Int32(s.line) + 1, startColumn: Int32(s.column) + 1,
        endLine: Int32(e.line) + 1, endColumn: Int32(e.column) + 1, offset: offset, count: Int32(length))
      guard let id = newNode(rec, size: 1) else { return false }
      registerAnchor(sc.anchor, id)
      attach(id)

    case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
      let isMap = event.type == YAML_MAPPING_START_EVENT
      if stack.count >= limits.maxDepth {
        fail(.nestingTooDeep, "nesting is deeper than the limit of \(limits.maxDepth)", at: s)
        return false
      }
      let tagPtr = isMap ? event.data.mapping_start.tag : event.data.sequence_start.tag
      guard let t = checkTag(tagPtr, event, allowed: isMap ? Self.mappingTags : Self.sequenceTags) else {
        return false
      }
      let rec = NodeTree.Record(
        kind: isMap ? .mapping : .sequence, style: .plain, tag: t, startLine: Int32(s.line) + 1,
        startColumn: Int32(s.column) + 1, endLine: Int32(s.line) + 1, endColumn: Int32(s.column) + 1,
        offset: 0,
        count: 0)
      guard let id = newNode(rec, size: 1) else { return false }
      registerAnchor(isMap ? event.data.mapping_start.anchor : event.data.sequence_start.anchor, id)
      stack.append((id, pending.count))

    case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
      let (id, first) = stack.removeLast()
      let childCount = pending.count - first
      let idx = Int(id)
      records[idx].offset = Int32(children.count)
      records[idx].count = Int32(childCount)
      records[idx].endLine = Int32(e.line) + 1
      records[idx].endColumn = Int32(e.column) + 1
      var size = 1
      for i in first..<pending.count {
        size += Int(sizes[Int(pending[i])])
      }
      sizes[idx] = Int32(min(size, Int(Int32.max)))
      pending.withUnsafeBufferPointer {
        children.append(contentsOf: UnsafeBufferPointer(rebasing: $0[first...]))
      }
      pending.removeLast(childCount)
      if event.type == YAML_MAPPING_END_EVENT {
        checkDuplicateKeys(id)
      }
      attach(id)

    case YAML_ALIAS_EVENT:
      let name = String(cString: event.data.alias.anchor)
      guard let target = anchors[name] else {
        fail(.yamlSyntax, "unknown alias '*\(name)'", at: s)
        return false
      }
      if stack.contains(where: { $0.node == target }) {
        fail(.recursiveAlias, "alias '*\(name)' refers to a node that contains it", at: s)
        return false
      }
      aliasNodes += Int(sizes[Int(target)])
      if aliasNodes > limits.maxAliasNodes {
        fail(.aliasLimitExceeded, "aliases expand to more than \(limits.maxAliasNodes) nodes", at: s)
        return false
      }
      attach(target)

    case YAML_DOCUMENT_START_EVENT:
      anchors.removeAll(keepingCapacity: true)

    default:
      break
    }
    return true
  }

  func range(of r: NodeTree.Record) -> SourceRange {
    SourceRange(
      file: file, start: SourceMark(line: Int(r.startLine), column: Int(r.startColumn)),
      end: SourceMark(line: Int(r.endLine), column: Int(r.endColumn)))
  }

  mutating func checkDuplicateKeys(_ id: Int32) {
    let rec = records[Int(id)]
    let n = Int(rec.count) / 2
    guard n > 1 else { return }
    let base = Int(rec.offset)
    // Keys are compared by their scalar text; small mappings pairwise, large ones by hash.
    func bytes(_ k: Int) -> (Int, Int)? {
      let r = records[Int(children[base + 2 * k])]
      return r.kind == .scalar ? (Int(r.offset), Int(r.count)) : nil
    }
    var duplicates: [(first: Int, again: Int)] = []
    text.withUnsafeBufferPointer { text in
      func equal(_ a: (Int, Int), _ b: (Int, Int)) -> Bool {
        a.1 == b.1 && (a.1 == 0 || memcmpBytes(text.baseAddress! + a.0, text.baseAddress! + b.0, a.1))
      }
      if n <= 12 {
        for k in 1..<n {
          guard let kb = bytes(k) else { continue }
          for j in 0..<k {
            if let jb = bytes(j), equal(jb, kb) {
              duplicates.append((j, k))
              break
            }
          }
        }
        return
      }
      var seen: [Int: [Int]] = [:]
      for k in 0..<n {
        guard let kb = bytes(k) else { continue }
        var h = Hasher()
        h.combine(bytes: UnsafeRawBufferPointer(start: text.baseAddress.map { $0 + kb.0 }, count: kb.1))
        let hash = h.finalize()
        if let earlier = seen[hash], let first = earlier.first(where: { equal(bytes($0)!, kb) }) {
          duplicates.append((first, k))
        } else {
          seen[hash, default: []].append(k)
        }
      }
    }
    for (first, k) in duplicates {
      let firstKey = records[Int(children[base + 2 * first])]
      let key = records[Int(children[base + 2 * k])]
      let keyText = String(decoding: text[Int(key.offset)..<Int(key.offset + key.count)], as: UTF8.self)
      diagnostics.append(
        Diagnostic(
          id: .duplicateKey,
          message: "duplicate key '\(keyText)', first defined at line \(firstKey.startLine)",
          range: range(of: key), related: [.init(message: "first defined here", range: range(of: firstKey))]))
    }
  }
}
