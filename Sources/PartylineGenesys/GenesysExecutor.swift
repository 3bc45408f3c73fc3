public import GenesysCloud
public import PartylineCore

/// The applier's side effects through the Genesys Cloud client.
public struct GenesysExecutor: ApplyExecutor {
  public let client: GenesysClient
  /// Watch on events: a confirming read takes the call's next event instead of a request, when one
  /// comes within `eventWait` seconds.
  public var events: LatestCalls? = nil
  public var eventWait = 2.0
  private let seen = SeenEvents()

  /// Changes through `client`; with `events`, confirmations take the call's next event.
  public init(client: GenesysClient, events: LatestCalls? = nil) {
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

  public func admit(leaseEnd: Double) async -> Bool { await client.budget.admit(leaseEnd: leaseEnd) }

  public func movePromise(from: Double, to: Double) async {
    await client.budget.movePromise(from: from, to: to)
  }

  public func reserve() async throws -> (any Sendable)? {
    do { return try await client.budget.reserve(Self.rateClass) } catch is RateBudgetClosed {
      throw CallFailure.notSent("not sent: the run is stopping")
    }
  }

  public func refund(_ reservation: (any Sendable)?) async {
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

  public func setMuted(_ muted: Bool, conversation: String, participant: String, actingUser: String)
    async throws
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

  public func add(_ target: AddTarget, conversation: String, actingUser: String) async throws -> CallResult {
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

  public func read(conversation: String) async throws -> LiveConversation? {
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
