/// What happened to a call: the API answered (status, correlation id, latency) or it did not.
public struct CallResult: Sendable {
  /// The HTTP status the API answered with (0 from a dry run).
  public var status: Int
  /// The API's correlation id for the request, when it gave one.
  public var correlationId: String?
  /// How long the call took.
  public var latency: Duration

  /// A call's result.
  public init(status: Int, correlationId: String?, latency: Duration) {
    self.status = status
    self.correlationId = correlationId
    self.latency = latency
  }
}

/// Why an executor's call did not succeed, and so whether it may still have taken effect.
public enum CallFailure: Error, Sendable {
  /// The API refused the call: it did not take effect.
  case refused(status: Int, message: String, correlationId: String?)
  /// No answer: it may or may not have taken effect.
  case unknown(String)
  /// Never sent (the run is stopping): it did not take effect.
  case notSent(String)

  /// The user an effect that needs one acts on behalf of; refused (never sent) without one.
  public static func acting(_ user: UserId?) throws -> UserId {
    guard let user else {
      throw CallFailure.refused(status: 0, message: "no acting user: not sent", correlationId: nil)
    }
    return user
  }
}
