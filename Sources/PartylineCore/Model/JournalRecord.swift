public import OrderedJSON
import WireTime

/// One line of the journal: an intent before a call, its outcome after, or the close
/// of a lease that needs no revert (its participant left, its conversation ended, it was already
/// unmuted), so that no later run reads that conversation for it again.
public struct JournalRecord: Sendable, Hashable {
  /// The record's kind: `intent` before a call, `outcome` after it, `close` for a lease that needs
  /// no revert, `retime` for a lease whose mute was dated in the reader's future (a writer's clock
  /// ahead): it ends `leaseEnds`, counted from when it was first read, so it does not slide.
  public enum Kind: String, Sendable, Codable { case intent, outcome, close, retime }
  /// How a call ended, in an outcome record.
  public enum Status: String, Sendable, Codable {
    /// The API accepted the call.
    case ok
    /// The API refused it: it did not take effect.
    case failed
    /// No answer (timeout, reset, 5xx on an add): it may or may not have taken effect.
    case unknown
  }

  /// Whether the record is an intent, an outcome or a close.
  public var kind: Kind
  /// Pairs an outcome with its intent.
  public var id: String
  /// When it was written, in seconds since 1970 (`t` in the line; `at` there is its ISO-8601 form).
  public var at: Double
  /// The workspace of the run that wrote it.
  public var workspace: String
  /// The id of the run that wrote it.
  public var run: String
  /// For the intents of `apply --plan`: the saved plan's id (a saved plan applies once).
  public var plan: String?
  /// The change the call makes (a close carries `revert`).
  public var action: PlannedChange.Action
  /// The conversation's id.
  public var conversation: String
  /// The participant changed or whose lease closed (not for adds).
  public var participant: String?
  /// The name of the policy behind the change.
  public var policy: String
  /// The directive's digest (a lease's identity); empty for changes that open no lease.
  public var directive: String
  /// For adds: the role the party is added as.
  public var role: String?
  /// For adds of a user: the user's id.
  public var userId: String?
  /// For adds of a phone number: the number.
  public var address: String?
  /// The user on whose behalf the call is made.
  public var actingUser: String?
  /// For mutes: the directive's reason; for closes: why the lease needs no revert.
  public var reason: String?
  /// For mutes and retimes: when the lease ends.
  public var leaseEnds: Double?
  /// For outcomes: how the call ended.
  public var status: Status?
  /// For outcomes: the HTTP status the API answered with.
  public var httpStatus: Int?
  /// For outcomes: how long the call took, in milliseconds.
  public var latencyMs: Int?
  /// For outcomes: the API's correlation id.
  public var correlationId: String?
  /// For outcomes that failed or are unknown: the error.
  public var error: String?

