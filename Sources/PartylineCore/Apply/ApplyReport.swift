/// The applier's account of a run.
public struct ApplyReport: Sendable {
  /// One change and what became of it.
  public struct Item: Sendable {
    /// What became of a change.
    public enum Result: String, Sendable {
      /// `confirmed`: seen on a re-read; `unconfirmed`: not seen in time; `failed`: refused or not sent;
      /// `unknown`: an add without an answer, not seen; `blocked`: not attempted; `dryRun`: only recorded.
      case confirmed, unconfirmed, failed, unknown, blocked, dryRun = "dry-run"
      /// A mute held back: the rate budget could not promise its revert when the lease ends.
      case waiting
    }
    /// The change as planned.
    public var change: PlannedChange
    /// What became of it.
    public var result: Result
    /// Why, when it was not confirmed: the API's message, the block, the wait.
    public var detail: String?

    /// One change's result.
    public init(change: PlannedChange, result: Result, detail: String?) {
      self.change = change
      self.result = result
      self.detail = detail
    }
  }

  /// An empty account.
  public init() {}

  /// Every change's result, blocked ones included.
  public var items: [Item] = []
  /// Conversations that could not be locked, with the reason.
  public var lockFailures: [String: String] = [:]

  /// Whether every change was confirmed (or recorded by a dry run) and every conversation locked.
  public var ok: Bool {
    lockFailures.isEmpty && items.allSatisfy { $0.result == .confirmed || $0.result == .dryRun }
  }

  /// How many changes ended with result `r`.
  public func count(_ r: Item.Result) -> Int { items.filter { $0.result == r }.count }
}
