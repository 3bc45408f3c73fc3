public import GenesysCloud
public import PartylineCore
import WireTime

/// Reads what a policy set needs from the API: one read per conversation, users in bulk (100 ids a
/// call), one search per distinct email — all at once, within the shared rate budget.
public struct LiveStateReader: LiveStateSource {
  /// The client the reads go through.
  public let client: GenesysClient
  var maxConcurrent = 16
  /// Calls seen ended, kept across the runs of one `watch`: they are served from here, not read again.
  public var ended: EndedCalls? = nil
  /// At most this many conversation reads (the rate budget's allowance for a full reconcile): the
  /// calls with work due first, then those read longest ago.
  public var limit: Int? = nil
  /// When each call was last read, kept across the runs of one `watch` (it orders the reads under
  /// `limit`).
  public var ledger: ReadLedger? = nil
  /// Conversations with work due soon: read first when `limit` cuts the reads.
  public var due: Set<ConversationId> = []
  /// What is already known (emails resolved by discovery): not read again.
  public var seed = LiveState()
  /// How the reads go through the rate budget: as reads, or (watch's on-time loop) as reverts due now.
  public var priority: RequestPriority? = nil

  /// A reader over `client`; `ended` and `ledger` are watch's memory across its runs.
  public init(client: GenesysClient, ended: EndedCalls? = nil, ledger: ReadLedger? = nil) {
    self.client = client
    self.ended = ended
    self.ledger = ledger
  }

  /// Discovery, the read and the binding (`LiveStateSource`).
  public func read(_ request: LiveReadRequest) async throws -> LiveRead {
    var reader = self
    reader.limit = request.limit
    reader.priority = request.urgent ? .urgentRevert : nil
    reader.due = request.due
    reader.seed.conversations.merge(request.snapshots) { _, b in b }
    let read = try await reader.readBound(
      request.set, extraConversations: request.extraConversations.map(\.rawValue), discover: request.discover,
      given: request.given)
    return LiveRead(set: read.set, live: read.live, findings: read.findings, discovery: read.discovery)
  }

  /// One call read again (`LiveStateSource`).
  public func conversation(_ id: ConversationId, urgent: Bool) async throws -> LiveConversation? {
    try await client.callConversation(id.rawValue, priority: urgent ? .urgentRevert : priority).map(
      Self.convert)
  }

  enum Item: Sendable {
    case conversation(String, CallConversation?)
    case users([DirectoryUser])
    case email(String, DirectoryUser?)
  }

  /// The engine's view of a call as the API serves it (ids lowercased).
  public static func convert(_ conv: CallConversation) -> LiveConversation {
    var live = LiveConversation(
      id: conv.id.lowercased(), maxParticipants: conv.maxParticipants,
      participants: conv.participants.map {
        var p = LiveParticipant(
          id: $0.id.lowercased(), purpose: $0.purpose ?? "", state: $0.state ?? "none",
          muted: $0.muted ?? false,
          userId: $0.user?.id.lowercased(), address: $0.address, name: $0.name)
        p.queue = $0.queue?.id.lowercased()
        p.connectedTime = $0.connectedTime.flatMap(Timestamp.parse)
        p.mediaRoles = $0.mediaRoles ?? []
        p.supervisedParticipantId =
          ($0.monitoredParticipantId ?? $0.coachedParticipantId ?? $0.bargedParticipantId)?
          .lowercased()
        return p
      })
    live.securePause = conv.isSecurelyPaused
    live.recordingState =
      conv.recordingState ?? conv.participants.lazy.compactMap { $0.recordingState?.lowercased() }.first
    live.direction = conv.participants.lazy.compactMap(\.direction).first
    live.queues = Set(conv.participants.compactMap { $0.queue?.id.lowercased() })
    live.startTime = conv.participants.compactMap(\.startTime).min()
    return live
  }

  /// Reads the calls, users and emails `set` needs, and `extraConversations`.
  public func read(_ set: PolicySet, extraConversations: [String] = []) async throws -> LiveState {
    let reads = Planner.reads(for: set)
    let conversations = Array(Set(reads.conversations + extraConversations)).sorted()
    var jobs: [@Sendable () async throws -> Item] = []
    let (client, priority) = (self.client, self.priority)
    var state = seed
    let known = await ended?.all ?? [:]
    var toRead = conversations.filter { known[$0] == nil && seed.conversations[$0] == nil }
    let dueIds = Set(due.map(\.rawValue))
    if let limit, toRead.count > limit, let ledger {
      let last = await ledger.lastRead
      toRead.sort { a, b in
        let (da, db) = (dueIds.contains(a), dueIds.contains(b))
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
        jobs.append { .conversation(cid, try await client.callConversation(cid, priority: priority)) }
      }
    }
    if !reads.userIds.isEmpty {
      jobs.append { .users(try await client.users(ids: reads.userIds, priority: priority)) }
    }
    for e in reads.emails where seed.emails[e] == nil {
      jobs.append { .email(e, try await client.user(email: e, priority: priority)) }
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
