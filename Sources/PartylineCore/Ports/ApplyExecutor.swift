/// The side effects the applier needs: Genesys Cloud, or a recorder for `--dry-run`.
public protocol ApplyExecutor: Sendable {
  /// Makes the effect's one call on `conversation` on behalf of `actingUser`: a mute or an unmute
  /// (`unmute`, `revert`, `prune`) of its participant, an add, or the recording paused or resumed
  /// (made by the service itself: `actingUser` is nil). Every id is a checked type (an add's user is
  /// checked by the applier before it journals), so nothing unchecked reaches a URL. A `noop` makes no
  /// call: nil. An effect that needs an acting user (`needsActingUser`) without one is refused.
  func perform(
    _ effect: PlannedChange.Effect, on conversation: ConversationId, actingAs actingUser: UserId?,
    context: CallContext
  ) async throws -> CallResult?
  /// Re-reads a conversation to confirm effects (`context`'s purpose is `.confirmation`).
  func read(conversation: ConversationId, context: CallContext) async throws -> LiveConversation?
  /// When the revert of a mute of the lease `key` (`Lease.budgetKey`) ending at `leaseEnd` can be
  /// served (the rate budget's promise): at the latest at `leaseEnd`, at the earliest `slack` before
  /// it (the lease then ends then). nil: the mute is held back and reported as waiting. `behind`: how
  /// many more mutes of the same batch are still to ask (a burst the budget may spread).
  func admit(_ key: String, leaseEnd: Double, slack: Duration, behind: Int) async -> Double?
  /// A promised revert's end moved later (the mute left later than promised).
  func movePromise(_ key: String, from: Double, to: Double) async
  /// Takes the slot of the rate budget of a call of `context` before it is journalled (the call,
  /// given it as `CallContext.reservation`, spends it), so a lease is timed from when its mute can
  /// leave, not from before a wait. Throws `CallFailure.notSent` when the run is stopping.
  func reserve(for context: CallContext) async throws -> (any Sendable)?
  /// Gives back a slot that was not spent.
  func refund(_ reservation: (any Sendable)?) async
  /// Whether the executor only records the calls it would make (`--dry-run`): then nothing is locked,
  /// journalled or confirmed.
  var recordsOnly: Bool { get }
}

extension ApplyExecutor {
  /// By default every mute is admitted (there is no rate budget to promise its revert).
  public func admit(_ key: String, leaseEnd: Double, slack: Duration, behind: Int) async -> Double? {
    leaseEnd
  }
  /// By default there is no promise to move.
  public func movePromise(_ key: String, from: Double, to: Double) async {}
  /// By default no slot is taken: each call asks the budget itself.
  public func reserve(for context: CallContext) async throws -> (any Sendable)? { nil }
  /// By default there is nothing to give back.
  public func refund(_ reservation: (any Sendable)?) async {}
  /// By default the executor makes its calls.
  public var recordsOnly: Bool { false }
}
