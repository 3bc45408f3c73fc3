import Foundation
import OrderedJSON
import YAMLReader

/// What finding calls needs (docs/genesys-api.md §8.2–8.3): queues by name or id, the conversation activity
/// query, and the org's limits.
extension SimEngine {
  // MARK: Queues

  /// `GET /api/v2/routing/queues`: `name` (a leading and/or trailing `*` matches any run of
  /// characters; otherwise the whole name, case-insensitively), repeated `id`, paging.
  func listQueues(_ request: SimRequest, _ context: Context) -> SimReply {
    let (size, number): (Int, Int)
    switch paging(request, context) {
    case .success(let p): (size, number) = p
    case .failure(let reply): return reply
    }
    var queues = org.queueOrder.compactMap { org.queues[$0] }
    let ids = request.queryValues("id").flatMap { $0.split(separator: ",").map(String.init) }
    if !ids.isEmpty { queues = queues.filter { ids.contains($0.id) } }
    if let pattern = request.queryValues("name").last, !pattern.isEmpty {
      queues = queues.filter { Self.nameMatches($0.name, pattern) }
    }
    queues.sort { $0.name.lowercased() < $1.name.lowercased() }
    let page = queues.dropFirst((number - 1) * size).prefix(size)
    let pageCount = max(1, (queues.count + size - 1) / size)
    let base = "/api/v2/routing/queues?pageSize=\(size)"
    var f: [(String, JSONValue)] = [
      ("entities", .array(page.map(org.queueJSON))), ("pageSize", .int(size)), ("pageNumber", .int(number)),
      ("total", .int(queues.count)), ("firstUri", .string(base + "&pageNumber=1")),
      ("selfUri", .string(base + "&pageNumber=\(number)")),
      ("lastUri", .string(base + "&pageNumber=\(pageCount)")),
    ]
    if number < pageCount { f.append(("nextUri", .string(base + "&pageNumber=\(number + 1)"))) }
    if number > 1 { f.append(("previousUri", .string(base + "&pageNumber=\(number - 1)"))) }
    f.append(("pageCount", .int(pageCount)))
    return json(200, .object(f))
  }

  static func nameMatches(_ name: String, _ pattern: String) -> Bool {
    let n = name.lowercased()
    var p = pattern.lowercased()
    let prefix = p.hasPrefix("*")
    let suffix = p.hasSuffix("*") && p.count > 1
    if prefix { p.removeFirst() }
    if suffix { p.removeLast() }
    switch (prefix, suffix) {
    case (true, true): return p.isEmpty || n.contains(p)
    case (true, false): return n.hasSuffix(p)
    case (false, true): return n.hasPrefix(p)
    case (false, false): return n == p
    }
  }

  // MARK: Org limits

  /// The `platform.api` limits a client reads: the defaults (the emulator's rate limit for the token
  /// rate) with the client's own values from the fixture over them.
  func orgLimits(namespace: String, client: SimFixture.Client, _ context: Context) -> SimReply {
    guard namespace == "platform.api" else {
      return error(404, "not.found", "The limits namespace \(namespace) was not found.", context)
    }
    // With the limit off (tests), a limit no client reaches.
    let perMinute =
      options.rateLimit.map { Int((Double($0) * 60 / options.rateLimitWindow).rounded()) } ?? 1_000_000
    var values: [String: Int] = [
      "client.credentials.token.rate.per.minute": perMinute,
      "token.rate.per.minute": perMinute,
      "request.bytes.max": 512_000,
    ]
    for (k, v) in client.limits { values[k] = v }
    return json(
      200,
      .object([
        (
          "entities",
          .array(
            values.sorted { $0.key < $1.key }.map {
              .object([
                ("key", .string($0.key)), ("namespace", .string(namespace)), ("value", .int($0.value)),
              ])
            })
        )
      ]))
  }

  /// The rate limit of a client's tokens: its `client.credentials.token.rate.per.minute` when the
  /// fixture sets one, else the emulator's.
  func rateLimit(of clientId: String) -> Int? {
    guard let limit = options.rateLimit else { return nil }
    return org.clients[clientId]?.limits["client.credentials.token.rate.per.minute"] ?? limit
  }

  // MARK: The conversation activity query

