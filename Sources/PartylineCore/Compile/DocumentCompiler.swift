import YAMLReader
import WireTime

enum CompiledDocument {
  case policy(ConversationPolicy)
  case limits(Limits)
  /// A Limits document with errors: set-level checks that depend on limits are skipped.
  case invalidLimits(SourceRange)
}

/// Compiles one document at a time; collects diagnostics instead of stopping at the first.
struct DocumentCompiler {
  var diagnostics: [Diagnostic] = []
  /// Kept apart from the errors: a document with warnings still compiles.
  var warnings: [Diagnostic] = []
  /// Compiling the entries of a select policy: literal participant ids are refused.
  var selecting = false

  mutating func warning(_ id: DiagnosticID, _ message: String, _ range: SourceRange) {
    warnings.append(Diagnostic(.warning, id: id, message: message, range: range))
  }

  mutating func error(
    _ id: DiagnosticID, _ message: String, _ range: SourceRange, related: [Diagnostic.Related] = []
  ) {
    diagnostics.append(Diagnostic(id: id, message: message, range: range, related: related))
  }

  /// The shared mapping reader's types (`MappingReader`, in YAMLReader).
  typealias Field = MappingReader.Field
  typealias Fields = MappingReader.Fields
  typealias KnownKeys = MappingReader.KnownKeys

  mutating func fields(_ node: Node, in what: String, known: KnownKeys, required: [String] = []) -> Fields? {
    MappingReader.fields(node, in: what, known: known, required: required, diagnostics: &diagnostics)
  }

  /// Where to point for a problem with a whole mapping: its first key, or the node itself.
  func keyRange(_ node: Node) -> SourceRange { MappingReader.keyRange(node) }

  /// A string scalar; other types are reported with a hint to quote.
  mutating func string(_ node: Node, _ what: @autoclosure () -> String) -> String? {
    MappingReader.string(node, what(), diagnostics: &diagnostics)
  }

  /// `text` (read from `node`, the value of `key`) as one of `E`'s values; anything else is
  /// `invalid_value` naming them, then `why`, then the nearest one.
  mutating func choice<E: RawRepresentable & CaseIterable>(
    _ text: String, at node: Node, _ key: String, why: String = ""
  ) -> E? where E.RawValue == String {
    if let value = E(rawValue: text) { return value }
    let options = E.allCases.map(\.rawValue)
    error(
      .invalidValue,
      "invalid \(key) '\(text)': expected one of \(options.joined(separator: ", "))\(why)\(Suggestions.hint(text, options))",
      node.range)
    return nil
  }

  mutating func compile(_ root: Node) -> CompiledDocument? {
    if root.kind == .scalar && root.coreType == .null { return nil }  // an empty document
    guard let top = fields(root, in: "the document", known: Self.documentKeys) else {
      return nil
    }
    guard let versionNode = top["apiVersion"] else {
      error(
        .missingKey,
        "document is missing required key 'apiVersion' (expected '\(PolicyCompiler.apiVersion)')",
        keyRange(root))
      return nil
    }
    if let v = string(versionNode, "apiVersion"), v != PolicyCompiler.apiVersion {
      error(
        .unsupportedApiVersion, "unsupported apiVersion '\(v)'; expected '\(PolicyCompiler.apiVersion)'",
        versionNode.range)
    }
    guard let kindNode = top["kind"] else {
      error(
        .missingKey, "document is missing required key 'kind' (ConversationPolicy or Limits)",
        keyRange(root))
      return nil
    }
    guard let kind = string(kindNode, "kind") else { return nil }
    switch kind {
    case "ConversationPolicy": return conversationPolicy(top).map(CompiledDocument.policy)
    case "Limits": return limits(top).map(CompiledDocument.limits) ?? .invalidLimits(kindNode.range)
    default:
      error(
        .unsupportedKind,
        "unsupported kind '\(kind)': expected ConversationPolicy or Limits\(Suggestions.hint(kind, PolicyCompiler.kinds))",
        kindNode.range)
      return nil
    }
  }

  // MARK: ConversationPolicy

