public import Foundation
import YAMLReader
public import OrderedJSON
import WireTime

/// A saved plan (`plan --out`): everything `apply --plan` needs, so the policy files are not read
/// again. It travels between CI jobs, so it is input like any other: decoding refuses unknown fields,
/// and ``check(now:target:workspace:)`` re-checks every change against the hard caps and the Limits
/// recorded in the plan before anything is applied.
public struct SavedPlan: Sendable, Hashable {
  /// Version 2 adds `target` and `limits`; version 3 adds `planId` (a saved plan applies once).
  /// Earlier versions are refused (plan again).
  public static let currentFormatVersion = 3
  /// The `kind` a saved plan's JSON carries.
  public static let kind = "partyline-plan"
  /// The longest a saved plan may be valid for (`notAfter − createdAt`).
  public static let maxLifetime: Duration = .seconds(24 * 3600)
  /// How far in the future a plan's `createdAt` may lie (a planner's clock a little ahead).
  public static let clockSlack: Duration = .seconds(60)

  /// The Limits the plan was made under.
  public struct SavedLimits: Sendable, Hashable, Codable {
    /// The longest mute, in seconds.
    public var maxMute: Int
    /// The most participants per conversation.
    public var maxParticipants: Int
    /// The roles allowed.
    public var roles: [SavedRole]
    /// The longest recording pause, in seconds (the default when a plan of an older version has none).
    public var maxPause: Int

    enum CodingKeys: String, CodingKey, CaseIterable { case maxMute, maxParticipants, roles, maxPause }

    /// Each limited role's `max` (the first role of a name counts, as in `Limits.role(named:)`).
    public var roleMax: [String: Int] { Admission.roleMax(roles.map { ($0.name, $0.max) }) }

    /// The Limits as saved.
    public init(_ limits: Limits) {
      maxMute = limits.maxMute.seconds
      maxParticipants = limits.maxParticipants
      roles = limits.roles.map { SavedRole(name: $0.name, max: $0.max, muted: $0.muted) }
      maxPause = limits.maxPause.seconds
    }

    /// Decodes saved Limits, refusing unknown fields.
    public init(from decoder: any Decoder) throws {
      try decoder.refuseUnknownKeys(CodingKeys.self)
      let c = try decoder.container(keyedBy: CodingKeys.self)
      maxMute = try c.decode(Int.self, forKey: .maxMute)
      maxParticipants = try c.decode(Int.self, forKey: .maxParticipants)
      roles = try c.decode([SavedRole].self, forKey: .roles)
      maxPause = try c.decodeIfPresent(Int.self, forKey: .maxPause) ?? PolicyDuration.defaultMaxPause.seconds
    }
  }

  /// A role of the saved Limits.
  public struct SavedRole: Sendable, Hashable, Codable {
    /// The role's name.
    public var name: String
    /// How many of the role Partyline may add per conversation, if limited.
    public var max: Int?
    /// Whether the role joins muted.
    public var muted: Bool

    enum CodingKeys: String, CodingKey, CaseIterable { case name, max, muted }

    /// A role as saved.
    public init(name: String, max: Int?, muted: Bool) {
      self.name = name
      self.max = max
      self.muted = muted
    }

    /// Decodes a saved role, refusing unknown fields.
    public init(from decoder: any Decoder) throws {
      try decoder.refuseUnknownKeys(CodingKeys.self)
      let c = try decoder.container(keyedBy: CodingKeys.self)
      name = try c.decode(String.self, forKey: .name)
      max = try c.decodeIfPresent(Int.self, forKey: .max)
      muted = try c.decode(Bool.self, forKey: .muted)
    }
  }

