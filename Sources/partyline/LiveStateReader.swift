import GenesysCloud
import PartylineCore

/// Reads what a policy set needs from the API: one read per conversation, users in bulk (100 ids a
/// call), one search per distinct email — all at once, within the shared rate budget.
struct LiveStateReader {
  let client: GenesysClient
  var maxConcurrent = 16
  /// Calls seen ended, kept across the runs of one `watch`: they are served from here, not read again.
  var ended: EndedCalls? = nil
  /// At most this many conversation reads (the rate budget's allowance for a full reconcile): the
  /// calls with work due first, then those read longest ago.
  var limit: Int? = nil
  var ledger: ReadLedger? = nil
  var due: Set<String> = []
  /// What is already known (emails resolved by discovery): not read again.
  var seed = LiveState()

  enum Item: Sendable {
    case conversation(String, CallConversation?)
    case users([DirectoryUser])
    case email(String, DirectoryUser?)
  }

  static func convert(_ conv: CallConversation) -> LiveConversation {
    var live = LiveConversation(
      id: conv.id.lowercased(), maxParticipants: conv.maxParticipants,
      participants: conv.participants.map {
        var p = LiveParticipant(
          id: $0.id.lowercased(), purpose: $0.purpose ?? "", state: $0.state ?? "none",
          muted: $0.muted ?? false,
          userId: $0.user?.id.lowercased(), address: $0.address, name: $0.name)
        p.queue = $0.queue?.id.lowercased()
        return p
      })
    live.direction = conv.participants.lazy.compactMap(\.direction).first
    live.queues = Set(conv.participants.compactMap { $0.queue?.id.lowercased() })
    live.startTime = conv.participants.compactMap(\.startTime).min()
    return live
  }

  func read(_ set: PolicySet, extraConversations: [String] = []) async throws -> LiveState {
    let reads = Planner.reads(for: set)
    let conversations = Array(Set(reads.conversations + extraConversations)).sorted()
    var jobs: [@Sendable () async throws -> Item] = []
    let client = self.client
    var state = seed
    let known = await ended?.all ?? [:]
    var toRead = conversations.filter { known[$0] == nil && seed.conversations[$0] == nil }
    if let limit, toRead.count > limit, let ledger {
      let last = await ledger.lastRead
      toRead.sort { a, b in
        let (da, db) = (due.contains(a), due.contains(b))
        if da != db { return da }
        return (last[a] ?? 0, a) < (last[b] ?? 0, b)
      }
      toRead = Array(toRead.prefix(max(0, limit)))
    }
    let chosen = Set(toRead)
    await ledger?.note(toRead)
    for cid in conversations where known[cid] != nil || chosen.contains(cid) || seed.conversations[cid] != nil
    {
      if let conv = known[cid] {
        state.conversations[cid] = conv
      } else if seed.conversations[cid] != nil {
        continue  // given (an event's snapshot)
      } else {
        jobs.append { .conversation(cid, try await client.callConversation(cid)) }
      }
    }
    if !reads.userIds.isEmpty { jobs.append { .users(try await client.users(ids: reads.userIds)) } }
    for e in reads.emails where seed.emails[e] == nil {
      jobs.append { .email(e, try await client.user(email: e)) }
    }

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
          let live = Self.convert(conv)
          state.conversations[cid] = live
          await ended?.insert(live)  // kept only if the call has ended
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

/// Calls that have ended (every participant has left). A call never starts again, so `watch` keeps
/// what it last read of them instead of reading them on every full reconcile until their policy files
/// go. Bounded: the oldest are forgotten first, and a forgotten call is only read again.
actor EndedCalls {
  private(set) var all: [String: LiveConversation] = [:]
  private var order: [String] = []
  let limit: Int

  init(limit: Int = 10_000) { self.limit = limit }

  func insert(_ conv: LiveConversation) {
    guard conv.status == .found, !conv.isLive, all[conv.id] == nil else { return }
    all[conv.id] = conv
    order.append(conv.id)
    if order.count > limit {
      all[order.removeFirst()] = nil
    }
  }
}

/// When each conversation was last read by a full reconcile, so that a budget too small to read
/// them all reads the ones read longest ago.
actor ReadLedger {
  private(set) var lastRead: [String: Double] = [:]
  private var order = 0.0

  func note(_ ids: [String]) {
    order += 1
    for id in ids { lastRead[id] = order }
  }
}
