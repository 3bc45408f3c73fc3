public import YAMLReader

/// The `pauseRecording` entry: the call's recording paused (the secure pause) for at most `for`, and
/// always resumed at its lease's end.
public struct PauseDirective: Hashable, Sendable {
  /// How long the pause lasts (the entry's `for`).
  public var duration: PolicyDuration
  /// The entry's `reason`, when given.
  public var reason: String?
  /// What the lease is timed from: when the pause is sent, or when the first agent or user connected.
  public var from: MuteAnchor = .now
  /// The entry in the source.
  public var location: SourceRange
  /// The `for` value in the source.
  public var durationLocation: SourceRange

  /// The directive's identity: its content. Changing it (a new `for`, reason or `from`) makes a new
  /// lease.
  public var digest: String {
    let anchor = from == .now ? "" : "|from:\(from.rawValue)"
    return String(Digest.sha256Hex("pauseRecording|\(duration.seconds)|\(reason ?? "")\(anchor)").prefix(16))
  }
}
