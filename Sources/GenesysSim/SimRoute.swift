/// The operations the emulator serves (docs/genesys-api.md §1–2); the raw value is the route as
/// `GET /sim/requests` counts it.
enum SimRoute: String, CaseIterable {
  case token = "POST /oauth/token"
  case listConversations = "GET /api/v2/conversations"
  case listCalls = "GET /api/v2/conversations/calls"
  case maximumConferenceParties = "GET /api/v2/conversations/calls/maximumconferenceparties"
  case getCall = "GET /api/v2/conversations/calls/{conversationId}"
  case getConversation = "GET /api/v2/conversations/{conversationId}"
  case patchCallParticipant =
    "PATCH /api/v2/conversations/calls/{conversationId}/participants/{participantId}"
  case patchParticipant = "PATCH /api/v2/conversations/{conversationId}/participants/{participantId}"
  case patchCallParticipantUser =
    "PATCH /api/v2/conversations/calls/{conversationId}/participants/{participantId}/user/{userId}"
  case putCallRecordingState = "PUT /api/v2/conversations/calls/{conversationId}/recordingstate"
  case patchRecordingState = "PATCH /api/v2/conversations/{conversationId}/recordingstate"
  case addParticipants = "POST /api/v2/conversations/calls/{conversationId}/participants"
  case addParticipantsUser = "POST /api/v2/conversations/calls/{conversationId}/participants/user/{userId}"
  case getUser = "GET /api/v2/users/{userId}"
  case getUsers = "GET /api/v2/users"
  case searchUsers = "POST /api/v2/users/search"
  case listQueues = "GET /api/v2/routing/queues"
  case getQueue = "GET /api/v2/routing/queues/{queueId}"
  case activityQuery = "POST /api/v2/analytics/conversations/activity/query"
  case orgLimits = "GET /api/v2/organizations/limits/namespaces/{namespaceName}"
  case createChannel = "POST /api/v2/notifications/channels"
  case listChannels = "GET /api/v2/notifications/channels"
  case headChannel = "HEAD /api/v2/notifications/channels/{channelId}"
  case getSubscriptions = "GET /api/v2/notifications/channels/{channelId}/subscriptions"
  case addSubscriptions = "POST /api/v2/notifications/channels/{channelId}/subscriptions"
  case replaceSubscriptions = "PUT /api/v2/notifications/channels/{channelId}/subscriptions"
  case deleteSubscriptions = "DELETE /api/v2/notifications/channels/{channelId}/subscriptions"

  /// The permissions of which the client needs ANY (docs/genesys-api.md §2), none when empty.
  var permissions: [String] {
    switch self {
    case .getConversation: return ["conversation:communication:view"]
    case .patchCallParticipant, .patchParticipant:
      return [
        "conversation:participant:wrapup", "conversation:call:record",
        "conversation:communication:disconnect",
      ]
    case .patchCallParticipantUser:
      return [
        "conversation:participant:wrapup", "conversation:call:record",
        "conversation:communication:disconnect",
        "conversation:agentlessCall:add",
      ]
    case .addParticipantsUser: return ["conversation:agentlessCall:add"]
    // The secure pause: the one call control a caller who is not a participant may make (§10.1).
    case .putCallRecordingState, .patchRecordingState: return ["conversation:recording:pauseOthers"]
    case .searchUsers: return ["directory:user:view"]
    case .listQueues, .getQueue: return ["routing:queue:view"]
    case .activityQuery: return ["analytics:queueObservation:view"]
    default: return []
    }
  }

  /// The route of `method path` and its path parameters in order, or nil for an unknown route.
  static func match(method: String, path: String) -> (SimRoute, [String])? {
    var trimmed = Substring(path)
    while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
    let s = trimmed.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map(String.init)
    if s.contains(where: \.isEmpty) { return nil }
    switch (method, s.count) {
    case ("POST", 2) where s == ["oauth", "token"]: return (.token, [])
    default: break
    }
    guard s.count >= 3, s[0] == "api", s[1] == "v2" else { return nil }
    let r = Array(s.dropFirst(2))
    switch method {
    case "GET":
      if r == ["conversations"] { return (.listConversations, []) }
      if r == ["conversations", "calls"] { return (.listCalls, []) }
      if r == ["conversations", "calls", "maximumconferenceparties"] {
        return (.maximumConferenceParties, [])
      }
      if r.count == 3, r[0] == "conversations", r[1] == "calls" { return (.getCall, [r[2]]) }
      if r.count == 2, r[0] == "conversations" { return (.getConversation, [r[1]]) }
      if r == ["users"] { return (.getUsers, []) }
      if r.count == 2, r[0] == "users" { return (.getUser, [r[1]]) }
      if r == ["routing", "queues"] { return (.listQueues, []) }
      if r.count == 3, r[0] == "routing", r[1] == "queues" { return (.getQueue, [r[2]]) }
      if r.count == 4, r[0] == "organizations", r[1] == "limits", r[2] == "namespaces" {
        return (.orgLimits, [r[3]])
      }
      if r == ["notifications", "channels"] { return (.listChannels, []) }
      if r.count == 4, r[0] == "notifications", r[1] == "channels", r[3] == "subscriptions" {
        return (.getSubscriptions, [r[2]])
      }
    case "HEAD":
      if r.count == 3, r[0] == "notifications", r[1] == "channels" { return (.headChannel, [r[2]]) }
    case "PUT":
      if r.count == 4, r[0] == "conversations", r[1] == "calls", r[3] == "recordingstate" {
        return (.putCallRecordingState, [r[2]])
      }
      if r.count == 4, r[0] == "notifications", r[1] == "channels", r[3] == "subscriptions" {
        return (.replaceSubscriptions, [r[2]])
      }
    case "DELETE":
      if r.count == 4, r[0] == "notifications", r[1] == "channels", r[3] == "subscriptions" {
        return (.deleteSubscriptions, [r[2]])
      }
    case "PATCH":
      if r.count == 3, r[0] == "conversations", r[2] == "recordingstate" {
        return (.patchRecordingState, [r[1]])
      }
      if r.count == 5, r[0] == "conversations", r[1] == "calls", r[3] == "participants" {
        return (.patchCallParticipant, [r[2], r[4]])
      }
      if r.count == 7, r[0] == "conversations", r[1] == "calls", r[3] == "participants", r[5] == "user" {
        return (.patchCallParticipantUser, [r[2], r[4], r[6]])
      }
      if r.count == 4, r[0] == "conversations", r[2] == "participants" {
        return (.patchParticipant, [r[1], r[3]])
      }
    case "POST":
      if r.count == 4, r[0] == "conversations", r[1] == "calls", r[3] == "participants" {
        return (.addParticipants, [r[2]])
      }
      if r.count == 6, r[0] == "conversations", r[1] == "calls", r[3] == "participants", r[4] == "user" {
        return (.addParticipantsUser, [r[2], r[5]])
      }
      if r == ["users", "search"] { return (.searchUsers, []) }
      if r == ["analytics", "conversations", "activity", "query"] { return (.activityQuery, []) }
      if r == ["notifications", "channels"] { return (.createChannel, []) }
      if r.count == 4, r[0] == "notifications", r[1] == "channels", r[3] == "subscriptions" {
        return (.addSubscriptions, [r[2]])
      }
    default: break
    }
    return nil
  }
}
