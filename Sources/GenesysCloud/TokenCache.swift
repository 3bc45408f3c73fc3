import Backoff
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// The cached access token: fetched once, refreshed before expiry, invalidated once on 401.
actor TokenCache {
  let configuration: GenesysConfiguration
  /// The token and when to fetch the next: a length from its issue, so on the monotonic clock (the
  /// client's clock may move onto the run's, `RateBudget.useClock`).
  private var current: (token: Secret, refreshAt: ContinuousClock.Instant)?
  private var inFlight: Task<(Secret, ContinuousClock.Instant), any Error>?
  private(set) var fetched = 0
  /// The client's clock (its budget's): deadlines and the token's refresh time are its instants.
  let clock: BudgetClock

  init(configuration: GenesysConfiguration, clock: BudgetClock) {
    self.configuration = configuration
    self.clock = clock
  }

  func token(http: HTTPClient, deadline: Double, progress: ProgressGate) async throws -> Secret {
    if let t = configuration.accessToken { return t }
    if let c = current, ContinuousClock.now < c.refreshAt { return c.token }
    if let task = inFlight { return try await task.value.0 }
    let (config, clock) = (configuration, clock)
    let task = Task {
      try await Self.fetch(config, http: http, deadline: deadline, progress: progress, clock: clock)
    }
    inFlight = task
    defer { inFlight = nil }
    let (token, refreshAt) = try await task.value
    current = (token, refreshAt)
    fetched += 1
    return token
  }

  func invalidate(_ token: Secret) {
    if current?.token == token { current = nil }
  }

  /// Fetches a token, retrying 429, 5xx (not 501) and connection errors until `deadline` (the calling
  /// request's time budget: the token request is one of its requests).
  static func fetch(
    _ config: GenesysConfiguration, http: HTTPClient, deadline: Double, progress: ProgressGate,
    clock: BudgetClock
  ) async throws -> (Secret, ContinuousClock.Instant) {
    guard let id = config.clientId, let secret = config.clientSecret else {
      throw GenesysError.configuration("no client credentials")
    }
    var request = HTTPClientRequest(url: config.loginBase + "/oauth/token")
    request.method = .POST
    let basic = Data("\(id):\(secret.value)".utf8).base64EncodedString()
    request.headers.add(name: "Authorization", value: "Basic \(basic)")
    request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
    request.body = .bytes(ByteBuffer(string: "grant_type=client_credentials"))
    let started = clock.now()
    let what = "retrying the token request to \(config.loginBase.components(separatedBy: "://").last ?? "")"
    /// A failure the token request is sent again after, and what it was.
    struct Retry: Error { var message: String }
    var lastError = "none"
    return try await Backoff.token.retrying(
      deadline: deadline, now: { clock.now() }, retryable: { $0 is Retry },
      exhausted: {
        GenesysError.budgetExhausted(lastError: "token request: \(($0 as? Retry)?.message ?? "\($0)")")
      },
      failed: { error, _ in
        lastError = (error as? Retry)?.message ?? lastError
        await progress.note(what, lastError, started: started, deadline: deadline)
      }
    ) { _ in
      let (issued, issuedAt) = (clock.now(), ContinuousClock.now)
      let left = deadline - issued
      if left <= 0 { throw GenesysError.budgetExhausted(lastError: "token request: \(lastError)") }
      do {
        let response = try await http.execute(
          request, timeout: .milliseconds(Int64(min(30, max(0.05, left)) * 1000)))
        let data = Data((try await response.body.collect(upTo: 1 << 20)).readableBytesView)
        let status = Int(response.status.code)
        if status == 200 {
          guard let t = try? JSONDecoder().decode(TokenResponse.self, from: data) else {
            throw GenesysError.decoding("token response")
          }
          // An answer is input: a lifetime that is not a number of seconds up to a week counts as a day.
          let given = t.expires_in ?? 86400
          let lifetime = given.isFinite && given >= 0 && given <= 604_800 ? given : 86400
          let refreshAt = issuedAt + .seconds(lifetime > 120 ? lifetime - 60 : lifetime * 0.8)
          return (Secret(t.access_token), refreshAt)
        }
        let error = GenesysClient.apiError(
          status: status, body: data, correlationId: response.headers.first(name: "ININ-Correlation-Id"))
        // A token request changes nothing: sent again whenever the status allows a retry at all.
        guard StatusClass.of(status).retried(idempotent: true) else { throw error }
        throw Retry(message: error.description)
      } catch let e as GenesysError {
        throw e
      } catch let e as Retry {
        throw e
      } catch {
        throw Retry(message: GenesysClient.describe(error, url: config.loginBase))
      }
    }
  }
}
