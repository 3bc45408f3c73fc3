/// What the applier's calls are for, so an executor can give them their priority (reverts first,
/// then changes, then the reads that confirm them).
public enum CallPurpose: Sendable, Equatable {
  /// A call that makes a planned change of this action.
  case change(PlannedChange.Action)
  /// A read that confirms changes already made.
  case confirmation
}

/// How one of the applier's calls must go, handed to the executor with the call (never through
/// task-local state): what it is for, the instant a mute must not leave after, and the rate budget's
/// slot reserved for it.
public struct CallContext: Sendable {
  /// What the call is for.
  public var purpose: CallPurpose
  /// Whether the run serves reverts due now (watch's on-time loop): its calls all go as reverts, but
  /// confirmations.
  public var urgent: Bool
  /// For a mute: the call must not leave after this time (its lease would be over before it
  /// starts); an executor that cannot send it by then does not send it (`CallFailure.notSent`).
  public var notAfter: Double?
  /// The slot `ApplyExecutor.reserve(for:)` took for the call.
  public var reservation: (any Sendable)?

  /// The context of a call for `purpose`.
  public init(
    _ purpose: CallPurpose, urgent: Bool = false, notAfter: Double? = nil, reservation: (any Sendable)? = nil
  ) {
    self.purpose = purpose
    self.urgent = urgent
    self.notAfter = notAfter
    self.reservation = reservation
  }
}
