#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Reads YAML through libyaml into a `NodeTree` where every node keeps its 1-based line and column.
/// Bounded by `ReaderLimits`; duplicate keys, tags outside the core schema and recursive aliases are
/// errors.
public struct YAMLReader: Sendable {
  /// The bounds every file read is held to.
  public var limits: ReaderLimits

  /// A reader held to `limits`.
  public init(limits: ReaderLimits = .default) {
    self.limits = limits
  }

  /// Reads and parses a file, refusing it before reading when it is larger than the limit.
  public func read(path: String) -> ParsedFile {
    switch readFile(path: path, maxBytes: limits.maxFileBytes) {
    case .success(let bytes):
      return parse(bytes, file: path)
    case .failure(let failure):
      return ParsedFile(
        file: path, documents: [],
        diagnostics: [
          Diagnostic(
            id: failure.id, message: failure.message, range: SourceRange(file: path, line: 1, column: 1))
        ])
    }
  }

  /// Parses `bytes` as UTF-8 YAML.
  public func parse(_ bytes: [UInt8], file: String) -> ParsedFile {
    if bytes.count > limits.maxFileBytes {
      return ParsedFile(
        file: file, documents: [],
        diagnostics: [
          Diagnostic(
            id: .fileTooLarge,
            message: "file is \(bytes.count) bytes, more than the limit of \(limits.maxFileBytes)",
            range: SourceRange(file: file, line: 1, column: 1))
        ])
    }
    var builder = TreeBuilder(file: file, limits: limits, bytes: bytes.count)
    bytes.withUnsafeBufferPointer { buf in
      builder.run(buf)
    }
    return ParsedFile(file: file, documents: builder.finish(), diagnostics: builder.diagnostics)
  }
}

struct FileFailure: Error {
  var id: DiagnosticID
  var message: String
}

/// Reads a whole regular file with POSIX calls, refusing one larger than `maxBytes` before reading.
func readFile(path: String, maxBytes: Int) -> Result<[UInt8], FileFailure> {
  // O_NONBLOCK: opening a FIFO never waits for a writer (it is then refused as not a regular file).
  let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
  if fd < 0 {
    return .failure(
      FileFailure(id: .unreadableFile, message: "cannot open file: \(String(cString: strerror(errno)))"))
  }
  defer { close(fd) }
  var st = stat()
  guard fstat(fd, &st) == 0 else {
    return .failure(
      FileFailure(id: .unreadableFile, message: "cannot read file: \(String(cString: strerror(errno)))"))
  }
  guard (st.st_mode & S_IFMT) == S_IFREG else {
    return .failure(FileFailure(id: .unreadableFile, message: "not a regular file"))
  }
  let size = Int(st.st_size)
  if size > maxBytes {
    return .failure(
      FileFailure(id: .fileTooLarge, message: "file is \(size) bytes, more than the limit of \(maxBytes)"))
  }
  var bytes = [UInt8](repeating: 0, count: size)
  var got = 0
  while got < size {
    let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + got, size - got) }
    if n < 0 {
      if errno == EINTR { continue }
      return .failure(
        FileFailure(id: .unreadableFile, message: "cannot read file: \(String(cString: strerror(errno)))"))
    }
    if n == 0 { break }
    got += n
  }
  // A file that grew while we read it is read no further than the limit allows.
  if got == size && size < maxBytes {
    var probe: UInt8 = 0
    if read(fd, &probe, 1) == 1 {
      return .failure(FileFailure(id: .fileTooLarge, message: "file grew while being read"))
    }
  }
  bytes.removeSubrange(got...)
  return .success(bytes)
}

extension String {
  func leftPad(_ n: Int) -> String {
    count >= n ? self : String(repeating: "0", count: n - count) + self
  }
}
