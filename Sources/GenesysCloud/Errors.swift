/// A failure talking to Genesys Cloud. Messages never hold a secret or a token.
public enum GenesysError: Error, Sendable, CustomStringConvertible, Equatable {
  /// The API answered with an ErrorBody (or an OAuth error on the token endpoint).
  case api(status: Int, code: String, message: String, correlationId: String?)
  /// No answer: connection refused or reset, timeout.
  case transport(String)
  /// The time budget for retries was spent.
  case budgetExhausted(lastError: String)
  /// Configuration that cannot work (missing credentials, plain http off loopback, unknown region).
  case configuration(String)
  /// An id that could leave its place in a URL path.
  case invalidId(String)
  /// A response that does not parse.
  case decoding(String)
  /// A request that may or may not have taken effect (timeout, reset, 5xx on a non-idempotent call):
  /// re-read before deciding to send it again.
  case outcomeUnknown(String)
  /// Never sent: the run was stopping (SIGINT/SIGTERM), so the budget let nothing new out.
  case notSent(String)

  public var description: String {
    switch self {
    case .api(let status, let code, let message, let correlationId):
      let corr = correlationId.map { " (correlation id \($0))" } ?? ""
      return "Genesys Cloud answered \(status) \(code): \(message)\(corr)"
    case .transport(let m): return "cannot reach Genesys Cloud: \(m)"
    case .budgetExhausted(let last):
      return "gave up after the retry time budget was spent; last error: \(last)"
    case .configuration(let m): return m
    case .invalidId(let id): return "refusing to put '\(id)' into a URL path: not a valid id"
    case .decoding(let m): return "unexpected response from Genesys Cloud: \(m)"
    case .outcomeUnknown(let m): return "outcome unknown: \(m)"
    case .notSent(let m): return "not sent: \(m)"
    }
  }

  /// The HTTP status of an `.api` error; nil for every other kind.
  public var status: Int? {
    if case .api(let status, _, _, _) = self { return status }
    return nil
  }

  /// The error code of an `.api` error (`http.<status>` when the body had none); nil for every other kind.
  public var code: String? {
    if case .api(_, let code, _, _) = self { return code }
    return nil
  }
}
