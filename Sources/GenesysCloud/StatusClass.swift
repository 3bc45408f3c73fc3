/// What an HTTP status from Genesys Cloud means for the request that got it: the one classification
/// the client, its token request and the executor share (genesys-api.md §6: 429 with Retry-After;
/// 503 not processed; other 5xx possibly processed).
public enum StatusClass: Sendable, Equatable {
  /// 2xx.
  case success
  /// 429: retried after the rate budget's pause.
  case rateLimited
  /// 503 and 408: the request was not processed; any request may be sent again.
  case notProcessed
  /// Other 5xx but 501: the request may have taken effect; only an idempotent one is sent again.
  case mayHaveActed
  /// Any other status (4xx, 501, 1xx, 3xx): the answer stands; sending it again would not change it.
  case refused

  /// The class of `status`.
  public static func of(_ status: Int) -> StatusClass {
    switch status {
    case 200..<300: .success
    case 429: .rateLimited
    case 503, 408: .notProcessed
    case 501: .refused
    case 500..<600: .mayHaveActed
    default: .refused
    }
  }

  /// Whether a request that got this status is sent again (an idempotent one, or any when `idempotent`
  /// is false only for statuses that say it was not processed).
  public func retried(idempotent: Bool) -> Bool {
    switch self {
    case .rateLimited, .notProcessed: true
    case .mayHaveActed: idempotent
    case .success, .refused: false
    }
  }
}
