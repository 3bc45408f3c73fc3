/// Thrown to requests waiting for (or asking for) the budget after `close()`: the run is stopping,
/// nothing new is sent.
public struct RateBudgetClosed: Error, CustomStringConvertible {
  public var description: String { "not sent: the run is stopping" }
}
