import Foundation

/// Runs `command` (an absolute path, then its arguments) to its exit with stdout and stderr in one
/// pipe: its status and what it printed. For short tools a test drives (`ip`, `python3`, `timeout`).
public func runToExit(_ command: [String], environment: [String: String]? = nil) throws -> (
  status: Int32, output: String
) {
  let p = Process()
  p.executableURL = URL(fileURLWithPath: command[0])
  p.arguments = Array(command.dropFirst())
  if let environment { p.environment = environment }
  let out = Pipe()
  p.standardOutput = out
  p.standardError = out
  try p.run()
  let data = out.fileHandleForReading.readDataToEndOfFile()
  p.waitUntilExit()
  return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}