  /// The file format's version (see `currentFormatVersion`).
  public var formatVersion: Int
  /// The plan's id (a UUID): every journal record of its apply carries it, and a second `apply --plan`
  /// of the same id is refused.
  public var planId: String
  /// When the plan was made, in seconds since 1970.
  public var createdAt: Double
  /// When the plan expires, in seconds since 1970: it is refused after that.
  public var notAfter: Double
  /// The workspace the plan was made for.
  public var workspace: String
  /// What the plan was made against: `sandbox`, or the API base URL (`https://api.mypurecloud.ie`).
  public var target: String
  /// The digest of the policy set planned.
  public var policySetDigest: String
  /// The policy files planned, sorted.
  public var files: [String]
  /// The Limits the plan was made under.
  public var limits: SavedLimits
  /// The snapshot hash of each conversation read: one that changed since is refused at apply time.
  public var snapshots: [String: String]
  /// The actionable changes, in their saved form (``PlannedChange/saved``).
  public var changes: [PlannedChange]

  /// A plan to save: its actionable changes only (blocked ones and noops are for display).
  public init(
    _ plan: Plan, set: PolicySet, workspace: String, target: String, notAfter: Double, planId: String
  ) {
    formatVersion = Self.currentFormatVersion
    self.planId = planId
    createdAt = plan.createdAt
    self.notAfter = notAfter
    self.workspace = workspace
    self.target = target
    policySetDigest = plan.policySetDigest
    files = set.files
    limits = SavedLimits(set.limits)
    snapshots = plan.snapshots
    changes = plan.actionable.map(\.saved)
  }

  /// The file's JSON, with a stable key order (it is pinned by a golden file).
  /// The plan as JSON, through its `Encodable` conformance (the same keys its `Decodable` one reads),
  /// keys in the order written.
  public var json: JSONValue { (try? JSONValueEncoder().encode(self)) ?? .null }
}

extension SavedPlan {
  /// Decodes a saved plan's bytes. A file that is not JSON (truncated, damaged), not a plan, of
  /// another version, or that has unknown fields is refused with the reason and where.
  public static func decode(_ data: Data, path: String) throws -> SavedPlan {
    let header: Header
    do {
      header = try JSONDecoder().decode(Header.self, from: data)
    } catch DecodingError.dataCorrupted {
      throw SavedPlanError(
        "'\(path)' is not valid JSON: the file is truncated or damaged; run plan --out again")
    } catch {
      throw SavedPlanError("'\(path)' is not a saved plan (no \"kind\": \"\(kind)\" object)")
    }
    guard header.kind == kind else {
      throw SavedPlanError("'\(path)' is not a saved plan (no \"kind\": \"\(kind)\" object)")
    }
    guard header.formatVersion == currentFormatVersion else {
      throw SavedPlanError(
        "'\(path)' has formatVersion \(header.formatVersion.map(String.init) ?? "(none)"); this Partyline reads formatVersion \(currentFormatVersion): run plan --out again"
      )
    }
    do {
      return try JSONDecoder().decode(SavedPlan.self, from: data)
    } catch let e as DecodingError {
      throw SavedPlanError("'\(path)': \(Self.describe(e))")
    }
  }

  struct Header: Decodable {
    var kind: String?
    var formatVersion: Int?
  }

  static func describe(_ e: DecodingError) -> String {
    func path(_ keys: [any CodingKey]) -> String {
      var out = ""
      for k in keys {
        if let i = k.intValue {
          out += "[\(i)]"
        } else {
          out += out.isEmpty ? k.stringValue : ".\(k.stringValue)"
        }
      }
      return out.isEmpty ? "the top level" : out
    }
    switch e {
    case .keyNotFound(let key, let ctx):
      let at = ctx.codingPath.isEmpty ? "" : "\(path(ctx.codingPath)): "
      return "\(at)missing field '\(key.stringValue)'"
    case .typeMismatch(_, let ctx), .valueNotFound(_, let ctx):
      return "\(path(ctx.codingPath)): wrong type (\(ctx.debugDescription))"
    case .dataCorrupted(let ctx):
      return "\(path(ctx.codingPath)): \(ctx.debugDescription)"
    @unknown default:
      return "\(e)"
    }
  }

