import YAMLReader

/// A kind of directive, one list under a ConversationPolicy's `spec` (`mute`, `unmute`, `add`), as one
/// unit: how an entry compiles, what the set check asks of it, the users it needs read, its part of
/// the policy set's digest, the leases it may open, and how it plans on a live call. Each kind is a
/// folder beside this file, listed once in ``DirectiveKinds/all``; the compiler, the set check and the
/// planner go through that list. The effect a kind makes is one case of `PlannedChange.Effect`, whose
/// exhaustive switches (the executor, the views, the saved plan, the journal) the compiler points at.
protocol DirectiveKind {
  /// One compiled entry.
  associatedtype Directive: Hashable & Sendable

  /// The `spec` key whose list holds the kind's entries (a literal: keys are matched as bytes).
  static var key: StaticString { get }
  /// Where a policy keeps its compiled entries of this kind.
  static var entries: WritableKeyPath<ConversationPolicy, [Directive]> { get }

  /// Compiles one entry of the list; nil, with located diagnostics, when it is wrong.
  static func compile(_ entry: Node, _ compiler: inout DocumentCompiler) -> Directive?
  /// Compiles the kind's `spec` list into the policy's entries (a requirement with a default, so that
  /// each kind's is specialised: it runs for every policy loaded).
  static func compile(
    _ spec: MappingReader.Fields, _ compiler: inout DocumentCompiler, into policy: inout ConversationPolicy)
  /// What the Limits ask of one policy's entries, before any call is read.
  static func check(_ policy: ConversationPolicy, limits: Limits, _ checker: inout SetChecker)
  /// What the entries of the policies on one conversation ask of each other (`group`: their indices
  /// in `policies`, in name order); `limits` is nil when the Limits document has errors.
  static func check(
    conversation group: [Int], of policies: [ConversationPolicy], limits: Limits?, _ checker: inout SetChecker
  )
  /// The users an entry names (read with the live state).
  static func users(_ directive: Directive) -> [UserRef]
  /// The entry's part of the policy set's digest (a saved plan names the set it was made from).
  static func digestText(_ directive: Directive) -> String
  /// The lease identities the policy's entries of this kind may open (a lease whose directive is no
  /// longer among them is pruned).
  static func leaseDigests(_ policy: ConversationPolicy, limits: Limits) -> [String]
  /// Plans the policy's entries of this kind on the call, after the kinds before it in
  /// ``DirectiveKinds/all``.
  static func plan(_ policy: ConversationPolicy, _ call: inout CallPlanning, _ run: inout PlanRun)
  /// Whether the kind's calls are made on behalf of a user on the call (true unless a kind says):
  /// a call nobody has answered yet waits for one, and a kind that needs none plans meanwhile.
  static var needsActingUser: Bool { get }
}

extension DirectiveKind {
  static func check(_ policy: ConversationPolicy, limits: Limits, _ checker: inout SetChecker) {}
  static func check(
    conversation group: [Int], of policies: [ConversationPolicy], limits: Limits?, _ checker: inout SetChecker
  ) {}
  static func users(_ directive: Directive) -> [UserRef] { [] }
  static func leaseDigests(_ policy: ConversationPolicy, limits: Limits) -> [String] { [] }
  static var needsActingUser: Bool { true }

  /// Whether the policy has entries of this kind.
  static func has(_ policy: ConversationPolicy) -> Bool { !policy[keyPath: entries].isEmpty }

  /// Compiles the `spec` list of this kind into `policy`'s entries.
  static func compile(
    _ spec: MappingReader.Fields, _ compiler: inout DocumentCompiler, into policy: inout ConversationPolicy
  ) {
    guard let list = spec[literal: key] else { return }  // (a policy starts with no entries)
    var out: [Directive] = []
    for entry in compiler.list(list, "spec.\(key)") {
      if let d = compile(entry, &compiler) { out.append(d) }
    }
    if !out.isEmpty { policy[keyPath: entries] = out }
  }

  /// The users the policy's entries of this kind name.
  static func users(of policy: ConversationPolicy) -> [UserRef] { policy[keyPath: entries].flatMap(users) }

  /// The policy's entries of this kind in the set's digest.
  static func digestText(of policy: ConversationPolicy) -> String {
    policy[keyPath: entries].map(digestText).joined()
  }
}

/// Every directive kind, in the order a policy's entries are planned (mutes before unmutes, which
/// must not contradict them, before adds, whose muted roles join muted; the recording's pause, which
/// touches no participant, last).
enum DirectiveKinds {
  /// The kinds. (Immutable: metatypes of stateless enums.)
  nonisolated(unsafe) static let all: [any DirectiveKind.Type] = [
    MuteKind.self, UnmuteKind.self, AddKind.self, PauseKind.self,
  ]

  /// Their `spec` keys.
  static var keys: [StaticString] { all.map { $0.key } }
}
