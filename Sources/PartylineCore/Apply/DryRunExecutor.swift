import Synchronization

/// `--dry-run`: says each call it would make (as `METHOD path body`) and records it; reads nothing,
/// changes nothing.
public final class DryRunExecutor: ApplyExecutor, Sendable {
  private let recorded = Mutex<[String]>([])
  private let say: @Sendable (String) -> Void

  /// `say` is told each call as it would be made.
  public init(say: @escaping @Sendable (String) -> Void) { self.say = say }

  /// It only records.
  public var recordsOnly: Bool { true }

  /// The calls it would have made, in order.
  public var calls: [String] { recorded.withLock { $0 } }

  func note(_ s: String) {
    recorded.withLock { $0.append(s) }
    say(s)
  }

  /// Records the call the effect would make (a PATCH of the participant's mute, the POST that adds
  /// the target, or the PATCH of the recording's state), and answers status 0.
  public func perform(
    _ effect: PlannedChange.Effect, on conversation: ConversationId, actingAs user: UserId?,
    context: CallContext
  ) async throws -> CallResult? {
    switch effect {
    case .pauseRecording, .resumeRecording:
      let state = effect.opensLease ? "PAUSED" : "ACTIVE"
      note("PATCH /api/v2/conversations/\(conversation)/recordingstate {\"recordingState\":\"\(state)\"}")
      return CallResult(status: 0, correlationId: nil, latency: .zero)
    case .noop:
      return nil
    case .mute, .unmute, .revert, .prune, .add:
      break
    }
    let actingUser = try CallFailure.acting(user)
    switch effect {
    case .mute(let participant, _, _, _):
      note(
        "PATCH /api/v2/conversations/calls/\(conversation)/participants/\(participant)/user/\(actingUser) {\"muted\":true}"
      )
    case .unmute(let participant), .revert(let participant, _), .prune(let participant, _):
      note(
        "PATCH /api/v2/conversations/calls/\(conversation)/participants/\(participant)/user/\(actingUser) {\"muted\":false}"
      )
    case .add(let target, _):
      let entry: String
      switch target {
      case .user(let ref): entry = "{\"userId\":\"\(ref)\"}"
      case .address(let a): entry = "{\"address\":\"\(a)\"}"
      }
      note(
        "POST /api/v2/conversations/calls/\(conversation)/participants/user/\(actingUser) {\"participants\":[\(entry)]}"
      )
    case .noop, .pauseRecording, .resumeRecording:
      return nil
    }
    return CallResult(status: 0, correlationId: nil, latency: .zero)
  }

  /// Reads nothing: always nil.
  public func read(conversation: ConversationId, context: CallContext) async throws -> LiveConversation? {
    nil
  }
}