  /// Checks the plan before anything is applied: not expired, made for this workspace and target, its
  /// Limits within the hard caps, and every change of a possible form within those Limits. Returns the
  /// changes to apply. What needs live state (capacity, participants present) is
  /// ``checkAgainst(_:addedRoles:)``'s.
  public func check(now: Double, target: String, workspace: String) throws -> [PlannedChange] {
    if now > notAfter {
      throw SavedPlanError(
        "the saved plan expired at \(Timestamp.iso8601(notAfter)) (notAfter); run plan again")
    }
    // The file's own dates are input too (DESIGN §5): not made in the future, not valid for longer
    // than a plan may be.
    if createdAt > now + Self.clockSlack.inSeconds {
      throw SavedPlanError(
        "the saved plan says it was made at \(Timestamp.iso8601(createdAt)) (createdAt), in the future: refused"
      )
    }
    if notAfter - createdAt > Self.maxLifetime.inSeconds {
      throw SavedPlanError(
        "the saved plan claims to be valid for \(PolicyDuration(seconds: Int(notAfter - createdAt))) (notAfter − createdAt), more than \(PolicyDuration(seconds: Int(Self.maxLifetime.inSeconds))): refused"
      )
    }
    if self.workspace != workspace {
      throw SavedPlanError("the saved plan belongs to workspace '\(self.workspace)', not '\(workspace)'")
    }
    if self.target != target {
      throw SavedPlanError(
        "the saved plan was made against \(self.target), not \(target): apply it where it was planned")
    }
    var problems: [String] = []
    if !(1...PolicyDuration.hardMaxMute.seconds).contains(limits.maxMute) {
      problems.append(
        "limits.maxMute \(limits.maxMute)s is outside 1s…\(PolicyDuration.hardMaxMute) (the hard cap)")
    }
    if !(1...PolicyDuration.hardMaxPause.seconds).contains(limits.maxPause) {
      problems.append(
        "limits.maxPause \(limits.maxPause)s is outside 1s…\(PolicyDuration.hardMaxPause) (the hard cap)")
    }
    if !(1...Limits.hardMaxParticipants).contains(limits.maxParticipants) {
      problems.append(
        "limits.maxParticipants \(limits.maxParticipants) is outside 1…\(Limits.hardMaxParticipants) (the hard cap)"
      )
    }
    for r in limits.roles where !Grammar.isName(r.name) || (r.max ?? 0) < 0 {
      problems.append("limits.roles: invalid role '\(r.name)'")
    }
    for (cid, hash) in snapshots where Grammar.uuid(cid) != cid || hash.isEmpty {
      problems.append("snapshots: invalid conversation id '\(cid)'")
    }
    var admissions: [String: Admission] = [:]
    for (i, c) in changes.enumerated() {
      func refuse(_ why: String) { problems.append("changes[\(i)] (\(c.action)): \(why)") }
      if snapshots[c.conversation.rawValue] == nil {
        refuse("conversation \(c.conversation.rawValue) has no snapshot in the plan")
      }
      switch c.effect {
      case .mute(_, let duration, _, _):
        let cap = min(limits.maxMute, PolicyDuration.hardMaxMute.seconds)
        if duration.seconds > cap {
          refuse(
            "a mute of \(duration.seconds)s is outside 1s…\(PolicyDuration(seconds: cap)) (maxMute \(PolicyDuration(seconds: limits.maxMute)), hard cap \(PolicyDuration.hardMaxMute))"
          )
        }
      case .pauseRecording(let duration, _, _):
        let cap = min(limits.maxPause, PolicyDuration.hardMaxPause.seconds)
        if duration.seconds > cap {
          refuse(
            "a recording pause of \(duration.seconds)s is outside 1s…\(PolicyDuration(seconds: cap)) (maxPause \(PolicyDuration(seconds: limits.maxPause)), hard cap \(PolicyDuration.hardMaxPause))"
          )
        }
      case .add(_, let role):
        guard limits.roles.contains(where: { $0.name == role }) else {
          refuse("role '\(role)' is not in the plan's limits")
          continue
        }
        // The plan's adds alone, in an empty conversation: what the live check counts from the call.
        var admission =
          admissions[c.conversation.rawValue]
          ?? Admission(maxParticipants: limits.maxParticipants, roleMax: limits.roleMax, conversationMax: nil)
        for refusal in admission.refusals(role: role) {
          switch refusal {
          case .roleMax(_, let max):
            refuse(
              "more adds of role '\(role)' in conversation \(c.conversation.rawValue) than its max of \(max)")
          case .capacity:
            refuse(
              "conversation \(c.conversation.rawValue): more adds than maxParticipants \(limits.maxParticipants)"
            )
          }
        }
        admission.admit(role: role)
        admissions[c.conversation.rawValue] = admission
      case .unmute, .revert, .prune, .noop, .resumeRecording: break
      }
    }
    if !problems.isEmpty {
      let shown = problems.prefix(20).map { "  \($0)" }.joined(separator: "\n")
      let more = problems.count > 20 ? "\n  … and \(problems.count - 20) more" : ""
      throw SavedPlanError(
        "refusing the saved plan: \(problems.count == 1 ? "a change breaks" : "\(problems.count) problems break") the rules it was planned under:\n\(shown)\(more)"
      )
    }
    return changes
  }

