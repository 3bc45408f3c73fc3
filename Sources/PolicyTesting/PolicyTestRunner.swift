import Foundation
import GenesysCloud
import GenesysSim
public import PartylineCore
import PartylineGenesys
public import PartylineLocal
import WireTime
public import YAMLReader

/// Runs policy tests with the same planning code as `plan`: the test's world is served by the
/// emulator over a loopback socket (its clock set to the test's `now`), the policies are read like
/// `plan` reads them, the journal is a real local journal in a temporary directory, and `Reconcile`
/// plans at `now`. Nothing is applied.
public struct PolicyTestRunner: Sendable {
  /// How policy files are read (the reader's bounds).
  public var loader: PolicyLoader

  /// A runner reading policies with `loader`.
  public init(loader: PolicyLoader = PolicyLoader()) { self.loader = loader }

  /// The tests under `paths` (`*.test.yaml`), each run, in file order; `filter` keeps tests whose name
  /// it matches. The located problems of finding and reading them come back as errors of their own.
  public func run(_ paths: [String], filter: (String) -> Bool = { _ in true }) async -> (
    results: [PolicyTestResult], problems: [Diagnostic]
  ) {
    let (files, found) = loader.discover(paths, .tests)
    var results: [PolicyTestResult] = []
    var problems = found.filter { $0.severity == .error }
    for file in files {
      let parsed = YAMLReader(limits: loader.reader.limits).read(path: file)
      for test in PolicyTestFile.read(parsed) {
        switch test {
        case .success(let t):
          guard filter(t.name) else { continue }
          results.append(await run(t))
        case .failure(let d):
          problems += Array(d)
        }
      }
    }
    return (results, problems)
  }

  /// Runs one test.
  public func run(_ test: PolicyTestFile) async -> PolicyTestResult {
    let started = Date()
    var result = PolicyTestResult(name: test.name, location: test.location, status: .error)
    let compiled = loader.load(test.policies)
    guard let set = compiled.policySet else {
      result.errors = compiled.diagnostics.filter { $0.severity == .error }
      result.seconds = Date().timeIntervalSince(started)
      return result
    }
    var unknown = unknownNames(test, set)
    if !unknown.isEmpty {
      result.errors = unknown
      result.seconds = Date().timeIntervalSince(started)
      return result
    }
    do {
      let plan = try await plan(test, set)
      result.actual = plan.changes.filter(\.isChange).map { line($0, test.world) }
      result.expected = Self.expectedLines(test, plan: plan, world: test.world)
      result.actualFindings = findings(plan, set)
      result.expectedFindings = test.findings.map { $0.map { Self.findingLine($0.id, $0.policy) }.sorted() }
      let same =
        result.expected == result.actual
        && (result.expectedFindings == nil || result.expectedFindings == result.actualFindings)
      result.status = same ? .pass : .fail
    } catch {
      unknown.append(
        Diagnostic(
          id: .internalError, message: "the test could not be planned: \(error)", range: test.location))
      result.errors = unknown
    }
    result.seconds = Date().timeIntervalSince(started)
    return result
  }

