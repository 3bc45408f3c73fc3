/// Whether one more party may join a conversation: its capacity (the conversation's own
/// `maxParticipants`, never above the hard cap, and the set's `maxParticipants`) and each role's `max`,
/// counted over the parties Partyline added to it. One rule for the set check, the planner and a saved
/// plan's check at apply time.
public struct Admission: Sendable, Equatable {
  /// How many parties the conversation may hold.
  public let capacity: Int
  /// The parties present (not left), and those admitted since.
  public private(set) var present: Int
  /// The parties of each role Partyline added (the journal's count), and those admitted since.
  public private(set) var roles: [String: Int]
  /// Each limited role's `max`.
  private let roleMax: [String: Int]

  /// The admission of a conversation whose own limit is `conversationMax` (nil: none known), under a
  /// set's `maxParticipants` and roles' `max`, holding `present` parties, `roles` of them added by
  /// Partyline.
  public init(
    maxParticipants: Int, roleMax: [String: Int], conversationMax: Int? = nil, present: Int = 0,
    roles: [String: Int] = [:]
  ) {
    self.roleMax = roleMax
    self.capacity = min(conversationMax ?? Limits.hardMaxParticipants, maxParticipants)
    self.present = present
    self.roles = roles
  }

  /// The admission under `limits` (see `init(maxParticipants:roleMax:conversationMax:present:roles:)`).
  public init(limits: Limits, conversationMax: Int? = nil, present: Int = 0, roles: [String: Int] = [:]) {
    self.init(
      maxParticipants: limits.maxParticipants, roleMax: Self.roleMax(limits.roles.map { ($0.name, $0.max) }),
      conversationMax: conversationMax, present: present, roles: roles)
  }

  /// Each limited role's `max`, from roles as (name, max) in their order: the first role of a name
  /// decides, as in `Limits.role(named:)`.
  public static func roleMax(_ roles: [(name: String, max: Int?)]) -> [String: Int] {
    var out: [String: Int] = [:]
    var seen = Set<String>()
    for r in roles where seen.insert(r.name).inserted { out[r.name] = r.max }
    return out
  }

  /// Why a party may not join.
  public enum Refusal: Sendable, Equatable {
    /// Its role allows at most `max` parties added to the conversation.
    case roleMax(role: String, max: Int)
    /// The conversation would hold `count` parties, more than `capacity`.
    case capacity(count: Int, capacity: Int)
  }

  /// Why one more party of `role` may not join, role first (empty: it may).
  public func refusals(role: String) -> [Refusal] {
    var out: [Refusal] = []
    if let max = roleMax[role], roles[role, default: 0] >= max {
      out.append(.roleMax(role: role, max: max))
    }
    if present + 1 > capacity { out.append(.capacity(count: present + 1, capacity: capacity)) }
    return out
  }

  /// Counts one more party of `role` as joined.
  public mutating func admit(role: String) {
    present += 1
    roles[role, default: 0] += 1
  }
}
