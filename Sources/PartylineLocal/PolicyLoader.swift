import Foundation
public import PartylineCore
public import YAMLReader

/// Finds policy files under the paths given and compiles them into one set.
public struct PolicyLoader: Sendable {
  /// The reader that parses each policy file, under its limits.
  public var reader: YAMLReader

  /// A loader whose reader refuses files past `limits`.
  public init(limits: ReaderLimits = .default) {
    reader = YAMLReader(limits: limits)
  }

  /// Files under `paths`: each directory searched recursively for `*.yaml` and `*.yml`, in sorted
  /// order; files named explicitly are taken whatever their extension.
  public func discover(_ paths: [String]) -> (files: [String], diagnostics: [Diagnostic]) {
    var files: [String] = []
    var diagnostics: [Diagnostic] = []
    let fm = FileManager.default
    for path in paths {
      var isDir: ObjCBool = false
      guard fm.fileExists(atPath: path, isDirectory: &isDir) else {
        diagnostics.append(
          Diagnostic(
            id: "path_not_found", message: "no such file or directory",
            range: SourceRange(file: path, line: 1, column: 1)))
        continue
      }
      if !isDir.boolValue {
        files.append(path)
        continue
      }
      var found: [String] = []
      if let walker = fm.enumerator(atPath: path) {
        while let rel = walker.nextObject() as? String {
          if rel.hasSuffix(".yaml") || rel.hasSuffix(".yml") {
            let full = path.hasSuffix("/") ? path + rel : path + "/" + rel
            var sub: ObjCBool = false
            if fm.fileExists(atPath: full, isDirectory: &sub), !sub.boolValue { found.append(full) }
          }
        }
      }
      files.append(contentsOf: found.sorted())
    }
    var seen = Set<String>()
    files = files.filter { seen.insert($0).inserted }
    return (files, diagnostics)
  }

  /// Reads, parses and compiles the policy set under `paths`.
  public func load(_ paths: [String]) -> CompileResult {
    let (files, found) = discover(paths)
    // Each file is compiled as soon as it is parsed, and its node tree dropped.
    var builder = PolicyCompiler.Builder()
    for file in files { builder.add(reader.read(path: file)) }
    var result = builder.finish()
    if files.isEmpty && found.isEmpty {
      let place = paths.first ?? "."
      result.diagnostics.append(
        Diagnostic(
          .warning, id: "no_policy_files",
          message:
            "no policy files (*.yaml, *.yml) found in \(paths.map { "'\($0)'" }.joined(separator: ", "))",
          range: SourceRange(file: place, line: 1, column: 1)))
    }
    if !found.isEmpty {
      result.diagnostics.insert(contentsOf: found, at: 0)
      result.policySet = nil
    }
    return result
  }
}
