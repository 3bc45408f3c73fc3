/// A conversation as the API answered: its participants, direction, queues and capacity, or that
/// it was not found.
public struct LiveConversation: Sendable, Hashable {
  /// Whether the API found the conversation.
  public enum Status: Sendable, Hashable {
    /// The API answered with the conversation.
    case found
    /// The API answered 404.
    case notFound
  }

  /// The conversation's id.
  public var id: String
  /// Whether it was found.
  public var status: Status
  /// The conversation's own cap on participants, when the API gives one.
  public var maxParticipants: Int?
  /// In the order the API lists them.
  public var participants: [LiveParticipant]
  /// inbound or outbound (every leg carries the call's direction), when the API says.
  public var direction: String? = nil
  /// The queues the call's legs carry (lowercased ids).
  public var queues: Set<String> = []
  /// When the call started (its first leg's start), as the API wrote it.
  public var startTime: String? = nil
  /// Whether the call's recording is securely paused (the API's `securePause`), when it says. The
  /// confirmation of a pause: `recordingState` also reads paused during a hold (genesys-api.md §10.1).
  public var securePause: Bool? = nil
  /// The call's recording state as the API spells it (`active`, `paused`, `none`), lowercased.
  public var recordingState: String? = nil {
    didSet { recordingState = UntrustedText.clean(recordingState)?.lowercased() }
  }

  /// A conversation; its direction, queues and start time are set as properties.
  public init(
    id: String, status: Status = .found, maxParticipants: Int? = nil, participants: [LiveParticipant] = []
  ) {
    self.id = id
    self.status = status
    self.maxParticipants = maxParticipants
    self.participants = participants
  }

  /// Live while any participant is in a state other than disconnected or terminated.
  public var isLive: Bool { participants.contains { !$0.hasLeft } }

  /// A digest of what a plan depends on: participant ids, states, muted, user ids, purposes, limits.
  public var snapshotHash: String {
    var text = "\(id)|\(status)|\(maxParticipants.map(String.init) ?? "-")"
    for p in participants {
      text += "|\(p.id),\(p.state),\(p.muted),\(p.userId ?? "-"),\(p.purpose),\(p.address ?? "-")"
      if let s = p.supervision { text += ",\(s)" }  // (only when there is one: older digests hold)
    }
    if securePause == true { text += "|securePause" }
    return Digest.sha256Hex(text)
  }
}
