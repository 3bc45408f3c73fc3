/// Bounds that keep the reader's time and memory in check on hostile input.
public struct ReaderLimits: Sendable, Hashable {
  /// Largest file accepted, in bytes.
  public var maxFileBytes: Int
  /// Deepest nesting of collections.
  public var maxDepth: Int
  /// Most nodes that aliases may bring in, counting every node of every aliased subtree.
  public var maxAliasNodes: Int
  /// Most nodes in one file.
  public var maxNodes: Int
  /// Longest scalar, in bytes.
  public var maxScalarBytes: Int

  /// Limits with the given bounds; by default 8 MiB files, nesting 64 deep, 10,000 aliased nodes, a million
  /// nodes and 64 KiB scalars.
  public init(
    maxFileBytes: Int = 8 << 20, maxDepth: Int = 64, maxAliasNodes: Int = 10_000,
    maxNodes: Int = 1_000_000, maxScalarBytes: Int = 64 << 10
  ) {
    self.maxFileBytes = maxFileBytes
    self.maxDepth = maxDepth
    self.maxAliasNodes = maxAliasNodes
    self.maxNodes = maxNodes
    self.maxScalarBytes = maxScalarBytes
  }

  /// The default limits (those of `init`).
  public static let `default` = ReaderLimits()
}
