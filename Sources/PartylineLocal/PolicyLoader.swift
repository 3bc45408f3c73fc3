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
  ///
  /// A directory is the boundary of what it gives (DESIGN §5, untrusted text): only regular files are
  /// read (a FIFO, socket or device is skipped with a warning, so nothing blocks), a symbolic link is
  /// followed only to a file inside the directory (one that leaves it is an error, and neither the
  /// target nor its content is shown), and linked directories are not entered.
  /// Which files a directory gives: policy files skip `*.test.yaml` (tests live beside the policies
  /// they test); tests are only those.
  public enum FileKind: Sendable {
    case policies, tests

    func takes(_ name: String) -> Bool {
      let yaml = name.hasSuffix(".yaml") || name.hasSuffix(".yml")
      let test = name.hasSuffix(".test.yaml") || name.hasSuffix(".test.yml")
      return yaml && (self == .tests) == test
    }
  }

  public func discover(_ paths: [String], _ kind: FileKind = .policies) -> (
    files: [String], diagnostics: [Diagnostic]
  ) {
    var files: [String] = []
    var diagnostics: [Diagnostic] = []
    for path in paths {
      var st = stat()
      guard stat(path, &st) == 0 else {
        diagnostics.append(
          Diagnostic(
            id: .pathNotFound, message: "no such file or directory",
            range: SourceRange(file: path, line: 1, column: 1)))
        continue
      }
      if (st.st_mode & S_IFMT) != S_IFDIR {
        files.append(path)  // named explicitly: the reader refuses what is not a regular file
        continue
      }
      let root = Self.realPath(path) ?? path
      var found: [String] = []
      walk(path, root: root, kind: kind, found: &found, diagnostics: &diagnostics)
      files.append(contentsOf: found.sorted())
    }
    // A file named twice (a path given twice, a link beside the file it names) is read once.
    var seen = Set<String>()
    files = files.filter { seen.insert(Self.realPath($0) ?? $0).inserted }
    return (files, diagnostics)
  }

  private func walk(
    _ dir: String, root: String, kind: FileKind, found: inout [String], diagnostics: inout [Diagnostic]
  ) {
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return }
    for name in names.sorted() {
      let full = dir.hasSuffix("/") ? dir + name : dir + "/" + name
      var st = stat()
      guard lstat(full, &st) == 0 else { continue }
      let isPolicy = kind.takes(name)
      func warn(_ id: DiagnosticID, _ message: String, _ severity: Diagnostic.Severity = .warning) {
        var d = Diagnostic(
          severity, id: id, message: message, range: SourceRange(file: full, line: 1, column: 1))
        d.quotesSource = false  // never read to show a line: it is not ours, or would block
        diagnostics.append(d)
      }
      switch st.st_mode & S_IFMT {
      case S_IFDIR:
        walk(full, root: root, kind: kind, found: &found, diagnostics: &diagnostics)
      case S_IFREG:
        if isPolicy { found.append(full) }
      case S_IFLNK:
        guard isPolicy else { continue }
        guard let target = Self.realPath(full) else {
          warn(.policyLinkBroken, "a symbolic link to nothing: skipped")
          continue
        }
        guard target.hasPrefix(root.hasSuffix("/") ? root : root + "/") else {
          warn(
            .policyLinkOutside,
            "a symbolic link that leaves '\(root)': refused (a policy file must live in the directory it was found in)",
            .error)
          continue
        }
        var t = stat()
        if stat(target, &t) == 0, (t.st_mode & S_IFMT) == S_IFREG {
          found.append(full)
        } else {
          warn(.policyNotRegular, "a symbolic link to something that is not a regular file: skipped")
        }
      default:
        if isPolicy { warn(.policyNotRegular, "not a regular file (a FIFO, socket or device): skipped") }
      }
    }
  }

  /// The path with every symbolic link resolved; nil when it leads nowhere.
  static func realPath(_ path: String) -> String? {
    guard let p = realpath(path, nil) else { return nil }
    defer { free(p) }
    return String(cString: p)
  }

  /// Reads, parses and compiles the policy set under `paths`.
  public func load(_ paths: [String]) -> CompileResult {
    let (files, found) = discover(paths)
    // Each file is compiled as soon as it is parsed, and its node tree dropped.
    var builder = PolicyCompiler.Builder()
    for file in files { builder.add(reader.read(path: file)) }
    var result = builder.finish()
    if files.isEmpty && !found.contains(where: { $0.severity == .error }) {
      let place = paths.first ?? "."
      result.diagnostics.append(
        Diagnostic(
          .warning, id: .noPolicyFiles,
          message:
            "no policy files (*.yaml, *.yml) found in \(paths.map { "'\($0)'" }.joined(separator: ", "))",
          range: SourceRange(file: place, line: 1, column: 1)))
    }
    result.diagnostics.insert(contentsOf: found, at: 0)
    if found.contains(where: { $0.severity == .error }) { result.policySet = nil }
    return result
  }
}
