import Foundation
public import OrderedJSON
public import WireTime

/// One line of the journal: an intent before a call, its outcome after, or the close
/// of a lease that needs no revert (its participant left, its conversation ended, it was already
/// unmuted), so that no later run reads that conversation for it again.
public struct JournalRecord: Sendable, Hashable {
  public enum Kind: String, Sendable { case intent, outcome, close }
  public enum Status: String, Sendable {
    /// The API accepted the call.
    case ok
    /// The API refused it: it did not take effect.
    case failed
    /// No answer (timeout, reset, 5xx on an add): it may or may not have taken effect.
    case unknown
  }

  public var kind: Kind
  /// Pairs an outcome with its intent.
  public var id: String
  public var at: Double
  public var workspace: String
  public var run: String
  public var action: PlannedChange.Action
  public var conversation: String
  public var participant: String?
  public var policy: String
  public var directive: String
  public var role: String?
  public var userId: String?
  public var address: String?
  public var actingUser: String?
  public var reason: String?
  /// For mutes: when the lease ends.
  public var leaseEnds: Double?
  public var status: Status?
  public var httpStatus: Int?
  public var latencyMs: Int?
  public var correlationId: String?
  public var error: String?

  public init(
    kind: Kind, id: String, at: Double, workspace: String, run: String, action: PlannedChange.Action,
    conversation: String, participant: String? = nil, policy: String, directive: String, role: String? = nil,
    userId: String? = nil, address: String? = nil, actingUser: String? = nil, reason: String? = nil,
    leaseEnds: Double? = nil, status: Status? = nil, httpStatus: Int? = nil, latencyMs: Int? = nil,
    correlationId: String? = nil, error: String? = nil
  ) {
    self.kind = kind
    self.id = id
    self.at = at
    self.workspace = workspace
    self.run = run
    self.action = action
    self.conversation = conversation
    self.participant = participant
    self.policy = policy
    self.directive = directive
    self.role = role
    self.userId = userId
    self.address = address
    self.actingUser = actingUser
    self.reason = reason
    self.leaseEnds = leaseEnds
    self.status = status
    self.httpStatus = httpStatus
    self.latencyMs = latencyMs
    self.correlationId = correlationId
    self.error = error
  }

  public var json: JSONValue {
    var pairs: [(String, JSONValue)] = [
      ("v", 1), ("kind", .string(kind.rawValue)), ("id", .string(id)), ("at", .string(Timestamp.iso8601(at))),
      ("t", .double(at)), ("workspace", .string(workspace)), ("run", .string(run)),
      ("action", .string(action.rawValue)), ("conversation", .string(conversation)),
    ]
    func add(_ k: String, _ v: String?) { if let v { pairs.append((k, .string(v))) } }
    add("participant", participant)
    pairs.append(("policy", .string(policy)))
    pairs.append(("directive", .string(directive)))
    add("role", role)
    add("userId", userId)
    add("address", address)
    add("actingUser", actingUser)
    add("reason", reason)
    if let leaseEnds { pairs.append(("leaseEnds", .double(leaseEnds))) }
    add("status", status?.rawValue)
    if let httpStatus { pairs.append(("httpStatus", .int(httpStatus))) }
    if let latencyMs { pairs.append(("latencyMs", .int(latencyMs))) }
    add("correlationId", correlationId)
    add("error", error)
    return .object(pairs)
  }

  public var line: String { json.render() }

  /// Parses one journal line; nil when it is not a record (a torn or foreign line).
  public static func parse(_ line: Substring) -> JournalRecord? {
    guard let data = line.data(using: .utf8),
      let o = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
      let kind = (o["kind"] as? String).flatMap(Kind.init), let id = o["id"] as? String,
      let at = (o["t"] as? NSNumber)?.doubleValue, let workspace = o["workspace"] as? String,
      let run = o["run"] as? String, let action = (o["action"] as? String).flatMap(PlannedChange.Action.init),
      let conversation = o["conversation"] as? String, let policy = o["policy"] as? String,
      let directive = o["directive"] as? String
    else { return nil }
    return JournalRecord(
      kind: kind, id: id, at: at, workspace: workspace, run: run, action: action, conversation: conversation,
      participant: o["participant"] as? String, policy: policy, directive: directive,
      role: o["role"] as? String,
      userId: o["userId"] as? String, address: o["address"] as? String,
      actingUser: o["actingUser"] as? String,
      reason: o["reason"] as? String, leaseEnds: (o["leaseEnds"] as? NSNumber)?.doubleValue,
      status: (o["status"] as? String).flatMap(Status.init),
      httpStatus: (o["httpStatus"] as? NSNumber)?.intValue,
      latencyMs: (o["latencyMs"] as? NSNumber)?.intValue, correlationId: o["correlationId"] as? String,
      error: o["error"] as? String)
  }
}

/// Where the journal lives: a local directory or PostgreSQL. Appends are durable when they return.
public protocol Journal: Sendable {
  func append(_ records: [JournalRecord]) async throws
  func records(workspace: String) async throws -> [JournalRecord]
  /// How many records each conversation has, in every workspace: a run compares a conversation's
  /// count under its lock with the count before it planned, to learn whether any run acted since.
  func recordCounts() async throws -> [String: Int]
  func recordCount(conversation: String) async throws -> Int
}

/// What the journal says: leases (mute until T) and the roles Partyline added.
public struct JournalState: Sendable {
  public var leases: [Lease]
  public var addedRoles: [String: [String: Int]]

  public init(_ records: [JournalRecord], workspace: String) {
    var outcomes: [String: JournalRecord.Status] = [:]
    for r in records where r.kind == .outcome { if let s = r.status { outcomes[r.id] = s } }
    var leases: [Lease.Key: Lease] = [:]
    var roles: [String: [String: Int]] = [:]
    var closed = Set<Lease.Key>()
    for r in records where r.kind == .close && r.workspace == workspace {
      guard let pid = r.participant else { continue }
      closed.insert(
        Lease.Key(policy: r.policy, directive: r.directive, conversation: r.conversation, participant: pid))
    }
    for r in records where r.kind == .intent && r.workspace == workspace {
      let outcome = outcomes[r.id]  // nil: crashed before the outcome — it may have happened
      if outcome == .failed { continue }
      switch r.action {
      case .mute:
        guard let pid = r.participant, let ends = r.leaseEnds else { continue }
        var lease = Lease(
          workspace: r.workspace, policy: r.policy, directive: r.directive, conversation: r.conversation,
          participant: pid, startedAt: r.at, endsAt: ends, status: .open)
        lease.outcomeKnown = outcome != nil
        // A reconcile re-mute stays within the lease it belongs to: keep the first.
        if leases[lease.key] == nil {
          leases[lease.key] = lease
          if closed.contains(lease.key) { leases[lease.key]?.status = .served }
        }
      case .revert, .prune:
        guard outcome == .ok, let pid = r.participant else { continue }
        let key = Lease.Key(
          policy: r.policy, directive: r.directive, conversation: r.conversation, participant: pid)
        leases[key]?.status = .served
      case .add:
        if let role = r.role { roles[r.conversation, default: [:]][role, default: 0] += 1 }
      case .unmute, .noop:
        break
      }
    }
    self.leases = leases.values.sorted { ($0.endsAt, $0.participant) < ($1.endsAt, $1.participant) }
    self.addedRoles = roles
  }
}
