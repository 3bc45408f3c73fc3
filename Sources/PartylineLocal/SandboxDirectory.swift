import Foundation
import SystemPackage

#if canImport(Glibc)
  import Glibc
#endif

/// The sandbox's directory (`.partyline/sandbox/`) as the runs and the host share it: `attach.lock`
/// (every attached run holds it shared; the host exits once it can take it exclusively), `start.lock`
/// (one run at a time checks for or starts the host) and `host.json` (the host's pid and URL, removed
/// when it exits). The file locks, the host's process and every wait on them live here.
public struct SandboxDirectory: Sendable {
  /// The directory's absolute path.
  public let path: String

  /// The directory at `path` (absolute).
  public init(path: String) { self.path = path }

  /// What `host.json` says.
  public struct HostInfo: Codable, Sendable {
    public var pid: Int32
    public var url: String

    public init(pid: Int32, url: String) {
      self.pid = pid
      self.url = url
    }
  }

  /// Why the sandbox's files or host could not be used.
  public struct Failure: Error, CustomStringConvertible {
    public var description: String

    public init(description: String) { self.description = description }
  }

  var hostFile: String { path + "/host.json" }

  /// The running host, if `host.json` names a live sandbox host.
  public func runningHost() -> HostInfo? {
    guard let bytes = FileBytes.read(hostFile, limit: 4096),
      let info = try? JSONDecoder().decode(HostInfo.self, from: Data(bytes)), info.pid > 0,
      kill(info.pid, 0) == 0,
      let cmdline = FileBytes.read("/proc/\(info.pid)/cmdline", limit: 1 << 16),
      String(decoding: cmdline, as: UTF8.self).contains("sandbox-host")
    else { return nil }
    return info
  }

  /// Writes `host.json` (the host, once it listens).
  public func announce(_ info: HostInfo) throws {
    try AtomicFile.write(String(decoding: try JSONEncoder().encode(info), as: UTF8.self), to: hostFile)
  }

  /// Removes `host.json` (the host, as it exits).
  public func withdraw() { unlink(hostFile) }

  /// A lock file of the directory, open until closed.
  public final class LockFile: @unchecked Sendable {
    let fd: Int32

    init(_ path: String) throws {
      fd = Glibc.open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
      guard fd >= 0 else {
        throw Failure(description: "cannot open \(path): \(String(cString: strerror(errno)))")
      }
    }

    func flockRetrying(_ op: Int32) -> Bool {
      while true {
        let r = flock(fd, op)
        if r == 0 { return true }
        if errno != EINTR { return false }
      }
    }

    /// Waits for the lock, shared or exclusive.
    public func lock(shared: Bool) { _ = flockRetrying(shared ? LOCK_SH : LOCK_EX) }
    /// Takes the lock exclusively if nobody holds it.
    public func tryLockAlone() -> Bool { flockRetrying(LOCK_EX | LOCK_NB) }
    /// Releases the lock.
    public func unlock() { _ = flock(fd, LOCK_UN) }
    /// Releases the lock and closes the file.
    public func close() {
      unlock()
      Glibc.close(fd)
    }
  }

  /// `attach.lock`.
  public func attachLock() throws -> LockFile { try LockFile(path + "/attach.lock") }
  /// `start.lock`.
  public func startLock() throws -> LockFile { try LockFile(path + "/start.lock") }

  /// Stops the running host (SIGTERM) and waits up to 10 s for it to exit.
  public func stopHost(_ host: HostInfo) {
    kill(host.pid, SIGTERM)
    let deadline = Date().addingTimeInterval(10)
    while kill(host.pid, 0) == 0 && Date() < deadline { usleep(20_000) }
  }

  /// Starts `EXE sim sandbox-host DIR` in a session of its own (a Ctrl-C of this run does not stop the
  /// world another run uses), with no inherited descriptors and an environment of its own, and waits
  /// up to 15 s for its `host.json`.
  public func startHost() throws -> HostInfo {
    withdraw()
    let exe =
      (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
      ?? CommandLine.arguments[0]
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    for fd: Int32 in [0, 1, 2] {
      posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0)
    }
    // Nothing else is inherited: a test reading this run's pipes must see them close when it exits.
    let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
    for fd in open.compactMap(Int32.init) where fd > 2 { posix_spawn_file_actions_addclose(&actions, fd) }
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    posix_spawnattr_setflags(&attributes, 0x80)  // POSIX_SPAWN_SETSID (glibc; needs _GNU_SOURCE in C)
    let args = [exe, "sim", "sandbox-host", path]
    var argv: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) } + [nil]
    defer { for p in argv { free(p) } }
    var pid: pid_t = 0
    // An environment of its own: the host outlives this run, and the caller's (tokens, secrets) is
    // none of its business.
    let own: [String] = ["LANG=C.UTF-8"]
    var env: [UnsafeMutablePointer<CChar>?] = own.map { strdup($0) } + [nil]
    defer { for p in env { free(p) } }
    let rc = posix_spawn(&pid, exe, &actions, &attributes, &argv, &env)
    guard rc == 0 else {
      throw Failure(description: "cannot start the sandbox host: \(String(cString: strerror(rc)))")
    }
    let deadline = Date().addingTimeInterval(15)
    while Date() < deadline {
      if let info = runningHost(), info.pid == pid { return info }
      var status: Int32 = 0
      if waitpid(pid, &status, WNOHANG) == pid {
        throw Failure(description: "the sandbox host exited before it was listening")
      }
      usleep(20_000)
    }
    kill(pid, SIGKILL)
    throw Failure(description: "the sandbox host did not start within 15 s")
  }

  /// The host's loop: `tick` every 200 ms until `stopped` says so or no run has been attached for
  /// `idleExit` seconds. Runs hold `attach.lock` shared while attached: when it can be taken
  /// exclusively, none is; the host then returns holding it, so no run attaches meanwhile.
  public func hostLoop(idleExit: Double, stopped: () -> Bool, tick: () -> Void) async throws {
    let attach = try attachLock()
    var freeSince: Date?
    while !stopped() {
      try? await Task.sleep(nanoseconds: 200_000_000)
      tick()
      if attach.tryLockAlone() {
        let since = freeSince ?? Date()
        freeSince = since
        if Date().timeIntervalSince(since) >= idleExit { break }
        attach.unlock()
      } else {
        freeSince = nil
      }
    }
  }
}
