import Foundation
import GenesysCloud
import GenesysSim
import PartylineCore
import PartylineGenesys
import PartylineLocal
import PartylineViews
import YAMLReader

#if canImport(Glibc)
  import Glibc
#endif

/// `--sandbox`: the bundled emulator with the demo organisation. Runs that overlap (the recommended
/// `watch` beside a scheduled `apply`) see one world: the first run starts a sandbox host — the
/// emulator in a process of its own, on loopback — and every sandbox run attaches to it while it
/// runs. The host keeps the organisation in `.partyline/sandbox/organisation.yaml` (written on every
/// change) and exits shortly after the last run detaches; the next run starts it again from that
/// file. The sandbox keeps its own journal beside it and never touches the real state.
///
/// Files under `.partyline/sandbox/`: `attach.lock` (every attached run holds it shared; the host
/// exits once it can take it exclusively), `start.lock` (one run at a time checks for or starts the
/// host), `host.json` (the host's pid and URL, removed when it exits).
enum Sandbox {
  static let directory = ".partyline/sandbox"
  static var organisationFile: String { directory + "/organisation.yaml" }
  static let clientId = "partyline-demo"
  static let clientSecret = "partyline-demo-secret"

  struct HostInfo: Codable {
    var pid: Int32
    var url: String
  }

  static func hostFile(_ dir: String) -> String { dir + "/host.json" }

  /// The running host, if `host.json` names a live sandbox host.
  static func runningHost(_ dir: String) -> HostInfo? {
    guard let bytes = FileBytes.read(hostFile(dir), limit: 4096),
      let info = try? JSONDecoder().decode(HostInfo.self, from: Data(bytes)), info.pid > 0,
      kill(info.pid, 0) == 0,
      let cmdline = FileBytes.read("/proc/\(info.pid)/cmdline", limit: 1 << 16),
      String(decoding: cmdline, as: UTF8.self).contains("sandbox-host")
    else { return nil }
    return info
  }

  static func lockFile(_ path: String) throws -> Int32 {
    let fd = Glibc.open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
    guard fd >= 0 else {
      throw GenesysError.configuration("cannot open \(path): \(String(cString: strerror(errno)))")
    }
    return fd
  }

  static func flockRetrying(_ fd: Int32, _ op: Int32) -> Int32 {
    while true {
      let r = flock(fd, op)
      if r == 0 || errno != EINTR { return r }
    }
  }

  static func open(reset: Bool, apiBudget: Double, budget: RateBudget) async throws -> Connection {
    try FileManager.default.createDirectory(
      atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    let dir = FileManager.default.currentDirectoryPath + "/" + directory
    let attach = try lockFile(dir + "/attach.lock")
    let start = try lockFile(dir + "/start.lock")
    defer { close(start) }
    _ = flockRetrying(start, LOCK_EX)
    defer { _ = flock(start, LOCK_UN) }
    var origin = "the demo organisation"
    if reset {
      // Only a run alone in the sandbox may reset it: the others would lose their world.
      guard flockRetrying(attach, LOCK_EX | LOCK_NB) == 0 else {
        close(attach)
        throw GenesysError.configuration(
          "--sandbox-reset: another sandbox run is using the sandbox; reset it when that run has ended")
      }
      if let host = runningHost(dir) {
        kill(host.pid, SIGTERM)
        let deadline = Date().addingTimeInterval(10)
        while kill(host.pid, 0) == 0 && Date() < deadline { usleep(20_000) }
      }
      for name in ["organisation.yaml", "journal.jsonl", "host.json"] { unlink(dir + "/" + name) }
      try? FileManager.default.removeItem(atPath: dir + "/locks")
    }
    _ = flockRetrying(attach, LOCK_SH)
    let host: HostInfo
    if let running = runningHost(dir) {
      host = running
      origin = "the organisation that other sandbox runs share (host pid \(running.pid))"
    } else {
      if FileManager.default.fileExists(atPath: organisationFile) {
        if case .failure(let diagnostics) = SimFixture.load(path: organisationFile) {
          close(attach)
          let first = diagnostics.first.map { "\($0.range.description): \($0.message)" } ?? "unreadable"
          throw GenesysError.configuration(
            "the sandbox state in \(organisationFile) is damaged (\(first)); run with --sandbox-reset")
        }
        origin = "the demo organisation as earlier sandbox runs left it"
      }
      do {
        host = try startHost(dir)
      } catch {
        close(attach)
        throw error
      }
    }
    let config = try GenesysConfiguration(
      apiBase: host.url, clientId: clientId, clientSecret: Secret(clientSecret))
    let client = GenesysClient(
      configuration: config, budget: budget, retry: RetryPolicy(budget: apiBudget),
      progress: Connection.progress,
      heartbeat: Connection.heartbeat)
    let close: @Sendable () async -> Void = {
      try? await client.shutdown()
      _ = flock(attach, LOCK_UN)
      Glibc.close(attach)
    }
    return Connection(
      client: client, close: close,
      banner:
        "sandbox: running against the bundled emulator with \(origin) (\(directory)/); nothing real is touched",
      target: "sandbox")
  }

  /// Starts `partyline sim sandbox-host DIR` in a session of its own (a Ctrl-C of this run does not
  /// stop the world another run uses), with no inherited descriptors, and waits for its `host.json`.
  static func startHost(_ dir: String) throws -> HostInfo {
    unlink(hostFile(dir))
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
    let args = [exe, "sim", "sandbox-host", dir]
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
      throw GenesysError.configuration("cannot start the sandbox host: \(String(cString: strerror(rc)))")
    }
    let deadline = Date().addingTimeInterval(15)
    while Date() < deadline {
      if let info = runningHost(dir), info.pid == pid { return info }
      var status: Int32 = 0
      if waitpid(pid, &status, WNOHANG) == pid {
        throw GenesysError.configuration("the sandbox host exited before it was listening")
      }
      usleep(20_000)
    }
    kill(pid, SIGKILL)
    throw GenesysError.configuration("the sandbox host did not start within 15 s")
  }
}
