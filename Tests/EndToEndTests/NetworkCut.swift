import Foundation
import PartylineTestSupport

/// A network namespace of its own joined to this one by a veth pair (`near` here, `far` there), so a
/// test can run a process over a real network and then cut it without a close: a blackhole route in
/// the far namespace drops every packet between the two, nobody sends a FIN or a reset, and the
/// server sees a half-open connection, as when a machine vanishes or a network partitions. Needs
/// root and `unshare`, `nsenter`, `ip` (util-linux, iproute2); `available` says whether they work.
final class NetworkCut: @unchecked Sendable {
  static let near = "10.231.0.1"
  static let far = "10.231.0.2"
  static let subnet = "10.231.0.0/30"

  /// `unshare -n sleep`: holds the namespace; its end takes the namespace and the veth pair with it.
  private let holder = Process()
  private let link: String

  /// Whether this machine lets a test make one (tried once).
  static let available: Bool = {
    guard getuid() == 0,
      ["/usr/bin/unshare", "/usr/bin/nsenter"].allSatisfy(FileManager.default.isExecutableFile),
      let ip = ipPath
    else { return false }
    _ = ip
    guard let probe = try? NetworkCut() else { return false }
    probe.remove()
    return true
  }()

  static let skipNote =
    "needs root with unshare, nsenter and ip able to make a network namespace and a veth pair"

  static let ipPath: String? = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].first {
    FileManager.default.isExecutableFile(atPath: $0)
  }

  struct Failed: Error, CustomStringConvertible { var description: String }

  init() throws {
    link = "plcut\(getpid() % 100_000)"
    holder.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
    holder.arguments = ["-n", "--", "sleep", "900"]
    holder.standardOutput = FileHandle.nullDevice
    holder.standardError = FileHandle.nullDevice
    try holder.run()
    do {
      // The namespace exists once unshare has exec'd sleep.
      let deadline = Date().addingTimeInterval(5)
      while Date() < deadline {
        let ns = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/net")
        let own = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/net")
        if let ns, ns != own { break }
        usleep(20_000)
      }
      let ip = Self.ipPath ?? "ip"
      _ = try? Self.run([ip, "link", "del", link])  // a pair left by a killed run of this pid
      try Self.run([ip, "link", "add", link, "type", "veth", "peer", "name", "peer0", "netns", "\(pid)"])
      try Self.run([ip, "addr", "add", "\(Self.near)/30", "dev", link])
      try Self.run([ip, "link", "set", link, "up"])
      try Self.run(inside([ip, "link", "set", "lo", "up"]))
      try Self.run(inside([ip, "addr", "add", "\(Self.far)/30", "dev", "peer0"]))
      try Self.run(inside([ip, "link", "set", "peer0", "up"]))
    } catch {
      remove()
      throw error
    }
  }

  var pid: Int32 { holder.processIdentifier }

  /// `args` run in the far namespace.
  func inside(_ args: [String]) -> [String] { ["/usr/bin/nsenter", "-t", "\(pid)", "-n", "--"] + args }

  /// The far namespace reaches `port` on this one's loopback (Partyline speaks plain http to loopback
  /// only): a TCP forwarder there from its loopback to `near`, and one here from `near` to loopback.
  /// Both die with `stop()` of what this returns.
  func forward(port: Int) throws -> [Process] {
    let here = try Self.forwarder(wrapper: [], listen: Self.near, port: port, target: "127.0.0.1")
    do {
      return [
        here, try Self.forwarder(wrapper: inside([]), listen: "127.0.0.1", port: port, target: Self.near),
      ]
    } catch {
      kill(here.processIdentifier, SIGKILL)
      throw error
    }
  }

  static func forwarder(wrapper: [String], listen: String, port: Int, target: String) throws -> Process {
    let p = Process()
    let command = wrapper + ["/usr/bin/env", "python3", "-u", "-c", forwarder, listen, "\(port)", target]
    p.executableURL = URL(fileURLWithPath: command[0])
    p.arguments = Array(command.dropFirst())
    let out = Pipe()
    p.standardOutput = out
    p.standardError = FileHandle.nullDevice
    try p.run()
    let ready = out.fileHandleForReading.readLine()
    guard ready == "ready" else {
      kill(p.processIdentifier, SIGKILL)
      throw Failed(description: "the forwarder on \(listen):\(port) did not start: \(ready)")
    }
    return p
  }

  static let forwarder = """
    import socket, sys, threading
    listen, port, host = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((listen, port))
    srv.listen(64)
    print("ready", flush=True)
    def pipe(a, b):
        try:
            while True:
                d = a.recv(65536)
                if not d:
                    break
                b.sendall(d)
        except OSError:
            pass
        try:
            b.shutdown(socket.SHUT_WR)
        except OSError:
            pass
    while True:
        c, _ = srv.accept()
        try:
            u = socket.create_connection((host, port), timeout=5)
            u.settimeout(None)
        except OSError:
            c.close()
            continue
        threading.Thread(target=pipe, args=(c, u), daemon=True).start()
        threading.Thread(target=pipe, args=(u, c), daemon=True).start()
    """

  /// From now on nothing passes between the namespaces, and nobody is told.
  func cut() throws {
    try Self.run(inside([Self.ipPath ?? "ip", "route", "add", "blackhole", "\(Self.near)/32"]))
  }

  /// Ends the namespace (and the pair with it).
  func remove() {
    if holder.isRunning {
      kill(holder.processIdentifier, SIGKILL)  // SIGTERM may be ignored, as the test runner's
      holder.waitUntilExit()
    }
    _ = try? Self.run([Self.ipPath ?? "ip", "link", "del", link])
  }

  @discardableResult
  static func run(_ args: [String]) throws -> String {
    let (status, text) = try runToExit(args)
    guard status == 0 else { throw Failed(description: "\(args.joined(separator: " ")): \(text)") }
    return text
  }

}
