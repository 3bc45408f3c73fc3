public import GenesysCloud
public import PartylineCore

/// `partyline calls`: the live calls with their participants, the users on them and their queues'
/// names. Found with the conversation activity query, then read like any plan reads its calls.
/// Requests: one query per page of 100 calls, one read per call, users in bulk (100 a request), one
/// per queue shown, plus one to resolve a queue name or a user's email.
public enum LiveCalls {
  /// What was found: the calls by start time, and the users on them by id.
  public struct Listing: Sendable {
    /// Each call with its first queue (id and name, when the queue says one).
    public var rows: [(call: LiveConversation, queue: (id: String, name: String?)?)]
    public var users: [String: LiveUser]
  }

  /// A filter that names something the organisation does not have (a queue, a user).
  public struct NotFound: Error, CustomStringConvertible {
    public var description: String
  }

  /// The live calls, of `queue` (a name or id), with `user` (an email or id) on them, in `direction`.
  public static func list(
    queue: String?, user: String?, direction: String?, client: GenesysClient
  ) async throws -> Listing {
    var queueId: String?
    if let queue {
      if let id = Grammar.uuid(queue) {
        queueId = id
      } else {
        switch try await CallDiscovery.resolve(queue: queue, client) {
        case .success(let id): queueId = id
        case .failure(let problem): throw NotFound(description: problem.message)
        }
      }
    }
    var userId: String?
    if let user {
      if let id = Grammar.uuid(user) {
        userId = id
      } else {
        guard let u = try await client.user(email: user.lowercased()) else {
          throw NotFound(description: "user '\(user)' was not found in the directory")
        }
        userId = u.id.lowercased()
      }
    }
    let ids = try await client.activeCalls(queueId: queueId, userId: userId, direction: direction)
    // Read like any plan reads its calls (concurrently, within the budget); the order is set below.
    let live = try await LiveStateReader(client: client).read(
      PolicySet(policies: [], limits: .defaults, files: []), extraConversations: ids)
    let calls = ids.compactMap { live.conversations[$0] }.filter { $0.status == .found && $0.isLive }
    var queueNames: [String: String?] = [:]
    for q in Set(calls.flatMap(\.queues)).sorted() {
      queueNames[q] = UntrustedText.clean(try await client.queue(id: q)?.name)
    }
    let userIds = Set(calls.flatMap { $0.participants.compactMap(\.userId) })
    var users: [String: LiveUser] = [:]
    for u in try await client.users(ids: Array(userIds)) {
      users[u.id.lowercased()] = LiveUser(id: u.id.lowercased(), name: u.name, email: u.email)
    }
    let rows = calls.sorted { ($0.startTime ?? "", $0.id) < ($1.startTime ?? "", $1.id) }.map { c in
      (call: c, queue: c.queues.sorted().first.map { ($0, queueNames[$0] ?? nil) })
    }
    return Listing(rows: rows, users: users)
  }
}
