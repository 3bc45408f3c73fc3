import ArgumentParser
import Foundation
import GenesysCloud
import PartylineCore

struct PlanCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "plan",
    abstract: "Show what applying the policies would change in the live conversations.",
    discussion: """
      Exit status: 0 success; 1 invalid policies, a limit violated or an API failure; with \
      --detailed-exitcode, 2 when there are changes.
      """
  )

  @Argument(help: "Policy files or directories.")
  var paths: [String] = ["policies"]

  @Option(help: "Output format: text, json, github or markdown.")
  var format: OutputFormat = .text

  @Option(help: "Write a saved plan (JSON) for `apply --plan`.")
  var out: String?

  @Option(help: "How long a saved plan stays valid, e.g. 10m.")
  var planTtl: String = "10m"

  @Flag(help: "Exit 2 when the plan has changes.")
  var detailedExitcode = false

  @OptionGroup var run: RunOptions

  /// Leases are pruned only when the run was given whole directories, never single files.
  static func isWholeSet(_ paths: [String]) -> Bool {
    paths.allSatisfy { p in
      var isDir: ObjCBool = false
      return FileManager.default.fileExists(atPath: p, isDirectory: &isDir) && isDir.boolValue
    }
  }

  func run() async throws {
    guard case .success(let ttl) = Grammar.duration(planTtl) else {
      throw ValidationError("invalid --plan-ttl '\(planTtl)': use a duration such as 10m")
    }
    let loader = PolicyLoader()
    let compiled = loader.load(paths)
    var renderer = DiagnosticRenderer(style: Style(enabled: Terminal.stderr.colours))
    guard let set = compiled.policySet else {
      for d in compiled.diagnostics.prefix(DiagnosticRenderer.maxShown) {
        Terminal.stderr.write(renderer.text(d))
      }
      Terminal.stderr.write(
        "policies are invalid: nothing was planned (run `partyline validate` for details)\n")
      throw ExitCode(1)
    }
    let connection = try await Connection.open(run)
    if let banner = connection.banner { Terminal.stderr.write(banner + "\n") }
    let plan: Plan
    do {
      // plan writes nothing: it reads the journal only when there is one.
      let journalState = JournalState(
        try await StateBackend.readOnlyRecords(
          StateBackend.location(run.state, sandbox: run.sandbox), workspace: run.workspace),
        workspace: run.workspace)
      let leases = journalState.leases
      plan = Planner(
        workspace: run.workspace, wholeSet: Self.isWholeSet(paths), addedRoles: journalState.addedRoles
      ).plan(
        set,
        live: try await LiveStateReader(client: connection.client).read(
          set, extraConversations: leases.filter { $0.status == .open }.map(\.conversation)),
        leases: leases, now: Date().timeIntervalSince1970)
    } catch {
      await connection.close()
      Terminal.stderr.write("error: \(error)\n")
      throw ExitCode(1)
    }
    await connection.close()

    let notAfter = plan.createdAt + Double(ttl.seconds)
    for d in plan.findings where format == .text { Terminal.stderr.write(renderer.text(d)) }
    switch format {
    case .text: Terminal.stdout.write(PlanRenderer(style: Style(enabled: Terminal.stdout.colours)).text(plan))
    case .json:
      Terminal.stdout.write(
        PlanRenderer.json(plan, notAfter: out == nil ? nil : notAfter).render(indent: 2) + "\n")
    case .github: Terminal.stdout.write(PlanRenderer.github(plan))
    case .markdown: Terminal.stdout.write(PlanRenderer.markdown(plan))
    }
    if let out {
      let saved = SavedPlan.encode(plan, set: set, workspace: run.workspace, notAfter: notAfter)
      do {
        try SavedPlan.write(saved, to: out)
      } catch {
        Terminal.stderr.write("error: cannot write the plan to '\(out)': \(error)\n")
        throw ExitCode(1)
      }
      Terminal.stderr.write("saved plan to \(out) (valid until \(Timestamp.iso8601(notAfter)))\n")
    }
    if plan.hasErrors { throw ExitCode(1) }
    if detailedExitcode && plan.hasChanges { throw ExitCode(2) }
  }
}

/// The saved plan: everything `apply --plan` needs, the policy-set digest, snapshot hashes per
/// conversation, `createdAt` and `notAfter`. Written 0600, atomically.
enum SavedPlan {
  struct Loaded {
    var createdAt: Double
    var notAfter: Double
    var workspace: String
    var digest: String
    var snapshots: [String: String]
    var changes: [PlannedChange]
  }

  struct Invalid: Error, CustomStringConvertible {
    var description: String
  }

  static func parseTime(_ s: String) -> Double? {
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return f.date(from: s)?.timeIntervalSince1970
  }

