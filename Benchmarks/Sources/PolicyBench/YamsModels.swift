/// Codable equivalents of the two policy kinds, decoded by Yams: the same fields Partyline reads,
/// with the types a hand-written Codable model would use (selectors and durations stay strings).
enum YamsDocument: Decodable {
  case policy(YamsPolicy)
  case limits(YamsLimits)

  enum Keys: String, CodingKey { case kind }

  init(from decoder: any Decoder) throws {
    let kind = try decoder.container(keyedBy: Keys.self).decode(String.self, forKey: .kind)
    switch kind {
    case "ConversationPolicy": self = .policy(try YamsPolicy(from: decoder))
    case "Limits": self = .limits(try YamsLimits(from: decoder))
    default:
      throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "unsupported kind \(kind)"))
    }
  }
}

struct YamsPolicy: Decodable {
  struct Metadata: Decodable {
    var name: String
    var description: String?
    var labels: [String: String]?
  }

  struct Mute: Decodable {
    var participant: String?
    var user: String?
    var purpose: String?
    var `for`: String
    var reason: String?
  }

  struct Unmute: Decodable {
    var participant: String?
    var user: String?
    var purpose: String?
  }

  struct Add: Decodable {
    var user: String?
    var address: String?
    var role: String
  }

  struct Spec: Decodable {
    var conversation: String
    var actAs: String?
    var onDrift: String?
    var mute: [Mute]?
    var unmute: [Unmute]?
    var add: [Add]?
  }

  var apiVersion: String
  var kind: String
  var metadata: Metadata
  var spec: Spec
}

struct YamsLimits: Decodable {
  struct Metadata: Decodable {
    var name: String?
    var description: String?
    var labels: [String: String]?
  }

  struct Role: Decodable {
    var max: Int?
    var muted: Bool?
  }

  struct Spec: Decodable {
    var maxMute: String?
    var maxParticipants: Int?
    var roles: [String: Role]?
  }

  var apiVersion: String
  var kind: String
  var metadata: Metadata?
  var spec: Spec?
}
