import Foundation
import GenesysCloud
import PartylineCore

/// The applier's side effects through the Genesys Cloud client.
struct GenesysExecutor: ApplyExecutor {
  let client: GenesysClient
  /// Watch on events: a confirming read takes the call's next event instead of a request, when one
  /// comes within `eventWait` seconds.
  var events: LatestCalls? = nil
  var eventWait = 2.0
  private let seen = SeenEvents()

  init(client: GenesysClient, events: LatestCalls? = nil) {
    self.client = client
    self.events = events
  }

  /// The rate class of the applier's call: reverts and prunes first, then the changes, then the
  /// confirming reads (watch's on-time loop makes everything it sends a revert).
  static var rateClass: RateClass {
    if RatePriority.urgent { return .revert }
    switch ApplyContext.purpose {
    case .change(.revert)?, .change(.prune)?: return .revert
    case .change?: return .write
    case .confirmation?: return .confirm
    case nil: return RatePriority.rateClass ?? .read
    }
  }

  func admit(leaseEnd: Double) async -> Bool { await client.budget.admit(leaseEnd: leaseEnd) }

  func movePromise(from: Double, to: Double) async { await client.budget.movePromise(from: from, to: to) }

  func reserve() async throws -> (any Sendable)? {
    do { return try await client.budget.reserve(Self.rateClass) } catch is RateBudgetClosed {
      throw CallFailure.notSent("not sent: the run is stopping")
    }
  }

  func refund(_ reservation: (any Sendable)?) async {
    if let permit = reservation as? RatePermit { await client.budget.refund(permit) }
  }

  /// Runs a call with the slot reserved for it, if any.
  func withPermit<T: Sendable>(_ body: () async throws -> T) async rethrows -> T {
    try await RatePriority.$permit.withValue(ApplyContext.reservation as? RatePermit, operation: body)
  }

  func map(_ error: any Error) -> any Error {
    if let e = error as? GenesysError {
      switch e {
      case .notSent(let m):
        return CallFailure.notSent(m)
      case .api(let status, _, _, let correlationId) where status < 500 && status != 429 && status != 408:
        return CallFailure.refused(status: status, message: e.description, correlationId: correlationId)
      default:
        return CallFailure.unknown(e.description)
      }
    }
    return CallFailure.unknown("\(error)")
  }

  /// Before a change: a confirmation takes only events that come after it.
  func markChange(_ conversation: String) async {
    if let events { await seen.note(conversation, await events.sequence(of: conversation)) }
  }

  func setMuted(_ muted: Bool, conversation: String, participant: String, actingUser: String) async throws
    -> CallResult
  {
    await markChange(conversation)
    do {
      let notAfter = ApplyContext.notAfter
      let r = try await withPermit {
        try await RatePriority.$rateClass.withValue(Self.rateClass) {
          try await client.setMuted(
            muted, conversation: conversation, participant: participant, onBehalfOf: actingUser,
            notAfter: notAfter)
        }
      }
      return CallResult(status: r.status, correlationId: r.correlationId, latency: r.latency)
    } catch { throw map(error) }
  }

  func add(_ target: AddTarget, conversation: String, actingUser: String) async throws -> CallResult {
    await markChange(conversation)
    do {
      let client = self.client
      let r: GenesysClient.Response = try await withPermit {
        try await RatePriority.$rateClass.withValue(Self.rateClass) {
          switch target {
          case .user(let ref):
            return try await client.addParticipant(
              conversation: conversation, onBehalfOf: actingUser, userId: "\(ref)")
          case .address(let a):
            return try await client.addParticipant(
              conversation: conversation, onBehalfOf: actingUser, address: a)
          }
        }
      }
      return CallResult(status: r.status, correlationId: r.correlationId, latency: r.latency)
    } catch { throw map(error) }
  }

  func read(conversation: String) async throws -> LiveConversation? {
    if let events, ApplyContext.purpose == .confirmation {
      let after = await seen.last(conversation) ?? 0
      if let (seq, call) = await events.next(conversation, after: after, within: eventWait) {
        await seen.note(conversation, seq)
        return call
      }
    }
    let c: CallConversation?
    do {
      c = try await RatePriority.$rateClass.withValue(
        Self.rateClass,
        operation: {
          try await client.callConversation(conversation)
        })
    } catch { throw map(error) }
    return c.map(LiveStateReader.convert)
  }
}

/// `--dry-run`: records and prints the calls it would make; reads nothing, changes nothing.
final class DryRunExecutor: ApplyExecutor, @unchecked Sendable {
  private let lock = NSLock()
  private(set) var calls: [String] = []

  func note(_ s: String) {
    lock.withLock { calls.append(s) }
    Terminal.stdout.write("  would \(s)\n")
  }

  func setMuted(_ muted: Bool, conversation: String, participant: String, actingUser: String) async throws
    -> CallResult
  {
    note(
      "PATCH /api/v2/conversations/calls/\(conversation)/participants/\(participant)/user/\(actingUser) {\"muted\":\(muted)}"
    )
    return CallResult(status: 0, correlationId: nil, latency: 0)
  }

  func add(_ target: AddTarget, conversation: String, actingUser: String) async throws -> CallResult {
    let entry: String
    switch target {
    case .user(let ref): entry = "{\"userId\":\"\(ref)\"}"
    case .address(let a): entry = "{\"address\":\"\(a)\"}"
    }
    note(
      "POST /api/v2/conversations/calls/\(conversation)/participants/user/\(actingUser) {\"participants\":[\(entry)]}"
    )
    return CallResult(status: 0, correlationId: nil, latency: 0)
  }

  func read(conversation: String) async throws -> LiveConversation? { nil }
}

/// The latest call snapshot each event carried, numbered, for confirmations that wait for the next
/// one instead of reading the call again.
actor LatestCalls {
  private var latest: [String: (Int, LiveConversation)] = [:]
  private var counter = 0
  private var nextWaiter = 0
  private var waiters: [String: [Int: CheckedContinuation<(Int, LiveConversation)?, Never>]] = [:]

  func publish(_ call: LiveConversation) {
    counter += 1
    latest[call.id] = (counter, call)
    let ready = waiters.removeValue(forKey: call.id) ?? [:]
    for (_, c) in ready { c.resume(returning: (counter, call)) }
  }

  func sequence(of cid: String) -> Int { latest[cid]?.0 ?? 0 }

  /// The first snapshot of `cid` numbered above `after`, waiting up to `within` seconds; nil if none.
  func next(_ cid: String, after: Int, within: Double) async -> (Int, LiveConversation)? {
    if let l = latest[cid], l.0 > after { return l }
    nextWaiter += 1
    let id = nextWaiter
    return await withCheckedContinuation { c in
      waiters[cid, default: [:]][id] = c
      Task {
        try? await Task.sleep(nanoseconds: UInt64(within * 1e9))
        self.timeout(cid, id)
      }
    }
  }

  private func timeout(_ cid: String, _ id: Int) {
    waiters[cid]?.removeValue(forKey: id)?.resume(returning: nil)
  }
}

/// The event numbers an executor already used per call.
actor SeenEvents {
  private var last: [String: Int] = [:]
  func last(_ cid: String) -> Int? { last[cid] }
  func note(_ cid: String, _ seq: Int) { last[cid] = max(last[cid] ?? 0, seq) }
}
