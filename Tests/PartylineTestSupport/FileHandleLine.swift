public import Foundation

extension FileHandle {
  /// The next line, without its newline, read a byte at a time so that nothing after it is consumed
  /// (a child's first line says where it listens; what follows stays in the pipe). Empty at the end.
  public func readLine() -> String {
    var bytes: [UInt8] = []
    while let b = readData(ofLength: 1).first, b != 10 { bytes.append(b) }
    return String(decoding: bytes, as: UTF8.self)
  }
}
