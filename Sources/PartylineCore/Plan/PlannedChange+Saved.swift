import YAMLReader

/// A change as a saved plan holds it (`plan --out`; read by `apply --plan` and `show`): one flat
/// object, the header's fields around the effect's, whose keys and order a golden file pins. The
/// file is input: decoding refuses unknown fields, ids that are not UUIDs, and fields the action does
/// not have, and makes the text safe to show; ``SavedPlan/check(now:target:workspace:)`` then checks
/// the changes against the plan's Limits.
extension PlannedChange: Codable {
  enum SavedKeys: String, CodingKey, CaseIterable {
    case action, conversation, participant, subject, actingUser, policy, directive, userId, address, role,
      seconds, reason, leaseEnds, location
  }

  /// The change as a saved plan keeps it: what applying it needs (its effect, without the ends of
  /// leases the live state gave — but with a mute's fixed lease end, `from: connect`, so a plan
  /// applied late never mutes past the window —, and its header's identity and source), none of the
  /// planner's display text.
  public var saved: PlannedChange {
    let effect: Effect
    switch self.effect {
    case .mute(let p, let d, let r, let due):
      effect = .mute(participant: p, duration: d, reason: r, dueAt: due)
    case .revert(let p, _): effect = .revert(participant: p, dueAt: nil)
    case .prune(let p, _): effect = .prune(participant: p, dueAt: nil)
    case .resumeRecording(_, let pruned): effect = .resumeRecording(dueAt: nil, pruned: pruned)
    case .unmute, .add, .noop, .pauseRecording: effect = self.effect
    }
    return PlannedChange(
      effect, conversation: conversation, subject: subject, actingUser: actingUser, policy: policy,
      directive: directive,
      location: location.map { SourceRange(file: $0.file, line: $0.start.line, column: $0.start.column) },
      before: "", after: "", explanation: "saved plan")
  }

