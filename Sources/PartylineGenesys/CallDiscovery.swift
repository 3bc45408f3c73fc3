public import GenesysCloud
public import PartylineCore
public import YAMLReader

/// Finds the live calls of a policy set's `select` policies (README, "Select policies"): queue names resolved once
/// per run (`GET /api/v2/routing/queues?name=`), select users' emails once, then one conversation
/// activity query per distinct selector, paged. The calls found are then read like any other.
/// Requests: one per queue name, one per email, and one per selector and page of 100 calls.
public struct CallDiscovery: Sendable {
  /// The client the queries go through.
  public let client: GenesysClient

  /// Discovery through `client`.
  public init(client: GenesysClient) { self.client = client }

  /// The calls of `set`'s select policies, the queues resolved and the emails.
  public func discover(_ set: PolicySet) async throws -> DiscoveredCalls {
    var out = DiscoveredCalls()
    let selected = set.selectPolicies
    guard !selected.isEmpty else { return out }
    // Queue names, once each.
    var names: [String: [SourceRange]] = [:]
    var spelled: [String: String] = [:]
    var emails: [String: [SourceRange]] = [:]
    for p in selected {
      if case .name(let n)? = p.select?.queue {
        names[n.lowercased(), default: []].append(p.select?.queueLocation ?? p.location)
        spelled[n.lowercased()] = spelled[n.lowercased()] ?? n
      }
      if case .email(let e)? = p.select?.user {
        emails[e, default: []].append(p.select?.userLocation ?? p.location)
      }
    }
    for (key, places) in names.sorted(by: { $0.key < $1.key }) {
      let name = spelled[key] ?? key
      switch try await Self.resolve(queue: name, client) {
      case .success(let id): out.discovery.queues[key] = id
      case .failure(let problem):
        for place in places {
          out.discovery.findings.append(Diagnostic(id: problem.id, message: problem.message, range: place))
        }
      }
    }
    for (email, places) in emails.sorted(by: { $0.key < $1.key }) {
      if let u = try await client.user(email: email) {
        let id = u.id.lowercased()
        out.seed.emails[email] = id
        out.seed.users[id] = LiveUser(id: id, name: u.name, email: u.email)
      } else {
        for place in places {
          out.discovery.findings.append(
            Diagnostic(
              id: .userNotFound, message: "user '\(email)' was not found in the directory", range: place))
        }
      }
    }
    // One query per distinct selector whose references resolved.
    for selector in set.selectors {
      var queueId: String?
      switch selector.queue {
      case .id(let id)?: queueId = id
      case .name(let n)?:
        guard let id = out.discovery.queues[n.lowercased()] else { continue }
        queueId = id
      case nil: break
      }
      var userId: String?
      if let u = selector.user {
        guard let id = out.seed.userId(u) else { continue }
        userId = id
      }
      out.discovery.candidates[selector.key] = try await client.activeCalls(
        queueId: queueId, userId: userId, direction: selector.direction?.rawValue)
    }
    return out
  }
}

extension CallDiscovery {
  /// A queue name that did not resolve: the diagnostic's id and message.
  public struct QueueProblem: Error {
    /// The diagnostic's id: `ambiguous_queue` or `queue_not_found`.
    public var id: DiagnosticID
    /// The diagnostic's message: the queues of that name, or those whose names start so.
    public var message: String
  }

  /// A queue's id from its exact name (case-insensitive): one request, and one more when it is not
  /// found, for the names that start so (the "did you mean").
  public static func resolve(queue name: String, _ client: GenesysClient) async throws
    -> Swift.Result<String, QueueProblem>
  {
    let found = try await client.queues(named: name)
    let exact = found.filter { ($0.name ?? "").lowercased() == name.lowercased() }
    if exact.count == 1 { return .success(exact[0].id.lowercased()) }
    if exact.count > 1 {
      return .failure(
        QueueProblem(
          id: .ambiguousQueue,
          message:
            "queue name '\(name)' is ambiguous: \(exact.map { "'\($0.name ?? "")' (\($0.id))" }.joined(separator: ", ")); use the queue's id"
        ))
    }
    let near = try await client.queues(named: name + "*").compactMap(\.name).prefix(5).map { "'\($0)'" }
    return .failure(
      QueueProblem(
        id: .queueNotFound,
        message: "queue '\(name)' was not found"
          + (near.isEmpty ? "" : "; queues whose names start so: \(near.joined(separator: ", "))")))
  }
}

extension LiveStateReader {
  /// Discovery, the live read and the binding of select policies to the calls found, as one step for
  /// plan, apply and watch: the set as the planner sees it, the live state, and discovery's findings.
  ///
  /// `given` is discovery already done (watch's events: the queues resolved at the last full
  /// reconcile, and the call of the event as every selector's candidate); then nothing is queried.
  public func readBound(
    _ set: PolicySet, extraConversations: [String] = [], discover: Bool = true,
    given: DiscoveredCalls? = nil
  ) async throws -> (set: PolicySet, live: LiveState, findings: [Diagnostic], discovery: DiscoveredCalls) {
    let found =
      if let given { given } else if discover && !set.selectPolicies.isEmpty {
        try await CallDiscovery(client: client).discover(set)
      } else { DiscoveredCalls() }
    var reader = self
    reader.seed.emails.merge(found.seed.emails) { a, _ in a }
    reader.seed.users.merge(found.seed.users) { a, _ in a }
    let live = try await reader.read(
      set, extraConversations: extraConversations + found.discovery.allCandidates)
    return (set.bound(to: found.discovery, live: live), live, found.discovery.findings, found)
  }
}
