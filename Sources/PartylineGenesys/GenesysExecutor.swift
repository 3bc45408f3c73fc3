public import GenesysCloud
public import PartylineCore
import WireTime

/// The applier's side effects through the Genesys Cloud client.
public struct GenesysExecutor: ApplyExecutor {
  /// The client the changes and reads go through.
  public let client: GenesysClient
  /// Watch on events: a confirming read takes the call's next event instead of a request, when one
  /// comes within `eventWait` seconds.
  public var events: LatestCalls? = nil
  /// How long, in seconds, a confirmation waits for the call's next event before it reads the call.
  public var eventWait = 2.0
  private let seen = SeenEvents()

  /// Changes through `client`; with `events`, confirmations take the call's next event.
  public init(client: GenesysClient, events: LatestCalls? = nil) {
    self.client = client
    self.events = events
  }

  /// The rate class of the applier's call: reverts and prunes first, then the changes, then the
  /// confirming reads. Watch's on-time loop sends its reads and changes as reverts, but its
  /// confirmations as confirmations: the revert is made when its unmute is sent, and the room the
  /// budget keeps for each revert (`RateBudget.revertCost`) is for the read and the unmute.
  static func rateClass(_ purpose: CallPurpose, urgent: Bool = false) -> RateClass {
    if purpose == .confirmation { return .confirm }
    if urgent { return .revert }
    switch purpose {
    case .change(.revert), .change(.prune): return .revert
    case .change: return .write
    case .confirmation: return .confirm
    }
  }

  /// Whether the client's rate budget can promise the revert due at `leaseEnd` (see ``ApplyExecutor``).
  public func admit(_ key: String, leaseEnd: Double, slack: Duration, behind: Int) async -> Double? {
    await client.budget.admit(key, leaseEnd: leaseEnd, slack: slack.inSeconds, behind: behind)
  }

  /// Moves a promised revert in the client's rate budget (see ``ApplyExecutor``).
  public func movePromise(_ key: String, from: Double, to: Double) async {
    await client.budget.movePromise(key, from: from, to: to)
  }

  /// Reserves the slot of a call for `purpose` in the client's rate budget, in its rate class (see
  /// ``ApplyExecutor``); throws `CallFailure.notSent` when the budget is closed.
  public func reserve(for context: CallContext) async throws -> (any Sendable)? {
    do {
      return try await client.budget.reserve(Self.rateClass(context.purpose, urgent: context.urgent))
    } catch is RateBudgetClosed {
      throw CallFailure.notSent("not sent: the run is stopping")
    }
  }

  /// Gives an unspent slot back to the client's rate budget (see ``ApplyExecutor``).
  public func refund(_ reservation: (any Sendable)?) async {
    if let permit = reservation as? RatePermit { await client.budget.refund(permit) }
  }

  /// How a call of `context` goes through the rate budget: its class, and the slot reserved for it.
  static func priority(_ context: CallContext) -> RequestPriority {
    RequestPriority(
      rateClass(context.purpose, urgent: context.urgent), permit: context.reservation as? RatePermit,
      urgent: context.urgent)
  }

  func map(_ error: any Error) -> any Error {
    if let e = error as? GenesysError {
      switch e {
      case .notSent(let m):
        return CallFailure.notSent(m)
      case .api(let status, _, _, let correlationId) where StatusClass.of(status) == .refused:
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

  /// Makes the effect's call on behalf of `actingUser` (see ``ApplyExecutor``): the participant PATCH
  /// of a mute or an unmute, or the add POST. A refused status (`StatusClass`: a 4xx other than 408
  /// and 429, or 501) is thrown as `CallFailure.refused`, a request not sent as `notSent`, the rest as `unknown`.
  public func perform(
    _ effect: PlannedChange.Effect, on conversation: ConversationId, actingAs actingUser: UserId?,
    context: CallContext
  ) async throws -> CallResult? {
    if case .noop = effect { return nil }
    await markChange(conversation.rawValue)
    do {
      let r = try await request(
        effect, conversation.rawValue, actingUser?.rawValue, notAfter: context.notAfter,
        priority: Self.priority(context))
      return r.map {
        CallResult(status: $0.status, correlationId: $0.correlationId, latency: .seconds($0.latency))
      }
    } catch { throw map(error) }
  }

  /// The client's request for an effect; nil for a noop.
  func request(
    _ effect: PlannedChange.Effect, _ conversation: String, _ user: String?, notAfter: Double?,
    priority: RequestPriority
  )
    async throws -> GenesysClient.Response?
  {
    switch effect {
    case .pauseRecording:
      return try await client.setRecordingPaused(
        true, conversation: conversation, notAfter: notAfter, priority: priority)
    case .resumeRecording:
      return try await client.setRecordingPaused(
        false, conversation: conversation, notAfter: nil, priority: priority)
    case .noop:
      return nil
    case .mute, .unmute, .revert, .prune, .add:
      break
    }
    let actingUser = try CallFailure.acting(user.flatMap(UserId.init)).rawValue
    switch effect {
    case .mute(let participant, _, _, _):
      return try await client.setMuted(
        true, conversation: conversation, participant: participant.rawValue, onBehalfOf: actingUser,
        notAfter: notAfter, priority: priority)
    case .unmute(let participant), .revert(let participant, _), .prune(let participant, _):
      return try await client.setMuted(
        false, conversation: conversation, participant: participant.rawValue, onBehalfOf: actingUser,
        notAfter: notAfter, priority: priority)
    case .add(.user(let ref), _):
      return try await client.addParticipant(
        conversation: conversation, onBehalfOf: actingUser, userId: "\(ref)", priority: priority)
    case .add(.address(let a), _):
      return try await client.addParticipant(
        conversation: conversation, onBehalfOf: actingUser, address: a, priority: priority)
    case .noop, .pauseRecording, .resumeRecording:
      return nil
    }
  }

  /// Reads the conversation again (see ``ApplyExecutor``). With `events`, a confirmation first waits up
  /// to `eventWait` seconds for the call's next event and takes its snapshot instead.
  public func read(conversation: ConversationId, context: CallContext) async throws -> LiveConversation? {
    let conversation = conversation.rawValue
    if let events, context.purpose == .confirmation {
      let after = await seen.last(conversation) ?? 0
      if let (seq, call) = await events.next(conversation, after: after, within: eventWait) {
        await seen.note(conversation, seq)
        return call
      }
    }
    let c: CallConversation?
    do {
      c = try await client.callConversation(conversation, priority: Self.priority(context))
    } catch { throw map(error) }
    return c.map(LiveStateReader.convert)
  }
}