  /// Writes the saved form: `participant` and `actingUser` as null when absent, the effect's own
  /// fields (`userId`, `address`, `role`; `seconds`, `reason`) only where it has them.
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: SavedKeys.self)
    try c.encode(action.rawValue, forKey: .action)
    try c.encode(conversation.rawValue, forKey: .conversation)
    try c.encode(participant, forKey: .participant)
    try c.encode(subject, forKey: .subject)
    try c.encode(actingUser, forKey: .actingUser)
    try c.encode(policy, forKey: .policy)
    try c.encode(directive, forKey: .directive)
    switch effect {
    case .add(let target, let role):
      switch target {
      case .user(let ref): try c.encode("\(ref)", forKey: .userId)
      case .address(let a): try c.encode(a, forKey: .address)
      }
      try c.encode(role, forKey: .role)
    case .mute(_, let duration, let reason, let due), .pauseRecording(let duration, let reason, let due):
      try c.encode(duration.seconds, forKey: .seconds)
      try c.encodeIfPresent(reason, forKey: .reason)
      try c.encodeIfPresent(due, forKey: .leaseEnds)
    case .unmute, .revert, .prune, .noop, .resumeRecording: break
    }
    if let location {
      var l = c.nestedContainer(keyedBy: LocationKeys.self, forKey: .location)
      try l.encode(location.file, forKey: .file)
      try l.encode(location.start.line, forKey: .line)
      try l.encode(location.start.column, forKey: .column)
    }
  }

  enum LocationKeys: String, CodingKey, CaseIterable { case file, line, column }

  /// Reads a saved change, refusing what its action cannot have.
  public init(from decoder: any Decoder) throws {
    try decoder.refuseUnknownKeys(SavedKeys.self)
    let c = try decoder.container(keyedBy: SavedKeys.self)
    func refuse(_ key: SavedKeys, _ why: String) -> DecodingError {
      DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: why)
    }
    let actionText = try c.decode(String.self, forKey: .action)
    guard let action = Action(rawValue: actionText), action != .noop else {
      throw refuse(.action, "unknown action '\(UntrustedText.clean(String(actionText.prefix(64))))'")
    }
    /// A UUID field, lowercase as written; nil when absent or null.
    func uuid(_ key: SavedKeys) throws -> String? {
      guard let v = try c.decodeIfPresent(String.self, forKey: key) else { return nil }
      guard let u = Grammar.uuid(v), u == v else {
        throw refuse(key, "not a lowercase UUID: '\(UntrustedText.clean(String(v.prefix(64))))'")
      }
      return u
    }
    func required<T>(_ key: SavedKeys, _ value: T?) throws -> T {
      guard let value else { throw refuse(key, "a change of action '\(action)' needs '\(key.stringValue)'") }
      return value
    }
    func absent(_ keys: [SavedKeys]) throws {
      for key in keys where c.contains(key) {
        if try !c.decodeNil(forKey: key) {
          throw refuse(key, "a change of action '\(action)' has no '\(key.stringValue)'")
        }
      }
    }
    func text(_ key: SavedKeys) throws -> String? {
      guard let v = try c.decodeIfPresent(String.self, forKey: key) else { return nil }
      if v.unicodeScalars.count > 1024 { throw refuse(key, "longer than 1024 characters") }
      // (The file is input: its text never drives a terminal, as the API's never does.)
      return UntrustedText.clean(v)
    }
    let conversation = try required(.conversation, try uuid(.conversation).flatMap(ConversationId.init))
    // A change on the call's recording names no participant (`null`); one that does is a mute's.
    let noParticipant = try !c.contains(.participant) || c.decodeNil(forKey: .participant)
    let onRecording = action == .pause || ((action == .revert || action == .prune) && noParticipant)
    // The recording's pause needs nobody on the call; every other change acts on behalf of a user.
    let actingUser = onRecording ? try uuid(.actingUser) : try required(.actingUser, try uuid(.actingUser))
    let policy = try c.decode(String.self, forKey: .policy)
    guard Grammar.isName(policy) else {
      throw refuse(.policy, "invalid policy name '\(UntrustedText.clean(String(policy.prefix(64))))'")
    }
    let directive = try c.decode(String.self, forKey: .directive)
    guard directive.count <= 64, directive.allSatisfy(\.isHexDigit) else {
      throw refuse(
        .directive, "not a directive digest: '\(UntrustedText.clean(String(directive.prefix(64))))'")
    }
    let subject = try required(.subject, try text(.subject))
    /// A lease's duration and end, as a mute or a pause saves them.
    func lease() throws -> (PolicyDuration, Double?) {
      let seconds = try required(.seconds, try c.decodeIfPresent(Int.self, forKey: .seconds))
      guard seconds >= 1 else {
        throw refuse(
          .seconds, "a \(action == .pause ? "recording pause" : "mute") of \(seconds)s is not positive")
      }
      let leaseEnds = try c.decodeIfPresent(Double.self, forKey: .leaseEnds)
      if let leaseEnds, !leaseEnds.isFinite || leaseEnds < 0 {
        throw refuse(.leaseEnds, "the lease end \(leaseEnds) is not an instant")
      }
      return (PolicyDuration(seconds: seconds), leaseEnds)
    }
    let effect: Effect
    switch action {
    case _ where onRecording:
      try absent([.userId, .address, .role, .participant])
      if directive.isEmpty {
        throw refuse(
          .directive, "a change of action '\(action)' needs its directive (a lease is named by it)")
      }
      if action == .pause {
        let (duration, leaseEnds) = try lease()
        effect = .pauseRecording(duration: duration, reason: try text(.reason), dueAt: leaseEnds)
      } else {
        try absent([.seconds, .reason, .leaseEnds])
        effect = .resumeRecording(dueAt: nil, pruned: action == .prune)
      }
    case .mute, .unmute, .revert, .prune:
      try absent([.userId, .address, .role])
      let participant = try required(.participant, try uuid(.participant).flatMap(ParticipantId.init))
      if action != .unmute && directive.isEmpty {
        throw refuse(
          .directive, "a change of action '\(action)' needs its directive (a lease is named by it)")
      }
      if action == .mute {
        let (duration, leaseEnds) = try lease()
        effect = .mute(
          participant: participant, duration: duration, reason: try text(.reason), dueAt: leaseEnds)
      } else {
        try absent([.seconds, .reason, .leaseEnds])
        effect =
          action == .unmute
          ? .unmute(participant: participant)
          : action == .revert
            ? .revert(participant: participant, dueAt: nil) : .prune(participant: participant, dueAt: nil)
      }
    case .add:
      try absent([.participant, .seconds, .reason, .leaseEnds])
      let target: AddTarget
      switch (try uuid(.userId), try c.decodeIfPresent(String.self, forKey: .address)) {
      case (let u?, nil): target = .user(.id(u))
      case (nil, let a?):
        guard Grammar.isE164(a) else {
          throw refuse(.address, "not an E.164 number: '\(UntrustedText.clean(String(a.prefix(64))))'")
        }
        target = .address(a)
      default: throw refuse(.userId, "an add needs exactly one of 'userId' and 'address'")
      }
      let role = try c.decode(String.self, forKey: .role)
      guard Grammar.isName(role) else {
        throw refuse(.role, "invalid role '\(UntrustedText.clean(String(role.prefix(64))))'")
      }
      effect = .add(target, role: role)
    case .noop, .pause:
      throw refuse(.action, "unknown action '\(action)'")
    }
    var location: SourceRange?
    if c.contains(.location), try !c.decodeNil(forKey: .location) {
      let nested = try c.superDecoder(forKey: .location)
      try nested.refuseUnknownKeys(LocationKeys.self)
      let l = try nested.container(keyedBy: LocationKeys.self)
      location = SourceRange(
        file: UntrustedText.clean(try l.decode(String.self, forKey: .file)),
        line: try l.decode(Int.self, forKey: .line), column: try l.decode(Int.self, forKey: .column))
    }
    self.init(
      effect, conversation: conversation, subject: subject, actingUser: actingUser,
      policy: policy, directive: directive, location: location, before: "", after: "",
      explanation: "saved plan")
  }
}
