public import YAMLReader

/// What discovery found for a run's select policies: queue ids by lowercased name, and the calls
/// each selector's query returned.
public struct Discovery: Sendable, Hashable {
  /// Queue ids by lowercased name, for the names the selectors give.
  public var queues: [String: String]
  /// Candidate conversation ids by selector key.
  public var candidates: [String: [String]]
  /// Located problems (an unknown or ambiguous queue name).
  public var findings: [Diagnostic]

  /// Discovery's result; empty by default.
  public init(
    queues: [String: String] = [:], candidates: [String: [String]] = [:], findings: [Diagnostic] = []
  ) {
    self.queues = queues
    self.candidates = candidates
    self.findings = findings
  }

  /// Every candidate conversation id once, in selector-key order.
  public var allCandidates: [String] {
    var seen = Set<String>()
    return candidates.keys.sorted().flatMap { candidates[$0]! }.filter { seen.insert($0).inserted }
  }
}