  mutating func conversationPolicy(_ top: Fields) -> ConversationPolicy? {
    let errorsBefore = diagnostics.count
    var name: String?
    var description: String?
    var labels: [String: String] = [:]
    var location = keyRange(top.node)
    if let metaNode = top["metadata"] {
      if let meta = fields(
        metaNode, in: "metadata", known: Self.metadataKeys, required: Self.metadataRequired)
      {
        if let n = meta["name"] {
          location = n.range
          if let s = string(n, "metadata.name") {
            if Grammar.isName(s) {
              name = s
            } else {
              error(
                .invalidName,
                "invalid name '\(s)': use 1–63 lowercase letters, digits and '-', starting and ending with a letter or digit",
                n.range)
            }
          }
        }
        if let d = meta["description"] { description = string(d, "metadata.description") }
        if let l = meta["labels"] { labels = stringMap(l, "metadata.labels") }
      }
    } else {
      error(.missingKey, "ConversationPolicy is missing required key 'metadata'", keyRange(top.node))
    }
    guard let specNode = top["spec"] else {
      error(.missingKey, "ConversationPolicy is missing required key 'spec'", keyRange(top.node))
      return nil
    }
    guard
      let spec = fields(
        specNode, in: "spec", known: Self.specKeys, required: Self.specRequired)
    else { return nil }

    var conversation: String?
    if let c = spec["conversation"], let s = string(c, "spec.conversation") {
      conversation = id(s, c, "conversation id")
    }
    var select: CallSelector?
    switch (spec.field("conversation"), spec.field("select")) {
    case (nil, nil):
      error(
        .missingKey,
        "spec needs one of 'conversation' (a call's id) or 'select' (every live call that matches)",
        top.key("spec")?.range ?? keyRange(specNode))
    case (let c?, let s?):
      let later = c.key.range.start.line > s.key.range.start.line ? c : s
      error(
        .conflictingKeys,
        "spec has both 'conversation' and 'select'; a policy names one call or selects calls, not both",
        later.key.range)
    case (nil, let s?):
      select = callSelector(s.value)
    default: break
    }
    selecting = spec["select"] != nil
    defer { selecting = false }
    var actAs: UserRef?
    if let a = spec["actAs"] { actAs = userRef(a, "spec.actAs") }
    var onDrift = DriftMode.respect
    if let d = spec["onDrift"], let s = string(d, "spec.onDrift"),
      let mode: DriftMode = choice(s, at: d, "onDrift")
    {
      onDrift = mode
    }
    // A policy with errors is still returned (the result as a whole is invalid), so that the set's
    // checks report what else is wrong with it.
    _ = errorsBefore
    var policy = ConversationPolicy(
      name: name ?? "", description: description, labels: labels, conversation: conversation ?? "",
      actAs: actAs, onDrift: onDrift, mute: [], unmute: [], add: [], location: location,
      conversationLocation: spec["conversation"]?.range, actAsLocation: spec["actAs"]?.range, select: select)
    policy.calendar = calendar(spec)
    for kind in DirectiveKinds.all { kind.compile(spec, &self, into: &policy) }
    return name == nil ? nil : policy
  }

  /// `spec.select`: queue (name or id), user (id or email), direction; at least one.
  mutating func callSelector(_ node: Node) -> CallSelector? {
    guard let f = fields(node, in: "spec.select", known: Self.selectKeys) else { return nil }
    var out = CallSelector(location: node.range)
    var ok = true
    if let q = f["queue"] {
      out.queueLocation = q.range
      if let s = string(q, "spec.select.queue") {
        if let uuid = Grammar.uuid(s) {
          out.queue = .id(uuid)
        } else if Grammar.isQueueName(s) {
          out.queue = .name(s)
        } else {
          error(
            .invalidQueue,
            "invalid queue '\(s)': expected a queue id (UUID) or its exact name (1–255 characters, no control characters or '*')",
            q.range)
          ok = false
        }
      } else {
        ok = false
      }
    }
    if let u = f["user"] {
      out.userLocation = u.range
      if let ref = userRef(u, "spec.select.user") { out.user = ref } else { ok = false }
    }
    if let d = f["direction"], let s = string(d, "spec.select.direction") {
      if let dir: CallDirection = choice(s, at: d, "direction") { out.direction = dir } else { ok = false }
    }
    if f.entries.isEmpty {
      error(.emptySelect, "spec.select needs at least one of 'queue', 'user' or 'direction'", node.range)
      return nil
    }
    return ok ? out : nil
  }

  mutating func list(_ node: Node?, _ what: @autoclosure () -> String) -> [Node] {
    guard let node else { return [] }
    if node.kind == .scalar && node.coreType == .null { return [] }
    guard node.kind == .sequence else {
      error(.typeMismatch, "expected a list for '\(what())', found \(node.typeName)", node.range)
      return []
    }
    return node.items
  }

  mutating func stringMap(_ node: Node, _ what: String) -> [String: String] {
    guard node.kind == .mapping else {
      error(
        .typeMismatch, "expected a mapping of strings for '\(what)', found \(node.typeName)", node.range)
      return [:]
    }
    var out: [String: String] = [:]
    for i in 0..<node.count {
      let (k, v) = node.entry(i)
      guard let key = string(k, what) else { continue }
      if let value = string(v, "\(what).\(key)") { out[key] = value }
    }
    return out
  }

