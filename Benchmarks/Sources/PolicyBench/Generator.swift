import Foundation

/// A small, fast, deterministic PRNG (SplitMix64), so every run generates the same bytes.
struct SplitMix64: RandomNumberGenerator {
  var state: UInt64

  init(seed: UInt64) { state = seed }

  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

/// Writes the benchmark's policy set: `files` files of `perFile` ConversationPolicy documents each,
/// separated by `---`, plus one Limits document in `limits.yaml`. Every document compiles without a
/// diagnostic: names are unique, each policy has its own conversation, durations stay under maxMute,
/// roles are allowed and within their `max`, and no literal selector is both muted and unmuted.
struct Generator {
  static let version = "1"
  var files = 200
  var perFile = 100
  var seed: UInt64 = 0x7061_7274_796C_696E

  var policyCount: Int { files * perFile }

  static let limitsDocument = """
    # yaml-language-server: $schema=../schemas/policy.schema.json
    # Limits for the generated benchmark set.
    apiVersion: partyline/v1
    kind: Limits
    metadata:
      name: benchmark-limits
      description: Limits for the generated benchmark policy set
    spec:
      maxMute: 2h
      maxParticipants: 20
      roles:
        agent: {}
        supervisor: {max: 2}
        observer: {muted: true}
        trainee:
          max: 3
          muted: false

    """

  static let prefixes = [
    "bridge", "noisy-line", "quality-review", "escalation", "coaching", "war-room", "incident",
    "training", "handover", "callback",
  ]
  static let teams = ["support", "sales", "billing", "retention", "onboarding", "noc", "tier2"]
  static let regions = ["emea", "amer", "apac"]
  static let purposes = ["customer", "agent", "external", "ivr", "acd", "outbound", "inbound"]
  static let durations = ["90s", "5m", "10m", "15m", "30m", "45m", "1h", "1h30m", "PT20M", "PT1H", "2h"]
  static let reasons = [
    "background noise on the caller's line", "echo from a speakerphone", "the supervisor is coaching",
    "'hold music leaking into the bridge'", "\"customer asked for a quiet moment\"",
    "trainee listening only", "construction work near the agent", "feedback loop on the conference",
  ]
  static let descriptions = [
    "Escalation bridge for ticket", "Quality review of a coaching call", "Noisy line on the customer leg",
    "Incident war room for outage", "Training session with a shadowing trainee",
    "Handover between shifts for case", "Callback with the account manager for order",
  ]
  static let firstNames = [
    "ada", "grace", "hedy", "linus", "olive", "sam.supervisor", "margaret", "alan", "barbara", "dennis",
    "ken", "radia", "frances", "edsger", "john", "katherine",
  ]

  /// Writes the set into `directory` (created if needed) and returns the number of bytes written.
  func write(to directory: String) throws -> Int {
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    var rng = SplitMix64(seed: seed)
    var total = 0
    try Self.limitsDocument.write(toFile: directory + "/limits.yaml", atomically: true, encoding: .utf8)
    total += Self.limitsDocument.utf8.count
    for f in 0..<files {
      var out = ""
      out.reserveCapacity(perFile * 700)
      out += "# yaml-language-server: $schema=../schemas/policy.schema.json\n"
      out += "# Generated benchmark policies, file \(f + 1) of \(files).\n"
      for d in 0..<perFile {
        if d > 0 { out += "---\n" }
        document(index: f * perFile + d, into: &out, rng: &rng)
      }
      let name = directory + "/policies-" + pad(f, 3) + ".yaml"
      try out.write(toFile: name, atomically: true, encoding: .utf8)
      total += out.utf8.count
    }
    try Self.version.write(toFile: directory + "/.complete", atomically: true, encoding: .utf8)
    return total
  }

  func pad(_ n: Int, _ width: Int) -> String {
    let s = String(n)
    return String(repeating: "0", count: max(0, width - s.count)) + s
  }

  func pick<T>(_ array: [T], _ rng: inout SplitMix64) -> T { array[Int(rng.next() % UInt64(array.count))] }

  func chance(_ percent: UInt64, _ rng: inout SplitMix64) -> Bool { rng.next() % 100 < percent }

  func uuid(_ rng: inout SplitMix64, upper: Bool = false) -> String {
    let a = rng.next()
    let b = rng.next()
    let digits = Array(upper ? "0123456789ABCDEF".utf8 : "0123456789abcdef".utf8)
    var out = [UInt8]()
    out.reserveCapacity(36)
    for i in 0..<32 {
      if i == 8 || i == 12 || i == 16 || i == 20 { out.append(UInt8(ascii: "-")) }
      let word = i < 16 ? a : b
      out.append(digits[Int((word >> UInt64((i % 16) * 4)) & 0xF)])
    }
    return String(decoding: out, as: UTF8.self)
  }

