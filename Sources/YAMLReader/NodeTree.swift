/// Parsed storage of one file: flat arrays, no per-node objects.
public final class NodeTree: @unchecked Sendable {
  struct Record {
    var kind: Node.Kind
    var style: Node.ScalarStyle
    var tag: Node.Tag
    var startLine: Int32
    var startColumn: Int32
    var endLine: Int32
    var endColumn: Int32
    /// Scalars: offset into `text`; collections: offset into `children`.
    var offset: Int32
    /// Scalars: byte length; sequences: item count; mappings: 2 × entry count.
    var count: Int32
  }

  // Immutable once built (the reader fills its own arrays and hands them over), so reading a node
  // needs no dynamic exclusivity check.
  let file: String
  let records: [Record]
  let children: [Int32]
  let text: [UInt8]

  init(file: String, records: [Record], children: [Int32], text: [UInt8]) {
    self.file = file
    self.records = records
    self.children = children
    self.text = text
  }
}
