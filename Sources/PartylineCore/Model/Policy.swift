public import YAMLReader

/// A positive length of time, in whole seconds.
public struct PolicyDuration: Hashable, Sendable, Comparable, CustomStringConvertible {
  public var seconds: Int

  public init(seconds: Int) { self.seconds = seconds }

  public static func < (a: PolicyDuration, b: PolicyDuration) -> Bool { a.seconds < b.seconds }

  /// Canonical spelling: `1h30m`, `90s` → `1m30s`, `2h`.
  public var description: String {
    var out = ""
    let h = seconds / 3600
    let m = (seconds % 3600) / 60
    let s = seconds % 60
    if h > 0 { out += "\(h)h" }
    if m > 0 { out += "\(m)m" }
    if s > 0 || out.isEmpty { out += "\(s)s" }
    return out
  }

  public static let hardMaxMute = PolicyDuration(seconds: 2 * 3600)
}

/// A Genesys user, by id or by email (resolved against the directory when planning).
public enum UserRef: Hashable, Sendable, CustomStringConvertible {
  case id(String)
  case email(String)

  public var description: String {
    switch self {
    case .id(let id): return id
    case .email(let email): return email
    }
  }
}

/// Which participants a mute or unmute entry concerns.
public enum ParticipantSelector: Hashable, Sendable, CustomStringConvertible {
  case participant(String)
  case user(UserRef)
  case purpose(String)

  public var description: String {
    switch self {
    case .participant(let id): return "participant \(id)"
    case .user(let user): return "user \(user)"
    case .purpose(let purpose): return "purpose \(purpose)"
    }
  }

  /// Whether the selector names one party literally (as opposed to a purpose, which needs live state).
  public var isLiteral: Bool {
    if case .purpose = self { return false }
    return true
  }
}

public struct MuteDirective: Hashable, Sendable {
  public var selector: ParticipantSelector
  public var duration: PolicyDuration
  public var reason: String?
  /// The entry in the source.
  public var location: SourceRange
  /// The `for` value in the source.
  public var durationLocation: SourceRange
}

public struct UnmuteDirective: Hashable, Sendable {
  public var selector: ParticipantSelector
  public var location: SourceRange
}

/// Who an add entry brings into the conversation.
public enum AddTarget: Hashable, Sendable, CustomStringConvertible {
  case user(UserRef)
  /// An E.164 phone number of an external party.
  case address(String)

  public var description: String {
    switch self {
    case .user(let user): return "user \(user)"
    case .address(let address): return "address \(address)"
    }
  }
}

public struct AddDirective: Hashable, Sendable {
  public var target: AddTarget
  public var role: String
  public var location: SourceRange
  public var roleLocation: SourceRange
}

public enum DriftMode: String, Hashable, Sendable, CaseIterable {
  case respect, reconcile
}

/// One `kind: ConversationPolicy` document, compiled.
public struct ConversationPolicy: Hashable, Sendable {
  public var name: String
  public var description: String?
  public var labels: [String: String]
  public var conversation: String
  public var actAs: UserRef?
  public var onDrift: DriftMode
  public var mute: [MuteDirective]
  public var unmute: [UnmuteDirective]
  public var add: [AddDirective]
  /// The document's `metadata.name` value.
  public var location: SourceRange
  /// The `spec.conversation` value: where a finding about the conversation points.
  public var conversationLocation: SourceRange? = nil
  /// The `spec.actAs` value, when given.
  public var actAsLocation: SourceRange? = nil
  /// `spec.select`: the policy applies to every live call that matches (then `conversation` is empty
  /// until the set is bound to the calls found, see `PolicySet.bound`).
  public var select: CallSelector? = nil
  /// In a bound set: the selector that matched this copy's call.
  public var boundBy: CallSelector? = nil

  /// Whether the policy is a `select` policy (bound or not).
  public var selects: Bool { select != nil }
}

public struct RoleRule: Hashable, Sendable {
  public var name: String
  /// At most this many added by Partyline per conversation.
  public var max: Int?
  /// Muted once connected, as a lease of maxMute.
  public var muted: Bool
  public var location: SourceRange?

  public init(name: String, max: Int? = nil, muted: Bool = false, location: SourceRange? = nil) {
    self.name = name
    self.max = max
    self.muted = muted
    self.location = location
  }
}

/// The `kind: Limits` document, or the defaults.
public struct Limits: Hashable, Sendable {
  public var maxMute: PolicyDuration
  public var maxParticipants: Int
  /// Allowed roles, sorted by name.
  public var roles: [RoleRule]
  public var location: SourceRange?

  public static let hardMaxParticipants = 20

  public static let defaults = Limits(
    maxMute: .hardMaxMute, maxParticipants: hardMaxParticipants,
    roles: [RoleRule(name: "agent"), RoleRule(name: "observer"), RoleRule(name: "supervisor")],
    location: nil)

  public func role(named name: String) -> RoleRule? { roles.first { $0.name == name } }
}

/// The compiled policies of a run: every file given, as one set.
public struct PolicySet: Hashable, Sendable {
  /// Sorted by name.
  public var policies: [ConversationPolicy]
  public var limits: Limits
  /// The files the set was read from, sorted.
  public var files: [String]
  /// For a set bound to live calls: the digest of the set as written.
  public var sourceDigest: String? = nil

  public init(policies: [ConversationPolicy], limits: Limits, files: [String]) {
    self.policies = policies.sorted { $0.name < $1.name }
    self.limits = limits
    self.files = files
  }
}
