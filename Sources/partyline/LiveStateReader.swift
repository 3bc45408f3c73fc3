import GenesysCloud
import PartylineCore

/// Reads what a policy set needs from the API: one read per conversation, users in bulk (100 ids a
/// call), one search per distinct email — all at once, within the shared rate budget.
struct LiveStateReader {
  let client: GenesysClient
  var maxConcurrent = 16

  enum Item: Sendable {
    case conversation(String, CallConversation?)
    case users([DirectoryUser])
    case email(String, DirectoryUser?)
  }

  static func convert(_ conv: CallConversation) -> LiveConversation {
    LiveConversation(
      id: conv.id.lowercased(), maxParticipants: conv.maxParticipants,
      participants: conv.participants.map {
        LiveParticipant(
          id: $0.id.lowercased(), purpose: $0.purpose ?? "", state: $0.state ?? "none",
          muted: $0.muted ?? false,
          userId: $0.user?.id.lowercased(), address: $0.address, name: $0.name)
      })
  }

  func read(_ set: PolicySet, extraConversations: [String] = []) async throws -> LiveState {
    let reads = Planner.reads(for: set)
    let conversations = Array(Set(reads.conversations + extraConversations)).sorted()
    var jobs: [@Sendable () async throws -> Item] = []
    let client = self.client
    for cid in conversations { jobs.append { .conversation(cid, try await client.callConversation(cid)) } }
    if !reads.userIds.isEmpty { jobs.append { .users(try await client.users(ids: reads.userIds)) } }
    for e in reads.emails { jobs.append { .email(e, try await client.user(email: e)) } }

    var state = LiveState()
    try await withThrowingTaskGroup(of: Item.self) { group in
      var next = 0
      func addNext() {
        guard next < jobs.count else { return }
        let job = jobs[next]
        next += 1
        group.addTask { try await job() }
      }
      for _ in 0..<min(maxConcurrent, jobs.count) { addNext() }
      while let item = try await group.next() {
        switch item {
        case .conversation(let cid, let conv):
          guard let conv else {
            state.conversations[cid] = LiveConversation(id: cid, status: .notFound)
            break
          }
          state.conversations[cid] = Self.convert(conv)
        case .users(let users):
          for u in users {
            state.users[u.id.lowercased()] = LiveUser(id: u.id.lowercased(), name: u.name, email: u.email)
          }
        case .email(let email, let user):
          if let u = user {
            state.emails[email] = u.id.lowercased()
            state.users[u.id.lowercased()] = LiveUser(id: u.id.lowercased(), name: u.name, email: u.email)
          }
        }
        addNext()
      }
    }
    return state
  }
}