  /// Reads a saved plan; every id in it is checked again before it can reach a URL.
  static func load(_ path: String) throws -> Loaded {
    guard let bytes = FileBytes.read(path, limit: 64 << 20) else {
      throw Invalid(description: "cannot read the saved plan '\(path)' (missing, unreadable or over 64 MiB)")
    }
    let data = Data(bytes)
    guard let o = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
      o["kind"] as? String == "partyline-plan",
      o["formatVersion"] as? Int == 1, let created = (o["createdAt"] as? String).flatMap(parseTime),
      let notAfter = (o["notAfter"] as? String).flatMap(parseTime), let workspace = o["workspace"] as? String,
      let digest = o["policySetDigest"] as? String, let snapshots = o["snapshots"] as? [String: String],
      let changes = o["changes"] as? [[String: Any]]
    else { throw Invalid(description: "'\(path)' is not a saved plan of this version (formatVersion 1)") }
    var out: [PlannedChange] = []
    for (i, c) in changes.enumerated() {
      func id(_ k: String) throws -> String? {
        guard let v = c[k] as? String else { return nil }
        guard let u = Grammar.uuid(v) else {
          throw Invalid(description: "\(path): change \(i + 1): invalid \(k) '\(v)'")
        }
        return u
      }
      guard let action = (c["action"] as? String).flatMap(PlannedChange.Action.init),
        let cid = try id("conversation"),
        snapshots[cid] != nil
      else { throw Invalid(description: "\(path): change \(i + 1) is malformed") }
      var target: AddTarget?
      if let u = try id("userId") { target = .user(.id(u)) }
      if let a = c["address"] as? String {
        guard Grammar.isE164(a) else {
          throw Invalid(description: "\(path): change \(i + 1): invalid address")
        }
        target = .address(a)
      }
      out.append(
        PlannedChange(
          action: action, conversation: cid, participant: try id("participant"),
          subject: c["subject"] as? String ?? "",
          addTarget: target, role: c["role"] as? String,
          duration: (c["seconds"] as? Int).map(PolicyDuration.init),
          reason: c["reason"] as? String, actingUser: try id("actingUser"),
          policy: c["policy"] as? String ?? "",
          directive: c["directive"] as? String ?? "", location: nil, before: "", after: "",
          explanation: "saved plan"))
    }
    return Loaded(
      createdAt: created, notAfter: notAfter, workspace: workspace, digest: digest, snapshots: snapshots,
      changes: out)
  }

  static func encode(_ plan: Plan, set: PolicySet, workspace: String, notAfter: Double) -> JSONValue {
    var changes: [JSONValue] = []
    for c in plan.changes where c.isChange && c.blocked == nil {
      var pairs: [(String, JSONValue)] = [
        ("action", .string(c.action.rawValue)), ("conversation", .string(c.conversation)),
        ("participant", .optional(c.participant)), ("subject", .string(c.subject)),
        ("actingUser", .optional(c.actingUser)), ("policy", .string(c.policy)),
        ("directive", .string(c.directive)),
      ]
      switch c.addTarget {
      case .user(let ref)?: pairs.append(("userId", .string("\(ref)")))
      case .address(let a)?: pairs.append(("address", .string(a)))
      case nil: break
      }
      if let r = c.role { pairs.append(("role", .string(r))) }
      if let d = c.duration { pairs.append(("seconds", .int(d.seconds))) }
      if let r = c.reason { pairs.append(("reason", .string(r))) }
      if let l = c.location { pairs.append(("location", PlanRenderer.location(l))) }
      changes.append(.object(pairs))
    }
    return [
      "formatVersion": 1,
      "kind": "partyline-plan",
      "createdAt": .string(Timestamp.iso8601(plan.createdAt)),
      "notAfter": .string(Timestamp.iso8601(notAfter)),
      "workspace": .string(workspace),
      "policySetDigest": .string(plan.policySetDigest),
      "files": .array(set.files.map { .string($0) }),
      "snapshots": .object(plan.snapshots.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) }),
      "changes": .array(changes),
    ]
  }

  static func write(_ value: JSONValue, to path: String) throws {
    try writeText(value.render(indent: 2) + "\n", to: path)
  }

  /// Writes a file atomically with mode 0600 (fsync, then rename).
  static func writeText(_ text: String, to path: String) throws {
    let tmp = path + ".tmp-\(getpid())"
    let fd = open(tmp, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0o600)
    guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    let bytes = Array(text.utf8)
    var off = 0
    while off < bytes.count {
      let n = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress! + off, bytes.count - off) }
      if n <= 0 {
        close(fd)
        unlink(tmp)
        throw POSIXError(.EIO)
      }
      off += n
    }
    fsync(fd)
    close(fd)
    guard rename(tmp, path) == 0 else {
      unlink(tmp)
      throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
    }
  }
}