  static let activityMetrics = [
    "oAlerting", "oInteracting", "oLongestInteracting", "oLongestWaiting", "oWaiting",
  ]
  static let activityDimensions = [
    "activeRouting", "addressFrom", "addressTo", "agentScore", "ani", "conversationId", "convertedFrom",
    "convertedTo", "direction", "dnis", "mediaType", "participantName", "queueId", "requestedLanguageId",
    "requestedRouting", "requestedRoutingSkillId", "routingPriority", "scoredAgentId", "sessionId", "teamId",
    "usedRouting", "userId",
  ]

  struct ActivityPredicate {
    var dimension: String
    var op: String
    var value: String?
  }

  struct ActivityClause {
    var all: Bool
    var predicates: [ActivityPredicate]
  }

  /// One observation: a waiting customer, or an agent alerting or interacting.
  struct ActivityEntity {
    var metric: String
    var date: Date
    var dims: [String: String]
  }

  /// `POST /api/v2/analytics/conversations/activity/query`: live voice calls as observations, with
  /// `oWaiting` (a customer in queue with no agent connected), `oAlerting` and `oInteracting` (an agent
  /// or user ringing or connected), filters on their dimensions, `groupBy`, and the details paged.
  func activityQuery(_ request: SimRequest, _ context: Context) -> SimReply {
    let body: JSONValue
    switch parseBody(request, context) {
    case .success(let v): body = v
    case .failure(let reply): return reply
    }
    var size = 25
    var number = 1
    if let s = request.queryValues("pageSize").last {
      guard let v = Int(s), (1...100).contains(v) else {
        return error(400, "bad.request", "pageSize must be between 1 and 100.", context)
      }
      size = v
    }
    if let s = request.queryValues("pageNumber").last {
      guard let v = Int(s), v >= 1 else {
        return error(400, "bad.request", "pageNumber must be at least 1.", context)
      }
      number = v
    }
    func bad(_ message: String) -> SimReply { error(400, "bad.request", message, context) }
    guard case .object(let top) = body else {
      return bad("The query must be a ConversationActivityQuery object.")
    }
    for (k, _) in top where !["metrics", "groupBy", "filter", "order"].contains(k) {
      return bad("Unrecognized field '\(k)' in the query.")
    }
    guard let metricItems = body["metrics"]?.arrayValue, !metricItems.isEmpty else {
      return bad("The query needs at least one metric.")
    }
    var metrics: [(String, Bool)] = []
    for m in metricItems {
      guard case .object(let pairs) = m else { return bad("Each metric must be an object.") }
      for (k, _) in pairs where k != "metric" && k != "details" {
        return bad("Unrecognized field '\(k)' in a metric.")
      }
      guard let name = m["metric"]?.stringValue, Self.activityMetrics.contains(name) else {
        return bad(
          "Invalid metric '\(m["metric"]?.stringValue ?? "")': one of \(Self.activityMetrics.joined(separator: ", "))."
        )
      }
      var details = false
      if let d = m["details"], d != .null {
        guard let b = d.boolValue else { return bad("'details' must be true or false.") }
        details = b
      }
      metrics.append((name, details))
    }
    var groupBy: [String] = []
    if let g = body["groupBy"], g != .null {
      guard let items = g.arrayValue else { return bad("'groupBy' must be a list of dimensions.") }
      for item in items {
        guard let d = item.stringValue, Self.activityDimensions.contains(d) else {
          return bad("Invalid groupBy dimension '\(item.stringValue ?? "")'.")
        }
        groupBy.append(d)
      }
    }
    var descending = false
    if let o = body["order"], o != .null {
      guard let s = o.stringValue, ["asc", "desc", "unordered"].contains(s) else {
        return bad("'order' must be asc, desc or unordered.")
      }
      descending = s == "desc"
    }
    var filter: (all: Bool, predicates: [ActivityPredicate], clauses: [ActivityClause])?
    if let f = body["filter"], f != .null {
      switch Self.activityFilter(f) {
      case .success(let parsed): filter = parsed
      case .failure(let failure): return bad(failure.message)
      }
    }

    var entities = activityEntities(now: context.now)
    if let filter {
      entities = entities.filter { e in
        let results =
          filter.predicates.map { Self.holds($0, e) }
          + filter.clauses.map { c in
            c.all
              ? c.predicates.allSatisfy { Self.holds($0, e) } : c.predicates.contains { Self.holds($0, e) }
          }
        return filter.all ? results.allSatisfy { $0 } : results.contains(true)
      }
    }
    entities.sort { descending ? $0.date > $1.date : $0.date < $1.date }
    var groups: [[String: String]] = []
    var members: [[ActivityEntity]] = []
    for e in entities {
      let key = Dictionary(uniqueKeysWithValues: groupBy.compactMap { d in e.dims[d].map { (d, $0) } })
      if let i = groups.firstIndex(of: key) {
        members[i].append(e)
      } else {
        groups.append(key)
        members.append([e])
      }
    }
    if groups.isEmpty && groupBy.isEmpty {
      groups = [[:]]
      members = [[]]
    }
    var results: [JSONValue] = []
    for (key, list) in zip(groups, members) {
      var data: [JSONValue] = []
      var details: [ActivityEntity] = []
      for (metric, wantDetails) in metrics {
        let of = list.filter {
          $0.metric == metric || ($0.metric == "oWaiting" && metric == "oLongestWaiting")
            || ($0.metric == "oInteracting" && metric == "oLongestInteracting")
        }
        var pairs: [(String, JSONValue)] = [("metric", .string(metric))]
        if metric.hasPrefix("oLongest") {
          let longest = of.map { context.now.timeIntervalSince($0.date) }.max() ?? 0
          pairs.append(("count", .int(of.isEmpty ? 0 : 1)))
          pairs.append(("calculatedMetricValue", .int(Int(longest * 1000))))
        } else {
          pairs.append(("count", .int(of.count)))
          if wantDetails { details += of }
        }
        data.append(.object(pairs))
      }
      var pairs: [(String, JSONValue)] = [
        ("group", .object(key.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })),
        ("data", .array(data)),
      ]
      if metrics.contains(where: \.1) {
        let page = details.dropFirst((number - 1) * size).prefix(size)
        pairs.append(("truncated", .bool(details.count > number * size)))
        pairs.append(("entities", .array(page.map(Self.entityJSON))))
      }
      results.append(.object(pairs))
    }
    return json(
      200, .object([("results", .array(results)), ("entityIdDimension", .string("conversationId"))]))
  }

  static func entityJSON(_ e: ActivityEntity) -> JSONValue {
    var pairs: [(String, JSONValue)] = [
      ("activityDate", .string(isoDate(e.date))), ("metric", .string(e.metric)),
    ]
    for key in [
      "conversationId", "direction", "mediaType", "participantName", "queueId", "sessionId", "userId",
    ] {
      if let v = e.dims[key] { pairs.append((key, .string(v))) }
    }
    return .object(pairs)
  }

  static func holds(_ p: ActivityPredicate, _ e: ActivityEntity) -> Bool {
    switch p.op {
    case "exists": return e.dims[p.dimension] != nil
    case "notExists": return e.dims[p.dimension] == nil
    default: return e.dims[p.dimension] == p.value
    }
  }

  static func activityFilter(_ f: JSONValue) -> Result<
    (all: Bool, predicates: [ActivityPredicate], clauses: [ActivityClause]), FaultSpecError
  > {
    func fail(_ m: String) -> Result<
      (all: Bool, predicates: [ActivityPredicate], clauses: [ActivityClause]), FaultSpecError
    > {
      .failure(FaultSpecError(message: m))
    }
    guard case .object(let pairs) = f else { return fail("'filter' must be an object.") }
    for (k, _) in pairs where !["type", "predicates", "clauses"].contains(k) {
      return fail("Unrecognized field '\(k)' in the filter.")
    }
    guard let type = f["type"]?.stringValue, type == "and" || type == "or" else {
      return fail("The filter needs a 'type' of and or or.")
    }
    func predicates(_ v: JSONValue?) -> Result<[ActivityPredicate], FaultSpecError> {
      guard let v, v != .null else { return .success([]) }
      guard let items = v.arrayValue else {
        return .failure(FaultSpecError(message: "'predicates' must be a list."))
      }
      var out: [ActivityPredicate] = []
      for item in items {
        guard case .object(let pairs) = item else {
          return .failure(FaultSpecError(message: "Each predicate must be an object."))
        }
        for (k, _) in pairs where !["type", "dimension", "operator", "value"].contains(k) {
          return .failure(FaultSpecError(message: "Unrecognized field '\(k)' in a predicate."))
        }
        if let t = item["type"]?.stringValue, t != "dimension" {
          return .failure(
            FaultSpecError(message: "Predicate type '\(t)' is not supported here; use dimension."))
        }
        guard let d = item["dimension"]?.stringValue, Self.activityDimensions.contains(d) else {
          return .failure(
            FaultSpecError(message: "Invalid predicate dimension '\(item["dimension"]?.stringValue ?? "")'."))
        }
        let op = item["operator"]?.stringValue ?? "matches"
        guard ["matches", "exists", "notExists"].contains(op) else {
          return .failure(FaultSpecError(message: "Invalid operator '\(op)': matches, exists or notExists."))
        }
        let value = item["value"]?.stringValue
        if op == "matches" && value == nil {
          return .failure(FaultSpecError(message: "A matches predicate on '\(d)' needs a value."))
        }
        out.append(ActivityPredicate(dimension: d, op: op, value: value))
      }
      return .success(out)
    }
    let top: [ActivityPredicate]
    switch predicates(f["predicates"]) {
    case .success(let p): top = p
    case .failure(let e): return .failure(e)
    }
    var clauses: [ActivityClause] = []
    if let c = f["clauses"], c != .null {
      guard let items = c.arrayValue else { return fail("'clauses' must be a list.") }
      for item in items {
        guard case .object(let pairs) = item else { return fail("Each clause must be an object.") }
        for (k, _) in pairs where k != "type" && k != "predicates" {
          return fail("Unrecognized field '\(k)' in a clause.")
        }
        guard let t = item["type"]?.stringValue, t == "and" || t == "or" else {
          return fail("A clause needs a 'type' of and or or.")
        }
        switch predicates(item["predicates"]) {
        case .success(let p): clauses.append(ActivityClause(all: t == "and", predicates: p))
        case .failure(let e): return .failure(e)
        }
      }
    }
    if top.isEmpty && clauses.isEmpty { return fail("The filter needs predicates or clauses.") }
    return .success((type == "and", top, clauses))
  }

  /// The observations of every live voice call.
  func activityEntities(now: Date) -> [ActivityEntity] {
    var out: [ActivityEntity] = []
    for id in org.conversationOrder {
      guard let c = org.conversations[id], c.participants.contains(where: \.isActive) else { continue }
      var base: [String: String] = ["conversationId": c.id, "mediaType": "voice", "direction": c.direction]
      if let q = c.queue { base["queueId"] = q }
      let agentConnected = c.participants.contains {
        ($0.purpose == "agent" || $0.purpose == "user") && $0.state == "connected"
      }
      if c.queue != nil, !agentConnected,
        let customer = c.participants.first(where: { $0.purpose == "customer" && $0.isActive })
      {
        var dims = base
        dims["sessionId"] = customer.callId
        out.append(
          ActivityEntity(metric: "oWaiting", date: customer.connectedTime ?? customer.startTime, dims: dims))
      }
      for p in c.participants where (p.purpose == "agent" || p.purpose == "user") && p.userId != nil {
        let metric: String
        switch p.state {
        case "alerting", "offering", "contacting", "dialing": metric = "oAlerting"
        case "connected": metric = "oInteracting"
        default: continue
        }
        var dims = base
        dims["userId"] = p.userId
        dims["sessionId"] = p.callId
        if let name = p.name { dims["participantName"] = name }
        out.append(
          ActivityEntity(
            metric: metric,
            date: metric == "oAlerting"
              ? (p.startAlertingTime ?? p.startTime) : (p.connectedTime ?? p.startTime),
            dims: dims))
      }
    }
    return out
  }
}

extension SimOrganisation {
  /// A Queue as `GET /api/v2/routing/queues/{id}` answers it (the fields a client may read).
  func queueJSON(_ q: SimFixture.Queue) -> JSONValue {
    .object([
      ("id", .string(q.id)), ("name", .string(q.name)),
      (
        "division",
        .object([
          ("id", .string("00000000-0000-4000-8000-00000000d1v1")), ("name", .string("Home")),
          ("selfUri", .string("/api/v2/authorization/divisions/00000000-0000-4000-8000-00000000d1v1")),
        ])
      ),
      ("dateCreated", .string("2026-01-01T00:00:00.000Z")), ("memberCount", .int(0)),
      ("userMemberCount", .int(0)),
      ("joinedMemberCount", .int(0)), ("selfUri", .string("/api/v2/routing/queues/\(q.id)")),
    ])
  }
}