  mutating func id(_ s: String, _ node: Node, _ what: String) -> String? {
    guard let id = Grammar.uuid(s) else {
      error(
        .invalidId, "invalid \(what) '\(s)': expected a UUID such as 5f0c2a1e-0b6d-4c1e-9a51-1c2d3e4f5a6b",
        node.range)
      return nil
    }
    return id
  }

  mutating func userRef(_ node: Node, _ what: String) -> UserRef? {
    guard let s = string(node, what) else { return nil }
    // ASCII text (the common case) is searched byte by byte; other text as before, by character.
    let (ascii, atByte) = Grammar.withBytes(s) { u -> (Bool, Bool) in
      var ascii = true
      var at = false
      for c in u {
        if c >= 0x80 { ascii = false }
        if c == UInt8(ascii: "@") { at = true }
      }
      return (ascii, at)
    }
    if ascii ? atByte : s.contains("@") {
      guard Grammar.isEmail(s) else {
        error(.invalidEmail, "invalid email '\(s)' for '\(what)'", node.range)
        return nil
      }
      // Only ASCII passes isEmail: without an uppercase letter, lowercased() is the string itself.
      return .email(Grammar.withBytes(s) { $0.contains { $0 >= 65 && $0 <= 90 } } ? s.lowercased() : s)
    }
    guard let id = Grammar.uuid(s) else {
      error(
        .invalidId, "invalid user '\(s)' for '\(what)': expected a user id (UUID) or an email", node.range)
      return nil
    }
    return .id(id)
  }

  // Known keys of each mapping, built once.
  static let documentKeys = KnownKeys(["apiVersion", "kind", "metadata", "spec"])
  static let metadataKeys = KnownKeys(["name", "description", "labels"])
  static let metadataRequired = ["name"]
  static let specKeys = KnownKeys(
    ["conversation", "select", "actAs", "onDrift", "until", "schedule"] + DirectiveKinds.keys)
  static let specRequired: [String] = []
  static let selectKeys = KnownKeys(["queue", "user", "direction"])
  static let selectorKeys = ["participant", "user", "purpose"]
  static let limitsSpecKeys = KnownKeys(["maxMute", "maxParticipants", "maxPause", "roles"])
  static let roleKeys = KnownKeys(["max", "muted"])

  mutating func selector(_ f: Fields, _ what: String) -> ParticipantSelector? {
    // The selector entries in source order; only the first two matter.
    var first: Field?
    var second: Field?
    for e in f.entries where Self.selectorKeys.contains(e.name) {
      if first == nil {
        first = e
      } else {
        second = e
        break
      }
    }
    guard let first else {
      error(
        .missingSelector, "\(what) needs one selector: 'participant', 'user' or 'purpose'", keyRange(f.node)
      )
      return nil
    }
    if let second {
      error(
        .multipleSelectors,
        "\(what) has more than one selector ('\(first.name)' and '\(second.name)'); use one entry per selector",
        second.key.range)
      return nil
    }
    switch first.name {
    case "participant":
      if selecting {
        error(
          .participantInSelect,
          "a select policy cannot name a participant id: participants of calls that have not started have no ids yet; select by 'purpose' or 'user'",
          first.key.range)
        return nil
      }
      guard let s = string(first.value, "participant"), let pid = id(s, first.value, "participant id") else {
        return nil
      }
      return .participant(pid)
    case "user":
      return userRef(first.value, "user").map(ParticipantSelector.user)
    default:
      guard let s = string(first.value, "purpose") else { return nil }
      guard Grammar.isPurpose(s) else {
        error(
          .invalidValue,
          "invalid purpose '\(s)': a purpose is a lowercase word such as 'customer' or 'agent'\(Suggestions.hint(s, Grammar.knownPurposes))",
          first.value.range)
        return nil
      }
      if !Grammar.knownPurposes.contains(s) {
        // A typo here passes silently otherwise: the selector simply never matches.
        warning(
          .unknownPurpose,
          "purpose '\(s)' is not one the API is known to use"
            + (Suggestions.closest(to: s, in: Grammar.knownPurposes).map { "; did you mean '\($0)'?" }
              ?? " (\(Grammar.knownPurposes.joined(separator: ", ")))"),
          first.value.range)
      }
      return .purpose(s)
    }
  }