  /// What needs the live conversations read at apply time (their snapshots matched the plan's):
  /// participants changed still there, acting users connected, capacity after the adds, and roles under
  /// their `max` counting what the journal says Partyline added since.
  public func checkAgainst(
    _ changes: [PlannedChange], live: [String: LiveConversation], addedRoles: [String: [String: Int]]
  ) throws {
    var problems: [String] = []
    var adds: [String: Int] = [:]
    var admissions: [String: Admission] = [:]
    var full = Set<String>()  // conversations whose adds exceed their capacity
    for c in changes {
      guard let conv = live[c.conversation.rawValue], conv.status == .found else {
        problems.append("conversation \(c.conversation.rawValue) was not found")
        continue
      }
      if let p = c.participant, !conv.participants.contains(where: { $0.id == p }) {
        problems.append("participant \(p) is not in conversation \(c.conversation.rawValue)")
      }
      if let a = c.actingUser, !conv.participants.contains(where: { $0.userId == a && $0.isConnected }) {
        problems.append("acting user \(a) is not connected to conversation \(c.conversation.rawValue)")
      }
      if c.action == .add, let role = c.role {
        adds[c.conversation.rawValue, default: 0] += 1
        var admission =
          admissions[c.conversation.rawValue]
          ?? Admission(
            maxParticipants: limits.maxParticipants, roleMax: limits.roleMax,
            conversationMax: conv.maxParticipants,
            present: conv.participants.filter { !$0.hasLeft }.count,
            roles: addedRoles[c.conversation.rawValue] ?? [:])
        for refusal in admission.refusals(role: role) {
          switch refusal {
          case .roleMax(_, let max):
            problems.append(
              "adding as '\(role)' would exceed the role's max of \(max) in conversation \(c.conversation.rawValue)"
            )
          case .capacity: full.insert(c.conversation.rawValue)
          }
        }
        admission.admit(role: role)
        admissions[c.conversation.rawValue] = admission
      }
    }
    for cid in full.sorted() {
      guard let conv = live[cid], let admission = admissions[cid], let n = adds[cid] else { continue }
      problems.append(
        "conversation \(cid): \(conv.participants.filter { !$0.hasLeft }.count) participants and \(n) adds would exceed \(admission.capacity) participants"
      )
    }
    if !problems.isEmpty {
      var seen = Set<String>()
      let unique = problems.filter { seen.insert($0).inserted }
      throw SavedPlanError(
        "refusing the saved plan: \(unique.map { "\n  \($0)" }.joined())")
    }
  }
}

extension SavedPlan: Codable {
  enum CodingKeys: String, CodingKey, CaseIterable {
    case formatVersion, kind, planId, createdAt, notAfter, workspace, target, policySetDigest, files,
      limits, snapshots, changes
    // Checked on the file's bytes (`PlanSignature`), not decoded.
    case signature
  }

