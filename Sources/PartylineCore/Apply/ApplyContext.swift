import Foundation
public import WireTime

/// What the applier's calls are for, so an executor can give them their priority (reverts first,
/// then changes, then the reads that confirm them).
public enum CallPurpose: Sendable, Equatable {
  /// A call that makes a planned change of this action.
  case change(PlannedChange.Action)
  /// A read that confirms changes already made.
  case confirmation
}

/// The purpose of the call a task is making, set by the applier around each call.
public enum ApplyContext {
  /// What the call being made is for; nil outside the applier's calls.
  @TaskLocal public static var purpose: CallPurpose? = nil
  /// For a mute: the call must not leave after this time (its lease would be over before it
  /// starts); an executor that cannot send it by then does not send it (`CallFailure.notSent`).
  @TaskLocal public static var notAfter: Double? = nil
  /// The slot `ApplyExecutor.reserve` took for the call being made.
  @TaskLocal public static var reservation: (any Sendable)? = nil
}
