struct TokenResponse: Decodable {
  var access_token: String
  var token_type: String?
  var expires_in: Double?
}

struct ErrorBody: Decodable {
  var message: String?
  var code: String?
  var status: Int?
  var contextId: String?
}

struct OAuthErrorBody: Decodable {
  var error: String?
  var description: String?
  var error_description: String?
}

/// The conversation activity query's answer: the details of the observations.
struct ActivityResponse: Decodable {
  struct Result: Decodable {
    var entities: [Entity]?
    var truncated: Bool?
  }
  struct Entity: Decodable {
    var conversationId: String?
  }
  var results: [Result]?
}
