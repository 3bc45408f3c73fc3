import ArgumentParser
import YAMLReader

/// Bounds for the YAML reader, for when the defaults do not fit.
struct ReaderOptions: ParsableArguments {
  @Option(help: "Largest policy file accepted, in bytes.")
  var maxFileBytes: Int = ReaderLimits.default.maxFileBytes
  @Option(help: "Deepest nesting accepted.")
  var maxDepth: Int = ReaderLimits.default.maxDepth
  @Option(help: "Most nodes aliases may bring in.")
  var maxAliasNodes: Int = ReaderLimits.default.maxAliasNodes
  @Option(help: "Longest scalar accepted, in bytes.")
  var maxScalarBytes: Int = ReaderLimits.default.maxScalarBytes

  var limits: ReaderLimits {
    ReaderLimits(
      maxFileBytes: maxFileBytes, maxDepth: maxDepth, maxAliasNodes: maxAliasNodes,
      maxNodes: ReaderLimits.default.maxNodes, maxScalarBytes: maxScalarBytes)
  }
}