  /// Plans the test's policies against its world at its `now`.
  func plan(_ test: PolicyTestFile, _ set: PolicySet) async throws -> Plan {
    var world = test.world
    if world.clients.isEmpty {
      world.clients = [
        SimFixture.Client(id: "partyline-test", secret: "partyline-test-secret", permissions: ["*"])
      ]
    }
    let client = world.clients[0]
    let now = test.now
    let server = try await SimServer.start(
      fixture: world,
      options: SimOptions(patchDelay: 0, rateLimit: nil, now: { Date(timeIntervalSince1970: now) }))
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "partyline-test-\(UUID().uuidString)")
    let genesys = GenesysClient(
      configuration: try GenesysConfiguration(
        apiBase: server.baseURL, clientId: client.id, clientSecret: Secret(client.secret)),
      retry: RetryPolicy(budget: 10))
    do {
      try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
      let journal = try LocalJournal(directory: directory.path)
      if !test.journal.isEmpty { try await journal.append(test.journal) }
      var reconcile = Reconcile(
        .full(), set: set, wholeSet: true, workspace: "default", source: LiveStateReader(client: genesys),
        clock: FrozenClock(now), journal: journal, run: "test")
      reconcile.policiesReadAt = now
      let plan = try await reconcile.plan().plan
      try? await genesys.shutdown()
      await server.shutdown()
      try? FileManager.default.removeItem(at: directory)
      return plan
    } catch {
      try? await genesys.shutdown()
      await server.shutdown()
      try? FileManager.default.removeItem(at: directory)
      throw error
    }
  }

  /// An expectation naming a policy, call, participant or user that does not exist is an error, never
  /// a silent pass.
  func unknownNames(_ test: PolicyTestFile, _ set: PolicySet) -> [Diagnostic] {
    var out: [Diagnostic] = []
    let policies = Set(set.policies.map(\.name))
    let calls = Dictionary(
      test.world.conversations.map { ($0.id.lowercased(), $0) }, uniquingKeysWith: { a, _ in a })
    let users = Set(
      test.world.users.flatMap { [$0.id.lowercased()] + ($0.email.map { [$0.lowercased()] } ?? []) })
    func unknown(_ what: String, _ value: String, _ node: Node, hint: String = "") {
      out.append(
        Diagnostic(
          id: .invalidValue,
          message:
            "the expectation names \(what) '\(value)', which the test's \(what == "policy" ? "policies do" : "world does") not have\(hint)",
          range: node.range))
    }
    for c in test.changes {
      let conversation = c.fields.first { $0.key == "conversation" }?.value.lowercased() ?? ""
      for f in c.fields {
        switch f.key {
        case "policy" where !policies.contains(f.value):
          unknown("policy", f.value, f.node, hint: Suggestions.hint(f.value, Array(policies).sorted()))
        case "conversation" where calls[f.value.lowercased()] == nil: unknown("conversation", f.value, f.node)
        case "participant"
        where calls[conversation].map({
          !$0.participants.contains { $0.id.lowercased() == f.value.lowercased() }
        })
          ?? false:
          unknown("participant", f.value, f.node)
        case "user" where !users.contains(f.value.lowercased()): unknown("user", f.value, f.node)
        default: break
        }
      }
    }
    for f in test.findings ?? [] where f.policy.map({ !policies.contains($0) }) ?? false {
      out.append(
        Diagnostic(
          id: .invalidValue,
          message: "the expected finding names policy '\(f.policy!)', which the test's policies do not have",
          range: f.location))
    }
    return out
  }

  /// A planned change as the test compares it: its action and every field a test may give.
  func line(_ c: PlannedChange, _ world: SimFixture) -> String {
    var parts = ["\(c.action.rawValue)", "conversation=\(c.conversation)"]
    if let p = c.participant { parts.append("participant=\(p)") }
    switch c.addTarget {
    case .user(let ref)?: parts.append("user=\(Self.shown(user: "\(ref)", in: world))")
    case .address(let a)?: parts.append("address=\(a)")
    case nil: break
    }
    if let d = c.duration, c.action == .mute || c.action == .pause { parts.append("for=\(d)") }
    if let role = c.role { parts.append("role=\(role)") }
    parts.append("policy=\(c.policy)")
    if let why = c.blocked { parts.append("blocked=\(why)") }
    return parts.joined(separator: " ")
  }

  /// A user as expected and planned lines show it: the world's email for an id or an email it knows
  /// (either case), else as written, lowercased.
  static func shown(user: String, in world: SimFixture) -> String {
    let u = user.lowercased()
    return world.users.first { $0.id.lowercased() == u || $0.email?.lowercased() == u }?.email ?? u
  }

  /// The expected changes as lines. Each field the test leaves out is taken from the planned change at
  /// the same place of the same action, so a test says what matters to it and a difference shows
  /// only where it does.
  static func expectedLines(_ test: PolicyTestFile, plan: Plan, world: SimFixture) -> [String] {
    let actual = plan.changes.filter(\.isChange)
    return test.changes.enumerated().map { i, e in
      var given = Dictionary(e.fields.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
      if let d = given["for"], case .success(let duration) = Grammar.duration(d) {
        given["for"] = duration.description
      }
      if let u = given["user"] { given["user"] = shown(user: u, in: world) }
      given["conversation"] = given["conversation"]?.lowercased()
      given["participant"] = given["participant"]?.lowercased()
      let same = i < actual.count && actual[i].action == e.action ? actual[i] : nil
      var parts = ["\(e.action.rawValue)"]
      func field(_ key: String, _ planned: String?) {
        if let v = given[key] ?? planned { parts.append("\(key)=\(v)") }
      }
      field("conversation", same?.conversation.rawValue)
      field("participant", same?.participant)
      if e.action == .add {
        field(
          "user",
          same.flatMap { c in
            if case .user(let ref)? = c.addTarget { shown(user: "\(ref)", in: world) } else { nil }
          })
        field("address", same.flatMap { c in if case .address(let a)? = c.addTarget { a } else { nil } })
      }
      if e.action == .mute || e.action == .pause { field("for", same?.duration?.description) }
      field("role", same?.role)
      field("policy", same?.policy)
      if let why = same?.blocked { parts.append("blocked=\(why)") }
      return parts.joined(separator: " ")
    }
  }

  /// The plan's findings as `id` and `policy=name` (the policy the finding names or is written in).
  func findings(_ plan: Plan, _ set: PolicySet) -> [String] {
    plan.findings.map { d in
      var policy: String? = nil
      if let r = d.message.range(of: "policy '"), let end = d.message[r.upperBound...].firstIndex(of: "'") {
        policy = String(d.message[r.upperBound..<end])
      } else {
        let inFile = Set(set.policies.filter { $0.location.file == d.range.file }.map(\.name))
        if inFile.count == 1 { policy = inFile.first }
      }
      return Self.findingLine(d.id, policy)
    }.sorted()
  }

  static func findingLine(_ id: String, _ policy: String?) -> String {
    policy.map { "\(id) policy=\($0)" } ?? id
  }
}

/// The test's clock: always `now`; nothing sleeps in a plan.
struct FrozenClock: RuntimeClock {
  let t: Double
  init(_ t: Double) { self.t = t }
  func now() -> Double { t }
  func sleep(until deadline: Double) async throws { if deadline > t { throw CancellationError() } }
}