  /// Decodes a saved plan, refusing unknown fields and times that are not ISO-8601 UTC.
  public init(from decoder: any Decoder) throws {
    try decoder.refuseUnknownKeys(CodingKeys.self)
    let c = try decoder.container(keyedBy: CodingKeys.self)
    formatVersion = try c.decode(Int.self, forKey: .formatVersion)
    let id = try c.decode(String.self, forKey: .planId)
    guard Grammar.uuid(id) == id else {
      throw DecodingError.dataCorruptedError(
        forKey: .planId, in: c, debugDescription: "not a lowercase UUID: '\(id.prefix(64))'")
    }
    planId = id
    func time(_ key: CodingKeys) throws -> Double {
      let s = try c.decode(String.self, forKey: key)
      guard let t = Timestamp.parse(s) else {
        throw DecodingError.dataCorruptedError(
          forKey: key, in: c, debugDescription: "not an ISO-8601 UTC time: '\(s)'")
      }
      return t
    }
    createdAt = try time(.createdAt)
    notAfter = try time(.notAfter)
    workspace = try c.decode(String.self, forKey: .workspace)
    target = try c.decode(String.self, forKey: .target)
    policySetDigest = try c.decode(String.self, forKey: .policySetDigest)
    files = try c.decode([String].self, forKey: .files)
    limits = try c.decode(SavedLimits.self, forKey: .limits)
    snapshots = try c.decode([String: String].self, forKey: .snapshots)
    changes = try c.decode([PlannedChange].self, forKey: .changes)
  }
}

/// Any key, to see the keys a JSON object really has.
struct AnyCodingKey: CodingKey {
  var stringValue: String
  var intValue: Int?
  init(stringValue: String) { self.stringValue = stringValue }
  init?(intValue: Int) {
    self.stringValue = "\(intValue)"
    self.intValue = intValue
  }
}

extension Decoder {
  /// Throws for a key the type does not know: saved artefacts are refused rather than half-read.
  func refuseUnknownKeys<K: CodingKey & CaseIterable>(_: K.Type) throws {
    let known = Set(K.allCases.map(\.stringValue))
    let c = try container(keyedBy: AnyCodingKey.self)
    if let unknown = c.allKeys.map(\.stringValue).sorted().first(where: { !known.contains($0) }) {
      throw DecodingError.dataCorrupted(
        .init(codingPath: codingPath, debugDescription: "unknown field '\(unknown)'"))
    }
  }
}

extension SavedPlan {
  /// Writes the keys `CodingKeys` reads, in that order; times as ISO-8601, snapshots sorted.
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(formatVersion, forKey: .formatVersion)
    try c.encode(Self.kind, forKey: .kind)
    try c.encode(planId, forKey: .planId)
    try c.encode(Timestamp.iso8601(createdAt), forKey: .createdAt)
    try c.encode(Timestamp.iso8601(notAfter), forKey: .notAfter)
    try c.encode(workspace, forKey: .workspace)
    try c.encode(target, forKey: .target)
    try c.encode(policySetDigest, forKey: .policySetDigest)
    try c.encode(files, forKey: .files)
    try c.encode(limits, forKey: .limits)
    var snapshots = c.nestedContainer(keyedBy: AnyCodingKey.self, forKey: .snapshots)
    for (cid, hash) in self.snapshots.sorted(by: { $0.key < $1.key }) {
      try snapshots.encode(hash, forKey: AnyCodingKey(stringValue: cid))
    }
    try c.encode(changes, forKey: .changes)
  }
}

extension SavedPlan.SavedLimits {
  /// Writes `maxMute`, `maxParticipants`, `roles`, `maxPause`.
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(maxMute, forKey: .maxMute)
    try c.encode(maxParticipants, forKey: .maxParticipants)
    try c.encode(roles, forKey: .roles)
    try c.encode(maxPause, forKey: .maxPause)
  }
}

extension SavedPlan.SavedRole {
  /// Writes `name`, `max` (when limited), `muted`.
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(name, forKey: .name)
    try c.encodeIfPresent(max, forKey: .max)
    try c.encode(muted, forKey: .muted)
  }
}