  /// An email unique to this policy and slot, so no literal selector repeats within a conversation.
  func email(_ index: Int, _ slot: String, _ rng: inout SplitMix64) -> String {
    "\(pick(Self.firstNames, &rng)).\(slot)\(index)@\(pick(Self.teams, &rng)).example.com"
  }

  func document(index i: Int, into out: inout String, rng: inout SplitMix64) {
    let prefix = pick(Self.prefixes, &rng)
    let ticket = 1000 + Int(rng.next() % 90000)
    out += "# \(prefix) \(i): ticket \(ticket), \(pick(Self.teams, &rng)) team\n"
    out += "apiVersion: partyline/v1\nkind: ConversationPolicy\nmetadata:\n"
    out += "  name: \(prefix)-\(pad(i, 5))\n"
    if chance(70, &rng) {
      out += "  description: \(pick(Self.descriptions, &rng)) \(ticket)\n"
    }
    if chance(80, &rng) {
      let team = pick(Self.teams, &rng)
      if chance(50, &rng) {
        out += "  labels: {team: \(team), ticket: \"\(ticket)\", region: \(pick(Self.regions, &rng))}\n"
      } else {
        out +=
          "  labels:\n    team: \(team)\n    ticket: '\(ticket)'\n    owner: \(pick(Self.firstNames, &rng))\n"
      }
    }
    out += "spec:\n  conversation: \(uuid(&rng, upper: chance(10, &rng)))\n"
    if chance(50, &rng) {
      out += "  actAs: \(chance(50, &rng) ? email(i, "lead", &rng) : uuid(&rng))"
      out += chance(30, &rng) ? "   # on whose behalf\n" : "\n"
    }
    if chance(60, &rng) { out += "  onDrift: \(chance(70, &rng) ? "respect" : "reconcile")\n" }
    var lists = 0
    let mutes = Int(rng.next() % 4)
    if mutes > 0 {
      lists += 1
      out += "  mute:\n"
      for k in 0..<mutes {
        switch rng.next() % 3 {
        case 0: out += "    - participant: \(uuid(&rng))\n"
        case 1: out += "    - user: \(chance(50, &rng) ? email(i, "m\(k)-", &rng) : uuid(&rng))\n"
        default: out += "    - purpose: \(pick(Self.purposes, &rng))\n"
        }
        out += "      for: \(pick(Self.durations, &rng))\n"
        if chance(60, &rng) { out += "      reason: \(pick(Self.reasons, &rng))\n" }
      }
    }
    let unmutes = Int(rng.next() % 3)
    if unmutes > 0 {
      lists += 1
      out += "  unmute:\n"
      for k in 0..<unmutes {
        switch rng.next() % 3 {
        case 0: out += "    - participant: \(uuid(&rng))\n"
        case 1: out += "    - user: \(email(i, "u\(k)-", &rng))\n"
        default: out += "    - {purpose: \(pick(Self.purposes, &rng))}\n"
        }
      }
    }
    var adds = Int(rng.next() % 5)
    if lists == 0 && adds == 0 { adds = 2 }
    if adds > 0 {
      out += "  add:\n"
      var supervisors = 0
      var trainees = 0
      for k in 0..<adds {
        // Within the roles' max: supervisor 2, trainee 3 (each policy has its own conversation).
        var role = ["agent", "agent", "agent", "observer", "supervisor", "trainee"][Int(rng.next() % 6)]
        if role == "supervisor" {
          supervisors += 1
          if supervisors > 2 { role = "agent" }
        } else if role == "trainee" {
          trainees += 1
          if trainees > 3 { role = "agent" }
        }
        switch rng.next() % 3 {
        case 0:
          out += "    - user: \(email(i, "a\(k)-", &rng))\n"
        case 1:
          out += "    - user: \(uuid(&rng))"
          out += chance(40, &rng) ? "   # \(pick(Self.firstNames, &rng))\n" : "\n"
        default:
          let digits = 8 + Int(rng.next() % 8)
          var number = "+"
          for _ in 0..<digits { number += String(rng.next() % 10) }
          out += "    - address: \"\(number)\"\n"
        }
        out += "      role: \(role)\n"
      }
    }
  }
}
