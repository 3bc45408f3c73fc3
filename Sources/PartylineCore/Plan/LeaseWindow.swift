import WireTime

/// The lease a new time-bounded change (a mute, a recording pause) opens now: `for` long, ending at
/// the latest when its anchored window ends (`from: connect`) and when its policy's window closes
/// (`schedule`, `until`) — or nothing, when what is left is too short for the change to land before
/// its end.
enum LeaseWindow {
  /// The lease to open: how long it lasts, the fixed end it keeps (nil: `for` from when it is sent),
  /// and the plan's explanation of it.
  case open(duration: PolicyDuration, end: Double?, explanation: String)
  /// Its window ended at this instant (or ends within `PlanRun.windowMargin`): not sent.
  case passed(Double)

  /// Why a change whose window has passed is not sent.
  static func passedText(_ end: Double) -> String {
    "its window has passed (it ended \(Timestamp.iso8601(end)))"
  }
}

extension PlanRun {
  /// The lease a change of `policy` opens now (see ``LeaseWindow``): `duration` from now, or up to
  /// `windowEnd` when anchored, cut at the policy's window; `explanation` grows with the reason.
  func leaseWindow(
    _ policy: ConversationPolicy, duration: PolicyDuration, windowEnd: Double?, explanation: String
  ) -> LeaseWindow {
    var end = windowEnd
    var explanation = explanation
    if case .active(let close?) = policy.activity(at: now), close < (end ?? now + Double(duration.seconds)) {
      end = close
      explanation +=
        "; until \(Timestamp.iso8601(close)), when the policy's \(policy.calendar?.until == close ? "until" : "schedule window") ends"
    }
    guard let end else { return .open(duration: duration, end: nil, explanation: explanation) }
    guard end - now > Self.windowMargin.inSeconds else { return .passed(end) }
    return .open(
      duration: PolicyDuration(seconds: Int((end - now).rounded(.up))), end: end, explanation: explanation)
  }
}
