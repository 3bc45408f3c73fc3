public import PartylineCore
import Synchronization

/// Calls served from memory to the core's runtime, through the two ports a reconcile has: the
/// live-state source and the executor. Changes take effect at once and are recorded with the time of
/// the clock they were made at, so a test can say when each was sent. (The Genesys adapter behind the
/// same ports is tested against the emulator over sockets.)
public final class ServedCalls: LiveStateSource, ApplyExecutor, Sendable {
  /// A call the executor was asked to make, and when.
  public struct Call: Sendable, Equatable {
    public var what: String
    public var conversation: String
    public var participant: String?
    public var at: Double
  }
  private struct State {
    var live: LiveState
    var calls: [Call] = []
    var reads: [String] = []
    var extraAsked: [String] = []
  }
  private let state: Mutex<State>
  private let clock: any RuntimeClock

  /// Serves `live`, timing calls by `clock`.
  public init(_ live: LiveState, clock: any RuntimeClock) {
    state = Mutex(State(live: live))
    self.clock = clock
  }

  /// The calls made, in order.
  public var calls: [Call] { state.withLock { $0.calls } }
  /// The conversations read one at a time (re-plans and confirmations), in order.
  public var reads: [String] { state.withLock { $0.reads } }
  /// The extra conversations (those of open leases) the reconciles asked the source to read.
  public var extraAsked: [String] { state.withLock { $0.extraAsked } }
  /// The state as it is now.
  public var live: LiveState { state.withLock { $0.live } }

  /// Changes a participant as something outside Partyline would (a human unmutes, another run mutes).
  public func change(_ conversation: String, _ participant: String, _ body: (inout LiveParticipant) -> Void) {
    state.withLock { s in
      guard var conv = s.live.conversations[conversation],
        let i = conv.participants.firstIndex(where: { $0.id == participant })
      else { return }
      body(&conv.participants[i])
      s.live.conversations[conversation] = conv
    }
  }

  /// Changes the call as something outside Partyline would (a human resumes the recording).
  public func changeCall(_ conversation: String, _ body: (inout LiveConversation) -> Void) {
    state.withLock { s in
      guard var conv = s.live.conversations[conversation] else { return }
      body(&conv)
      s.live.conversations[conversation] = conv
    }
  }

  public func read(_ request: LiveReadRequest) async throws -> LiveRead {
    let live = state.withLock { s in
      s.extraAsked += request.extraConversations.map(\.rawValue)
      var out = s.live
      out.conversations.merge(request.snapshots) { _, b in b }
      return out
    }
    let discovery = request.given ?? DiscoveredCalls()
    return LiveRead(
      set: request.set.bound(to: discovery.discovery, live: live), live: live, findings: [],
      discovery: discovery)
  }

  public func conversation(_ id: ConversationId, urgent: Bool = false) async throws -> LiveConversation? {
    state.withLock { s in
      s.reads.append(id.rawValue)
      return s.live.conversations[id.rawValue]
    }
  }

  public func perform(
    _ effect: PlannedChange.Effect, on conversation: ConversationId, actingAs actingUser: UserId?,
    context: CallContext
  ) async throws -> CallResult? {
    let conversation = conversation.rawValue
    let at = clock.now()
    switch effect {
    case .mute(let participant, _, _, _), .unmute(let participant), .revert(let participant, _),
      .prune(let participant, _):
      let muted = effect.opensLease
      state.withLock { s in
        s.calls.append(
          Call(
            what: muted ? "mute" : "unmute", conversation: conversation, participant: participant.rawValue,
            at: at))
      }
      change(conversation, participant.rawValue) { $0.muted = muted }
    case .add(let target, _):
      state.withLock { s in s.calls.append(Call(what: "add \(target)", conversation: conversation, at: at)) }
    case .pauseRecording, .resumeRecording:
      let paused = effect.opensLease
      state.withLock { s in
        s.calls.append(Call(what: paused ? "pause" : "resume", conversation: conversation, at: at))
      }
      changeCall(conversation) { $0.securePause = paused }
    case .noop:
      return nil
    }
    return CallResult(status: 202, correlationId: nil, latency: .zero)
  }

  public func read(conversation: ConversationId, context: CallContext) async throws -> LiveConversation? {
    try await self.conversation(conversation)
  }
}