  mutating func duration(_ node: Node, _ what: String) -> PolicyDuration? {
    guard node.kind == .scalar else {
      error(
        .typeMismatch, "expected a duration for '\(what)' such as '30m', found \(node.typeName)", node.range
      )
      return nil
    }
    let type = node.coreType
    if type == .int {
      error(
        .typeMismatch,
        "expected a duration for '\(what)', found integer \(node.text); did you mean '\(node.text)m'?",
        node.range)
      return nil
    }
    guard type == .string else {
      error(
        .typeMismatch, "expected a duration for '\(what)' such as '30m', found \(node.typeName)", node.range
      )
      return nil
    }
    let s = node.text
    switch Grammar.duration(s) {
    case .success(let d): return d
    case .failure(.notPositive):
      error(.invalidDuration, "duration '\(s)' for '\(what)' must be positive", node.range)
    case .failure(.tooLarge):
      error(.invalidDuration, "duration '\(s)' for '\(what)' is too large", node.range)
    case .failure(.malformed):
      error(
        .invalidDuration,
        "invalid duration '\(s)' for '\(what)': use integers with units h, m, s such as '90s', '30m', '1h30m', or ISO-8601 such as 'PT30M'",
        node.range)
    }
    return nil
  }

  // MARK: Limits

  mutating func limits(_ top: Fields) -> Limits? {
    let errorsBefore = diagnostics.count
    if let m = top["metadata"] {
      if let meta = fields(m, in: "metadata", known: Self.metadataKeys) {
        if let n = meta["name"], let s = string(n, "metadata.name"), !Grammar.isName(s) {
          error(.invalidName, "invalid name '\(s)': use 1–63 lowercase letters, digits and '-'", n.range)
        }
        if let d = meta["description"] { _ = string(d, "metadata.description") }
        if let l = meta["labels"] { _ = stringMap(l, "metadata.labels") }
      }
    }
    var limits = Limits.defaults
    limits.location = top["kind"]?.range
    guard let specNode = top["spec"] else { return diagnostics.count == errorsBefore ? limits : nil }
    if specNode.kind == .scalar && specNode.coreType == .null { return limits }
    guard let spec = fields(specNode, in: "Limits spec", known: Self.limitsSpecKeys)
    else {
      return nil
    }
    if let m = spec["maxMute"], let d = duration(m, "maxMute") {
      if d > PolicyDuration.hardMaxMute {
        error(
          .maxMuteTooLarge, "maxMute '\(d)' is above the hard cap of 2h; it can only be lowered", m.range)
      } else {
        limits.maxMute = d
      }
    }
    if let m = spec["maxPause"], let d = duration(m, "maxPause") {
      if d > PolicyDuration.hardMaxPause {
        error(
          .maxPauseTooLarge,
          "maxPause '\(d)' is above the hard cap of \(PolicyDuration.hardMaxPause); it can only be lowered",
          m.range)
      } else {
        limits.maxPause = d
      }
    }
    if let m = spec["maxParticipants"] {
      if let n = integer(m, "maxParticipants") {
        if n > Limits.hardMaxParticipants {
          error(
            .maxParticipantsTooLarge,
            "maxParticipants \(n) is above the hard cap of \(Limits.hardMaxParticipants)",
            m.range)
        } else if n < 1 {
          error(.invalidValue, "maxParticipants must be at least 1, found \(n)", m.range)
        } else {
          limits.maxParticipants = n
        }
      }
    }
    if let r = spec["roles"] {
      if r.kind != .mapping {
        error(.typeMismatch, "expected a mapping of role names for 'roles', found \(r.typeName)", r.range)
      } else {
        var roles: [RoleRule] = []
        for (k, v) in r.entries {
          guard let name = string(k, "roles") else { continue }
          guard Grammar.isName(name) else {
            error(
              .invalidName, "invalid role name '\(name)': use lowercase letters, digits and '-'", k.range)
            continue
          }
          var rule = RoleRule(name: name, location: k.range)
          if !(v.kind == .scalar && v.coreType == .null),
            let rf = fields(v, in: "role '\(name)'", known: Self.roleKeys)
          {
            if let mx = rf["max"], let n = integer(mx, "max") {
              if n < 0 {
                error(.invalidValue, "max must be 0 or more, found \(n)", mx.range)
              } else {
                rule.max = n
              }
            }
            if let mu = rf["muted"] {
              if mu.kind == .scalar && mu.coreType == .bool {
                rule.muted = mu.text.lowercased() == "true"
              } else {
                error(.typeMismatch, "expected true or false for 'muted', found \(mu.typeName)", mu.range)
              }
            }
          }
          roles.append(rule)
        }
        limits.roles = roles.sorted { $0.name < $1.name }
      }
    }
    return diagnostics.count == errorsBefore ? limits : nil
  }

  mutating func integer(_ node: Node, _ what: String) -> Int? {
    guard node.kind == .scalar, node.coreType == .int, let n = Int(node.text) else {
      error(.typeMismatch, "expected an integer for '\(what)', found \(node.typeName)", node.range)
      return nil
    }
    return n
  }
}
