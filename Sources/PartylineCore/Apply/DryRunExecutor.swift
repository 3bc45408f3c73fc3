import Synchronization

/// `--dry-run`: says each call it would make (as `METHOD path body`) and records it; reads nothing,
/// changes nothing.
public final class DryRunExecutor: ApplyExecutor, Sendable {
  private let recorded = Mutex<[String]>([])
  private let say: @Sendable (String) -> Void

  /// `say` is told each call as it would be made.
  public init(say: @escaping @Sendable (String) -> Void) { self.say = say }

  /// The calls it would have made, in order.
  public var calls: [String] { recorded.withLock { $0 } }

  func note(_ s: String) {
    recorded.withLock { $0.append(s) }
    say(s)
  }

  /// Records the PATCH that would set the participant's mute, and answers status 0.
  public func setMuted(
    _ muted: Bool, conversation: ConversationId, participant: ParticipantId, actingUser: UserId
  )
    async throws
    -> CallResult
  {
    note(
      "PATCH /api/v2/conversations/calls/\(conversation)/participants/\(participant)/user/\(actingUser) {\"muted\":\(muted)}"
    )
    return CallResult(status: 0, correlationId: nil, latency: 0)
  }

  /// Records the POST that would add the target, and answers status 0.
  public func add(_ target: AddTarget, conversation: ConversationId, actingUser: UserId) async throws
    -> CallResult
  {
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

  /// Reads nothing: always nil.
  public func read(conversation: ConversationId) async throws -> LiveConversation? { nil }
}
