import Foundation
public import OrderedJSON
public import WireTime

/// One line of the journal: an intent before a call, its outcome after, or the close
/// of a lease that needs no revert (its participant left, its conversation ended, it was already
/// unmuted), so that no later run reads that conversation for it again.
public struct JournalRecord: Sendable, Hashable {
  public enum Kind: String, Sendable, Codable { case intent, outcome, close }
  public enum Status: String, Sendable, Codable {
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

  /// The journal line format's version (`v`): a reader refuses lines of a later version.
  public static let formatVersion = 1

  /// The keys of a journal line, in the order they are written.
  enum CodingKeys: String, CodingKey {
    case v, kind, id, at, t, workspace, run, action, conversation, participant, policy, directive, role
    case userId, address, actingUser, reason, leaseEnds, status, httpStatus, latencyMs, correlationId, error
  }

  /// The record as a journal line's JSON object, keys in `CodingKeys` order (`at` is the ISO-8601 form
  /// of `t`, for people; `t` is what is read).
  public var json: JSONValue {
    var pairs: [(String, JSONValue)] = []
    func put(_ k: CodingKeys, _ v: JSONValue?) { if let v { pairs.append((k.rawValue, v)) } }
    func put(_ k: CodingKeys, _ v: String?) { put(k, v.map(JSONValue.string)) }
    put(.v, .int(Self.formatVersion))
    put(.kind, kind.rawValue)
    put(.id, id)
    put(.at, Timestamp.iso8601(at))
    put(.t, .double(at))
    put(.workspace, workspace)
    put(.run, run)
    put(.action, action.rawValue)
    put(.conversation, conversation)
    put(.participant, participant)
    put(.policy, policy)
    put(.directive, directive)
    put(.role, role)
    put(.userId, userId)
    put(.address, address)
    put(.actingUser, actingUser)
    put(.reason, reason)
    put(.leaseEnds, leaseEnds.map(JSONValue.double))
    put(.status, status?.rawValue)
    put(.httpStatus, httpStatus.map(JSONValue.int))
    put(.latencyMs, latencyMs.map(JSONValue.int))
    put(.correlationId, correlationId)
    put(.error, error)
    return .object(pairs)
  }

  /// One journal line.
  public var line: String { json.render() }

  /// Parses one journal line; nil when it is not a record of this format (a torn or foreign line).
  public static func parse(_ line: Substring) -> JournalRecord? {
    try? JSONDecoder().decode(JournalRecord.self, from: Data(line.utf8))
  }
}

extension JournalRecord: Codable {
  /// Reads a journal line's object; a line of a later format version, or without a required field,
  /// is an error.
  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    let version = try c.decode(Int.self, forKey: .v)
    guard version <= Self.formatVersion else {
      throw DecodingError.dataCorruptedError(
        forKey: .v, in: c,
        debugDescription: "journal format version \(version) is newer than \(Self.formatVersion)")
    }
    self.init(
      kind: try c.decode(Kind.self, forKey: .kind), id: try c.decode(String.self, forKey: .id),
      at: try c.decode(Double.self, forKey: .t), workspace: try c.decode(String.self, forKey: .workspace),
      run: try c.decode(String.self, forKey: .run),
      action: try c.decode(PlannedChange.Action.self, forKey: .action),
      conversation: try c.decode(String.self, forKey: .conversation),
      participant: try c.decodeIfPresent(String.self, forKey: .participant),
      policy: try c.decode(String.self, forKey: .policy),
      directive: try c.decode(String.self, forKey: .directive),
      role: try c.decodeIfPresent(String.self, forKey: .role),
      userId: try c.decodeIfPresent(String.self, forKey: .userId),
      address: try c.decodeIfPresent(String.self, forKey: .address),
      actingUser: try c.decodeIfPresent(String.self, forKey: .actingUser),
      reason: try c.decodeIfPresent(String.self, forKey: .reason),
      leaseEnds: try c.decodeIfPresent(Double.self, forKey: .leaseEnds),
      status: try c.decodeIfPresent(Status.self, forKey: .status),
      httpStatus: try c.decodeIfPresent(Int.self, forKey: .httpStatus),
      latencyMs: try c.decodeIfPresent(Int.self, forKey: .latencyMs),
      correlationId: try c.decodeIfPresent(String.self, forKey: .correlationId),
      error: try c.decodeIfPresent(String.self, forKey: .error))
  }

  /// Writes the same object as `json`.
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(Self.formatVersion, forKey: .v)
    try c.encode(kind, forKey: .kind)
    try c.encode(id, forKey: .id)
    try c.encode(Timestamp.iso8601(at), forKey: .at)
    try c.encode(at, forKey: .t)
    try c.encode(workspace, forKey: .workspace)
    try c.encode(run, forKey: .run)
    try c.encode(action, forKey: .action)
    try c.encode(conversation, forKey: .conversation)
    try c.encodeIfPresent(participant, forKey: .participant)
    try c.encode(policy, forKey: .policy)
    try c.encode(directive, forKey: .directive)
    try c.encodeIfPresent(role, forKey: .role)
    try c.encodeIfPresent(userId, forKey: .userId)
    try c.encodeIfPresent(address, forKey: .address)
    try c.encodeIfPresent(actingUser, forKey: .actingUser)
    try c.encodeIfPresent(reason, forKey: .reason)
    try c.encodeIfPresent(leaseEnds, forKey: .leaseEnds)
    try c.encodeIfPresent(status, forKey: .status)
    try c.encodeIfPresent(httpStatus, forKey: .httpStatus)
    try c.encodeIfPresent(latencyMs, forKey: .latencyMs)
    try c.encodeIfPresent(correlationId, forKey: .correlationId)
    try c.encodeIfPresent(error, forKey: .error)
  }
}

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