  /// A record; the fields its kind and action do not need stay nil.
  public init(
    kind: Kind, id: String, at: Double, workspace: String, run: String, plan: String? = nil,
    action: PlannedChange.Action,
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
    self.plan = plan
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

  /// The intent of a change about to be made at `at`, on behalf of `actingUser`: the effect's fields
  /// (its participant; an add's user or address and role; a mute's reason and the end of its lease,
  /// the lease it stays within or `at` plus its duration).
  public init(
    intent c: PlannedChange, id: String, at: Double, workspace: String, run: String, plan: String?,
    actingUser: String?
  ) {
    self.init(
      kind: .intent, id: id, at: at, workspace: workspace, run: run, plan: plan, action: c.action,
      conversation: c.conversation.rawValue, participant: c.participant, policy: c.policy,
      directive: c.directive,
      actingUser: actingUser)
    switch c.effect {
    case .mute(_, let duration, let reason, let dueAt), .pauseRecording(let duration, let reason, let dueAt):
      self.reason = reason
      leaseEnds = dueAt ?? at + Double(duration.seconds)
    case .add(let target, let role):
      self.role = role
      switch target {
      case .user(let ref): userId = "\(ref)"
      case .address(let a): address = a
      }
    case .unmute, .revert, .prune, .noop, .resumeRecording: break
    }
  }

  /// The journal line format's version (`v`): a reader refuses lines of a later version.
  public static let formatVersion = 1

  /// The keys of a journal line, in the order they are written.
  enum CodingKeys: String, CodingKey {
    case v, kind, id, at, t, workspace, run, plan, action, conversation, participant, policy, directive, role
    case userId, address, actingUser, reason, leaseEnds, status, httpStatus, latencyMs, correlationId, error
  }

  /// The record as a journal line's JSON object: its `Encodable` form (the keys its `Decodable` form
  /// reads), keys in `CodingKeys` order (`at` is the ISO-8601 form of `t`, for people; `t` is read).
  public var json: JSONValue { (try? JSONValueEncoder().encode(self)) ?? .null }

  /// One journal line.
  public var line: String { json.render() }

  /// Parses one journal line; nil when it is not a record of this format (a torn or foreign line).
  public static func parse(_ line: Substring) -> JournalRecord? {
    try? read(line).get()
  }

  /// Parses one journal line, or says why it cannot be read (not JSON, a later format version, a
  /// missing or mistyped field), in words fit for a report. Unknown keys are ignored (a later version
  /// may add some). Read with `JSONParser` and one pass over the keys: a journal of weeks is read at
  /// every start.
  public static func read(_ line: Substring) -> Result<JournalRecord, UnreadableRecord.Reason> {
    let value: JSONValue
    do { value = try JSONParser.parse(Array(line.utf8)) } catch { return .failure(.init("not JSON")) }
    guard case .object(let pairs) = value else { return .failure(.init("not a JSON object")) }
    var fields = Fields()
    for (key, v) in pairs {
      guard let k = CodingKeys(rawValue: key) else { continue }
      if case .null = v { continue }
      if !fields.set(k, v) { return .failure(.init("'\(key)' has the wrong type")) }
    }
    return fields.record()
  }

  /// The fields of a line as they are read.
  private struct Fields {
    var v: Int?
    var kind: Kind?
    var id, workspace, run, plan, conversation, participant, policy, directive: String?
    var role, userId, address, actingUser, reason, correlationId, error: String?
    var t, leaseEnds: Double?
    var action: PlannedChange.Action?
    var status: Status?
    var httpStatus, latencyMs: Int?

    /// Takes one key's value; false when it is of the wrong type.
    mutating func set(_ key: CodingKeys, _ value: JSONValue) -> Bool {
      let s = value.stringValue
      switch key {
      case .v: v = value.intValue; return v != nil
      case .kind: kind = s.flatMap(Kind.init(rawValue:)); return kind != nil
      case .at: return s != nil  // the ISO-8601 form, for people; `t` is what is read
      case .t: t = value.doubleValue; return t != nil
      case .action: action = s.flatMap(PlannedChange.Action.init(rawValue:)); return action != nil
      case .status: status = s.flatMap(Status.init(rawValue:)); return status != nil
      case .leaseEnds: leaseEnds = value.doubleValue; return leaseEnds != nil
      case .httpStatus: httpStatus = value.intValue; return httpStatus != nil
      case .latencyMs: latencyMs = value.intValue; return latencyMs != nil
      default: break
      }
      guard let s else { return false }
      switch key {
      case .id: id = s
      case .workspace: workspace = s
      case .run: run = s
      case .plan: plan = s
      case .conversation: conversation = s
      case .participant: participant = s
      case .policy: policy = s
      case .directive: directive = s
      case .role: role = s
      case .userId: userId = s
      case .address: address = s
      case .actingUser: actingUser = s
      case .reason: reason = s
      case .correlationId: correlationId = s
      case .error: error = s
      default: break
      }
      return true
    }

    func record() -> Result<JournalRecord, UnreadableRecord.Reason> {
      guard let v else { return .failure(.init("no 'v' field")) }
      guard v <= JournalRecord.formatVersion else {
        return .failure(.init("journal format version \(v) is newer than \(JournalRecord.formatVersion)"))
      }
      guard let kind else { return .failure(.init("no 'kind' field")) }
      guard let id else { return .failure(.init("no 'id' field")) }
      guard let t else { return .failure(.init("no 't' field")) }
      guard let workspace else { return .failure(.init("no 'workspace' field")) }
      guard let run else { return .failure(.init("no 'run' field")) }
      guard let action else { return .failure(.init("no 'action' field")) }
      guard let conversation else { return .failure(.init("no 'conversation' field")) }
      guard let policy else { return .failure(.init("no 'policy' field")) }
      guard let directive else { return .failure(.init("no 'directive' field")) }
      return .success(
        JournalRecord(
          kind: kind, id: id, at: t, workspace: workspace, run: run, plan: plan, action: action,
          conversation: conversation, participant: participant, policy: policy, directive: directive,
          role: role, userId: userId, address: address, actingUser: actingUser, reason: reason,
          leaseEnds: leaseEnds, status: status, httpStatus: httpStatus, latencyMs: latencyMs,
          correlationId: correlationId, error: error))
    }
  }
}

extension JournalRecord: Encodable {
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
    try c.encodeIfPresent(plan, forKey: .plan)
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
