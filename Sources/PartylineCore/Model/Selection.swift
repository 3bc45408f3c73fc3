public import YAMLReader

/// A queue, by id or by name (resolved through the API once per run).
public enum QueueRef: Hashable, Sendable, CustomStringConvertible {
  case id(String)
  case name(String)

  public var description: String {
    switch self {
    case .id(let id): return id
    case .name(let name): return name
    }
  }
}

public enum CallDirection: String, Hashable, Sendable, CaseIterable {
  case inbound, outbound
}

/// `spec.select`: the live calls a policy applies to. Every given key must match.
public struct CallSelector: Hashable, Sendable {
  public var queue: QueueRef?
  public var user: UserRef?
  public var direction: CallDirection?
  /// The `spec.select` mapping.
  public var location: SourceRange
  public var queueLocation: SourceRange?
  public var userLocation: SourceRange?

  public init(
    queue: QueueRef? = nil, user: UserRef? = nil, direction: CallDirection? = nil, location: SourceRange,
    queueLocation: SourceRange? = nil, userLocation: SourceRange? = nil
  ) {
    self.queue = queue
    self.user = user
    self.direction = direction
    self.location = location
    self.queueLocation = queueLocation
    self.userLocation = userLocation
  }

  /// The selector's content, without its place: policies with the same key share one query.
  public var key: String {
    "queue=\(queue.map { "\($0)" } ?? "-")|user=\(user.map { "\($0)" } ?? "-")|direction=\(direction?.rawValue ?? "-")"
  }

  public var description: String {
    var parts: [String] = []
    if let queue { parts.append("queue \(queue)") }
    if let user { parts.append("user \(user)") }
    if let direction { parts.append(direction.rawValue) }
    return parts.joined(separator: ", ")
  }

  /// Whether a live call matches, with queue names and user emails resolved (`queues`, `live`).
  public func matches(_ call: LiveConversation, queues: [String: String], live: LiveState) -> Bool {
    guard call.status == .found, call.isLive else { return false }
    if let queue {
      let id: String?
      switch queue {
      case .id(let i): id = i
      case .name(let n): id = queues[n.lowercased()]
      }
      guard let id, call.queues.contains(id) else { return false }
    }
    if let user {
      guard let uid = live.userId(user),
        call.participants.contains(where: { $0.userId == uid && !$0.hasLeft })
      else { return false }
    }
    if let direction, call.direction != direction.rawValue { return false }
    return true
  }
}

/// What discovery found for a run's select policies: queue ids by lowercased name, and the calls
/// each selector's query returned.
public struct Discovery: Sendable, Hashable {
  public var queues: [String: String]
  /// Candidate conversation ids by selector key.
  public var candidates: [String: [String]]
  /// Located problems (an unknown or ambiguous queue name).
  public var findings: [Diagnostic]

  public init(
    queues: [String: String] = [:], candidates: [String: [String]] = [:], findings: [Diagnostic] = []
  ) {
    self.queues = queues
    self.candidates = candidates
    self.findings = findings
  }

  public var allCandidates: [String] {
    var seen = Set<String>()
    return candidates.keys.sorted().flatMap { candidates[$0]! }.filter { seen.insert($0).inserted }
  }
}

extension PolicySet {
  public var selectPolicies: [ConversationPolicy] { policies.filter { $0.select != nil } }

  /// The distinct selectors of the set, in policy-name order.
  public var selectors: [CallSelector] {
    var seen = Set<String>()
    return policies.compactMap(\.select).filter { seen.insert($0.key).inserted }
  }

  /// The set as the planner sees it: every select policy joined by one copy per live call it
  /// matches (its `conversation` that call's id), so leases, role maxima, capacity and contradictions
  /// are per call, and overlapping policies are planned together per call. The digest stays the
  /// set's own.
  public func bound(to discovery: Discovery, live: LiveState) -> PolicySet {
    guard policies.contains(where: { $0.select != nil }) else { return self }
    var out: [ConversationPolicy] = []
    for p in policies {
      // The policy itself stays (with no conversation it plans nothing): its leases on calls that no
      // longer match are still its own, not pruned, until they end.
      out.append(p)
      guard let select = p.select else { continue }
      for cid in discovery.candidates[select.key] ?? [] {
        guard let call = live.conversations[cid], select.matches(call, queues: discovery.queues, live: live)
        else { continue }
        var copy = p
        copy.conversation = cid
        copy.boundBy = select
        out.append(copy)
      }
    }
    var set = PolicySet(policies: out, limits: limits, files: files)
    set.sourceDigest = digest
    return set
  }
}
