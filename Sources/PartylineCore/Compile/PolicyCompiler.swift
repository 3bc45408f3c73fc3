public import YAMLReader

/// Compiles parsed files into a `PolicySet`, reporting every problem with its location.
public struct PolicyCompiler: Sendable {
  /// The `apiVersion` every document must give.
  public static let apiVersion = "partyline/v1"
  /// The document kinds the compiler knows (`kind`).
  public static let kinds = ["ConversationPolicy", "Limits"]

  /// A compiler.
  public init() {}

  /// Compiles `files` as one set, all at once (`Builder` compiles them one at a time).
  public func compile(_ files: [ParsedFile]) -> CompileResult {
    var builder = Builder()
    for file in files { builder.add(file) }
    return builder.finish()
  }

  /// Compiles a policy set one file at a time, so that a loader can drop each file's node tree as
  /// soon as it is compiled (while it is still in the cache) instead of holding every tree.
  /// Compiles files one at a time (each parsed file's node tree can go as soon as it is added), then
  /// checks the set as a whole.
  public struct Builder {
    /// No file yet.
    public init() {}

    var diagnostics: [Diagnostic] = []
    var policies: [ConversationPolicy] = []
    var limitsDocs: [Limits] = []
    var documents = 0
    var limitsInvalid = false
    var fileNames: [String] = []

    /// Compiles one parsed file into the set.
    public mutating func add(_ file: ParsedFile) {
      fileNames.append(file.file)
      diagnostics.append(contentsOf: file.diagnostics)
      var doc = DocumentCompiler()
      for root in file.documents {
        documents += 1
        switch doc.compile(root) {
        case .policy(let p): policies.append(p)
        case .limits(let l): limitsDocs.append(l)
        case .invalidLimits(let at):
          limitsInvalid = true
          var placeholder = Limits.defaults
          placeholder.location = at
          limitsDocs.append(placeholder)
        case nil: break
        }
      }
      diagnostics.append(contentsOf: doc.diagnostics)
      diagnostics.append(contentsOf: doc.warnings)
    }

    /// The set-level checks, then every diagnostic in reading order.
    /// The set of every file added, checked as a whole.
    public func finish() -> CompileResult {
      var diagnostics = diagnostics
      var checker = SetChecker()
      let limits = checker.chooseLimits(limitsDocs)
      let fileOrder = Dictionary(
        fileNames.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
      checker.check(policies, limits: limits, checkLimits: !limitsInvalid)
      diagnostics.append(contentsOf: checker.diagnostics)
      // Reading order: by file as given, then by position.
      diagnostics = diagnostics.enumerated().sorted { a, b in
        let fa = fileOrder[a.element.range.file] ?? Int.max
        let fb = fileOrder[b.element.range.file] ?? Int.max
        if fa != fb { return fa < fb }
        if a.element.range.start != b.element.range.start {
          return a.element.range.start < b.element.range.start
        }
        return a.offset < b.offset
      }.map(\.element)
      let hasErrors = diagnostics.contains { $0.severity == .error }
      let set = hasErrors ? nil : PolicySet(policies: policies, limits: limits, files: fileNames.sorted())
      return CompileResult(policySet: set, diagnostics: diagnostics, documentCount: documents)
    }
  }
}
