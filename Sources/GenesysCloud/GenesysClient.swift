import Backoff
public import AsyncHTTPClient
public import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// The Genesys Cloud Platform API v2 client: client-credentials auth with a cached token, one shared
/// rate budget, retries for 429, 5xx (not 501) and connection errors inside a time budget. Ids are
/// checked before they enter a URL; no secret or token reaches an error text.
public final class GenesysClient: Sendable {
  /// Where and as whom the client talks.
  public let configuration: GenesysConfiguration
  /// The rate budget every request of this client goes through (clients of one token should share one).
  public let budget: RateBudget
  /// How failed requests are retried, and how long a request may take in all.
  public let retry: RetryPolicy
  let http: HTTPClient
  let ownsHTTP: Bool
  let tokens: TokenCache
  /// Told when a request keeps failing and is retried (`retrying token request to login.… (connection
  /// refused), 4 s left`), at most every 2 s and only once it has failed for 2 s: quick transient
  /// faults stay quiet, a long wait says what it waits for.
  public let progress: (@Sendable (String) -> Void)?
  /// Told every 10 s while a request waits for the rate budget (set on a terminal only).
  public let heartbeat: (@Sendable (String) -> Void)?

  /// A client for `configuration`. Without `httpClient` it makes its own HTTP client (closed by `shutdown`);
  /// `progress` and `heartbeat` receive the retry and rate-limit wait messages.
  public init(
    configuration: GenesysConfiguration, budget: RateBudget = RateBudget(), retry: RetryPolicy = .default,
    httpClient: HTTPClient? = nil, progress: (@Sendable (String) -> Void)? = nil,
    heartbeat: (@Sendable (String) -> Void)? = nil
  ) {
    self.progress = progress
    self.heartbeat = heartbeat
    self.configuration = configuration
    self.budget = budget
    self.retry = retry
    if let httpClient {
      http = httpClient
      ownsHTTP = false
    } else {
      var config = HTTPClient.Configuration()
      config.timeout = .init(connect: .seconds(10), read: .seconds(30))
      config.connectionPool = .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: 16)
      http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
      ownsHTTP = true
    }
    tokens = TokenCache(configuration: configuration, clock: budget.clock)
    progressGate = ProgressGate(progress, clock: budget.clock)
  }

  let progressGate: ProgressGate
  /// False once the org answered 404 or 405 to the newer `PATCH /api/v2/conversations/{id}/recordingstate`
  /// and the older PUT worked: the PUT is then sent directly (one request a change, not two).
  let recordingStatePatch = Atomic<Bool>(true)

  /// Closes the HTTP client when this client made it (one passed to `init` is left open). Call it once the
  /// client is no longer used.
  public func shutdown() async throws {
    if ownsHTTP { try await http.shutdown() }
  }

  // MARK: Reads

  /// `GET /api/v2/conversations/calls/{id}`; nil when the conversation does not exist (404).
  public func callConversation(_ id: String, priority: RequestPriority? = nil) async throws
    -> CallConversation?
  {
    let path = "/api/v2/conversations/calls/\(try Self.pathId(id))"
    do {
      return try decode(
        CallConversation.self, try await send(.GET, path, idempotent: true, priority: priority))
    } catch let e as GenesysError where e.status == 404 {
      return nil
    }
  }

  /// `GET /api/v2/users?id=…`, up to 100 ids a call.
  public func users(ids: [String], priority: RequestPriority? = nil) async throws -> [DirectoryUser] {
    var out: [DirectoryUser] = []
    let unique = Array(Set(ids)).sorted()
    for start in stride(from: 0, to: unique.count, by: 100) {
      let chunk = unique[start..<min(start + 100, unique.count)]
      let query = try chunk.map { "id=\(try Self.pathId($0))" }.joined(separator: "&")
      let path = "/api/v2/users?pageSize=\(chunk.count)&\(query)"
      let listing = try decode(
        UserListing.self, try await send(.GET, path, idempotent: true, priority: priority))
      out.append(contentsOf: listing.entities ?? [])
    }
    return out
  }

  /// `POST /api/v2/users/search` with an EXACT match on email.
  public func user(email: String, priority: RequestPriority? = nil) async throws -> DirectoryUser? {
    let body = try JSONSerialization.data(withJSONObject: [
      "query": [["type": "EXACT", "fields": ["email"], "value": email]], "pageSize": 1,
    ])
    let response = try await send(
      .POST, "/api/v2/users/search", body: body, idempotent: true, priority: priority)
    return try decode(UserSearchResponse.self, response).results?.first
  }

  /// `GET /api/v2/routing/queues?name=…`: the queues whose name matches (the service matches a
  /// prefix; callers pick exact matches). Every page.
  public func queues(named name: String) async throws -> [RoutingQueue] {
    var out: [RoutingQueue] = []
    var page = 1
    let encoded = Self.queryValue(name)
    while true {
      let path = "/api/v2/routing/queues?pageSize=100&pageNumber=\(page)&name=\(encoded)"
      let listing = try decode(QueueListing.self, try await send(.GET, path, idempotent: true))
      let entities = listing.entities ?? []
      out += entities
      if entities.count < 100 || page >= (listing.pageCount ?? page) || page >= 50 { return out }
      page += 1
    }
  }

  /// `GET /api/v2/routing/queues/{id}`; nil when there is no such queue.
  public func queue(id: String) async throws -> RoutingQueue? {
    let path = "/api/v2/routing/queues/\(try Self.pathId(id))"
    do {
      return try decode(RoutingQueue.self, try await send(.GET, path, idempotent: true))
    } catch let e as GenesysError where e.status == 404 {
      return nil
    }
  }

  /// The live voice calls matching every given dimension, from the conversation activity query
  /// (`POST /api/v2/analytics/conversations/activity/query`): waiting, alerting and interacting
  /// observations with their details, every page. Conversation ids, lowercased, in first-seen order.
  public func activeCalls(queueId: String? = nil, userId: String? = nil, direction: String? = nil)
    async throws -> [String]
  {
    var predicates: [[String: String]] = [["type": "dimension", "dimension": "mediaType", "value": "voice"]]
    if let queueId {
      predicates.append(["type": "dimension", "dimension": "queueId", "value": try Self.pathId(queueId)])
    }
    if let userId {
      predicates.append(["type": "dimension", "dimension": "userId", "value": try Self.pathId(userId)])
    }
    if let direction {
      predicates.append(["type": "dimension", "dimension": "direction", "value": direction])
    }
    let body = try JSONSerialization.data(
      withJSONObject: [
        "metrics": ["oWaiting", "oAlerting", "oInteracting"].map { ["metric": $0, "details": true] },
        "filter": ["type": "and", "predicates": predicates],
        "order": "asc",
      ] as [String: Any], options: [.sortedKeys])
    var seen = Set<String>()
    var out: [String] = []
    var page = 1
    while true {
      let path = "/api/v2/analytics/conversations/activity/query?pageSize=100&pageNumber=\(page)"
      let answer = try decode(
        ActivityResponse.self, try await send(.POST, path, body: body, idempotent: true))
      var truncated = false
      for r in answer.results ?? [] {
        truncated = truncated || (r.truncated ?? false)
        for e in r.entities ?? [] {
          if let id = e.conversationId?.lowercased(), seen.insert(id).inserted { out.append(id) }
        }
      }
      if !truncated || page >= 100 { return out }
      page += 1
    }
  }

  /// A query-string value, percent-encoded (unreserved characters only pass).
  static func queryValue(_ s: String) -> String {
    let allowed = CharacterSet(
      charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")
    return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
  }

  /// The org's `client.credentials.token.rate.per.minute` (`GET
  /// /api/v2/organizations/limits/namespaces/platform.api`), nil when the client may not read it.
  public func tokenRateLimit() async -> Int? {
    struct Listing: Decodable {
      struct Entry: Decodable {
        var key: String?
        var value: Int?
      }
      var entities: [Entry]?
    }
    // At most 3 s (or the API budget): a run does not wait on this read, it falls back to 300.
    guard
      let r = try? await send(
        .GET, "/api/v2/organizations/limits/namespaces/platform.api", idempotent: true,
        budget: min(retry.budget, 3)),
      let listing = try? JSONDecoder().decode(Listing.self, from: r.body)
    else { return nil }
    return listing.entities?.first { $0.key == "client.credentials.token.rate.per.minute" }?.value
  }

  // MARK: Writes

  /// `PATCH /api/v2/conversations/calls/{cid}/participants/{pid}/user/{userId}` with `{"muted": …}`:
  /// 202 and no body; the effect shows on a later read.
  public func setMuted(
    _ muted: Bool, conversation: String, participant: String, onBehalfOf user: String,
    notAfter: Double? = nil,
    priority: RequestPriority? = nil
  ) async throws -> Response {
    let path =
      "/api/v2/conversations/calls/\(try Self.pathId(conversation))/participants/\(try Self.pathId(participant))/user/\(try Self.pathId(user))"
    return try await send(
      .PATCH, path, body: Data(#"{"muted":\#(muted)}"#.utf8), idempotent: true, notAfter: notAfter,
      priority: priority)
  }

  /// The secure pause of a call's recording, or its resume (genesys-api.md §10.1): the one call control
  /// a service token makes without being on the call (permission `conversation:recording:pauseOthers`).
  /// `PATCH /api/v2/conversations/{cid}/recordingstate` (August 2025), falling back on 404 or 405 to
  /// `PUT /api/v2/conversations/calls/{cid}/recordingstate`, each with `{"recordingState":"PAUSED"}` or
  /// `"ACTIVE"`; any 2xx answers. Idempotent: setting the state twice leaves it so.
  public func setRecordingPaused(
    _ paused: Bool, conversation: String, notAfter: Double? = nil, priority: RequestPriority? = nil
  ) async throws -> Response {
    let id = try Self.pathId(conversation)
    let body = Data(#"{"recordingState":"\#(paused ? "PAUSED" : "ACTIVE")"}"#.utf8)
    let put = "/api/v2/conversations/calls/\(id)/recordingstate"
    if recordingStatePatch.load(ordering: .relaxed) {
      do {
        return try await send(
          .PATCH, "/api/v2/conversations/\(id)/recordingstate", body: body, idempotent: true,
          notAfter: notAfter, priority: priority)
      } catch let e as GenesysError where e.status == 404 || e.status == 405 {
        // (The slot reserved ahead went to the PATCH: the PUT waits for its own.)
        let r = try await send(
          .PUT, put, body: body, idempotent: true, notAfter: notAfter,
          priority: priority.map { RequestPriority($0.rateClass) })
        recordingStatePatch.store(false, ordering: .relaxed)
        return r
      }
    }
    return try await send(.PUT, put, body: body, idempotent: true, notAfter: notAfter, priority: priority)
  }

  /// `POST /api/v2/conversations/calls/{cid}/participants/user/{userId}` with
  /// `{"participants":[{"userId":…}]}` or `[{"address":…}]`; 200 and the conversation. Not idempotent:
  /// an unknown outcome is reported as `.outcomeUnknown`, never re-sent here.
  public func addParticipant(
    conversation: String, onBehalfOf user: String, userId: String? = nil, address: String? = nil,
    priority: RequestPriority? = nil
  ) async throws -> Response {
    let path =
      "/api/v2/conversations/calls/\(try Self.pathId(conversation))/participants/user/\(try Self.pathId(user))"
    var entry: [String: String] = [:]
    if let userId { entry["userId"] = try Self.pathId(userId) }
    if let address { entry["address"] = address }
    let body = try JSONSerialization.data(withJSONObject: ["participants": [entry]])
    return try await send(.POST, path, body: body, idempotent: false, priority: priority)
  }

  // MARK: Transport

  /// A successful (2xx) answer to an API request.
  public struct Response: Sendable {
    /// The HTTP status code.
    public var status: Int
    /// The response body as received.
    public var body: Data
    /// The `ININ-Correlation-Id` header, which identifies the request to Genesys support.
    public var correlationId: String?
    /// Seconds from sending the request to having the whole answer.
    public var latency: Double
  }

  /// Ids go into URL paths only when they are UUIDs (or plain word ids, for emulator client ids).
  static func pathId(_ id: String) throws -> String {
    let ok =
      !id.isEmpty && id.count <= 64
      && id.unicodeScalars.allSatisfy {
        ($0 >= "a" && $0 <= "z") || ($0 >= "A" && $0 <= "Z") || ($0 >= "0" && $0 <= "9") || $0 == "-"
      }
    guard ok else { throw GenesysError.invalidId(String(id.prefix(80))) }
    return id
  }

  func decode<T: Decodable>(_ type: T.Type, _ r: Response) throws -> T {
    do {
      return try JSONDecoder().decode(T.self, from: r.body)
    } catch {
      throw GenesysError.decoding("\(T.self) from a \(r.status) response: \(error)")
    }
  }

  /// Sends one API request through the budget, with retries: in `priority`'s class, spending its
  /// permit on the first attempt, or (without one) as a read.
  func send(
    _ method: HTTPMethod, _ path: String, body: Data? = nil, idempotent: Bool, budget total: Double? = nil,
    notAfter: Double? = nil, priority: RequestPriority? = nil
  ) async throws -> Response {
    let started = budget.clock.now()
    // An on-time revert must not hang on one stuck request: short timeouts, and a short total, after
    // which watch's on-time loop retries on its own.
    let urgent = priority?.urgent ?? false
    var deadline = started + (total ?? (urgent ? min(retry.budget, 10) : retry.budget))
    var attempt = 0
    var refreshed = false
    var lastError = "none"
    while true {
      if budget.clock.now() > deadline { throw GenesysError.budgetExhausted(lastError: lastError) }
      let token = try await tokens.token(http: http, deadline: deadline, progress: progressGate)
      let waitStarted = budget.clock.now()
      let (budget, cls, until, failure) = (
        self.budget, priority?.rateClass ?? .read, deadline, lastError
      )
      let ticket: RateTicket
      do {
        if attempt == 0, let permit = priority?.permit, permit.spend() {
          // Its slot was taken before it was journalled.
          ticket = permit.ticket
        } else {
          ticket = try await withHeartbeat(
            heartbeat, { "waiting \($0) s for the rate limit (\(method.rawValue) \(path))" }
          ) {
            // The wait for the budget counts against the request's own time (an urgent request's
            // does not: its deadline is moved by the wait below).
            if urgent {
              try await budget.acquire(cls)
            } else {
              try await Self.acquire(budget, cls, until: until, lastError: failure)
            }
          }
        }
      } catch is RateBudgetClosed {
        throw GenesysError.notSent("\(method.rawValue) \(path): the run is stopping")
      }
      if let notAfter, budget.clock.now() >= notAfter {
        await budget.settle(ticket)
        throw GenesysError.notSent("\(method.rawValue) \(path): it could not leave before its lease ended")
      }
      // An urgent request's time limit is for failures: time the budget made it wait does not count
      // (giving up would only hand it to the slower retry of watch's on-time loop).
      if urgent { deadline += budget.clock.now() - waitStarted }
      var request = HTTPClientRequest(url: configuration.apiBase + path)
      request.method = method
      request.headers.add(name: "Authorization", value: "Bearer \(token.value)")
      request.headers.add(name: "Accept", value: "application/json")
      if let body {
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: body))
      }
      let sentAt = budget.clock.now()
      let response: HTTPClientResponse
      let data: Data
      do {
        // Connection attempts are retried by the client until this timeout: it is what the budget leaves.
        let timeout = min(urgent ? 5 : 30, max(0.05, deadline - sentAt))
        do {
          response = try await http.execute(request, timeout: .milliseconds(Int64(timeout * 1000)))
        } catch {
          // It may have reached the service at any time until now.
          await budget.settle(ticket)
          throw error
        }
        // The answer's head is in: the service counted the request before now.
        await budget.settle(ticket)
        data = Data((try await response.body.collect(upTo: 16 << 20)).readableBytesView)
      } catch {
        lastError = Self.describe(error, url: configuration.apiBase)
        if !idempotent { throw GenesysError.outcomeUnknown("\(method.rawValue) \(path): \(lastError)") }
        await progressGate.note(
          "retrying \(method.rawValue) \(path)", lastError, started: started, deadline: deadline)
        try await sleep(retry.delay(attempt: attempt), deadline: deadline, lastError: lastError)
        attempt += 1
        continue
      }
      let latency = budget.clock.now() - sentAt
      let h = response.headers
      let status = Int(response.status.code)
      // A Retry-After is at most the request's own time budget (and the budget caps it at 60 s).
      let retryAfter = h.first(name: "Retry-After").flatMap(Double.init).map {
        $0.isFinite ? min($0, retry.budget) : $0
      }
      await budget.record(
        count: h.first(name: "inin-ratelimit-count").flatMap(Int.init),
        allowed: h.first(name: "inin-ratelimit-allowed").flatMap(Int.init),
        reset: h.first(name: "inin-ratelimit-reset").flatMap(Double.init), retryAfter: retryAfter,
        status: status)
      let correlation = h.first(name: "ININ-Correlation-Id")
      if (200..<300).contains(status) {
        return Response(status: status, body: data, correlationId: correlation, latency: latency)
      }
      let error = Self.apiError(status: status, body: data, correlationId: correlation)
      lastError = error.description
      if status == 401 && !refreshed && configuration.accessToken == nil {
        refreshed = true
        await tokens.invalidate(token)
        continue
      }
      switch StatusClass.of(status) {
      case .rateLimited:
        // The budget already pauses every request for Retry-After (capped, so that a hostile value
        // cannot stop reverts); add jitter so retries spread. Past the deadline the sleep gives up.
        try await sleep(Double.random(in: 0...0.05), deadline: deadline, lastError: lastError)
        attempt += 1
        continue
      case let c where c.retried(idempotent: idempotent):
        await progressGate.note(
          "retrying \(method.rawValue) \(path)", "\(status)", started: started, deadline: deadline)
        try await sleep(retry.delay(attempt: attempt), deadline: deadline, lastError: lastError)
        attempt += 1
        continue
      case .mayHaveActed:
        // A non-idempotent call may have taken effect: its outcome is unknown, never sent again.
        throw GenesysError.outcomeUnknown(error.description)
      default:
        throw error
      }
    }
  }

  /// Waits for a slot of `budget`, but not past `deadline` (seconds since 1970): then the wait is
  /// given up and the request fails as out of time.
  static func acquire(_ budget: RateBudget, _ cls: RateClass, until deadline: Double, lastError: String)
    async throws -> RateTicket
  {
    let granted = try await withThrowingTaskGroup(of: RateTicket?.self) { group in
      group.addTask { try await budget.acquire(cls) }
      group.addTask {
        try? await Task.sleep(nanoseconds: UInt64(max(0, deadline - budget.clock.now()) * 1e9))
        return nil
      }
      // (A grant that races the cancel still holds its slot for a span: the budget errs on the safe side.)
      let first = try await group.next() ?? nil
      group.cancelAll()
      return first
    }
    guard let granted else { throw GenesysError.budgetExhausted(lastError: lastError) }
    return granted
  }

  func sleep(_ seconds: Double, deadline: Double, lastError: String) async throws {
    if budget.clock.now() + seconds > deadline {
      throw GenesysError.budgetExhausted(lastError: lastError)
    }
    try await Task.sleep(nanoseconds: UInt64(max(0, seconds) * 1e9))
  }

  static func apiError(status: Int, body: Data, correlationId: String?) -> GenesysError {
    if let e = try? JSONDecoder().decode(ErrorBody.self, from: body), e.code != nil || e.message != nil {
      return .api(
        status: status, code: e.code ?? "unknown", message: e.message ?? "",
        correlationId: correlationId ?? e.contextId)
    }
    if let o = try? JSONDecoder().decode(OAuthErrorBody.self, from: body), let code = o.error {
      return .api(
        status: status, code: code, message: o.error_description ?? o.description ?? "",
        correlationId: correlationId)
    }
    return .api(
      status: status, code: "http.\(status)", message: "no error body", correlationId: correlationId)
  }

  /// A transport error in words, naming the host: `connection refused by 127.0.0.1:9`.
  static func describe(_ error: any Error, url: String) -> String {
    let host = url.components(separatedBy: "://").last ?? url
    if let e = error as? HTTPClientError {
      switch e {
      case .remoteConnectionClosed: return "connection closed by \(host)"
      case .readTimeout, .deadlineExceeded: return "no answer from \(host) in time"
      case .connectTimeout: return "connecting to \(host) timed out"
      default: break
      }
    }
    if let io = error as? IOError {
      switch io.errnoCode {
      case ECONNREFUSED: return "connection refused by \(host)"
      case ECONNRESET: return "connection reset by \(host)"
      case EHOSTUNREACH, ENETUNREACH: return "\(host) is unreachable"
      default: return "\(host): \(String(cString: strerror(io.errnoCode)))"
      }
    }
    let text = "\(error)"
    if text.contains("Connection refused") || text.contains("errno: 111") {
      return "connection refused by \(host)"
    }
    if text.contains("NXDOMAIN") || text.contains("resolve") { return "cannot resolve \(host)" }
    return "\(host): \(text)"
  }
}
