public import Foundation

extension Process {
  /// Waits for the process to exit without holding a thread of the cooperative pool, which has one
  /// thread per core: `waitUntilExit()` in an async test starves every other test for as long.
  /// Sends SIGKILL if it has not exited within `timeout` seconds.
  public func exited(killAfter timeout: Double = 30) async {
    let deadline = Date().addingTimeInterval(timeout)
    while isRunning && Date() < deadline { try? await Task.sleep(for: .milliseconds(20)) }
    if isRunning { kill(processIdentifier, SIGKILL) }
    waitUntilExit()
  }
}
