import PartylineCore
import PartylineTestSupport
import Testing
import YAMLReader

/// Compiles marked YAML and checks that exactly the expected diagnostics come out, at the markers.
func assertDiagnostics(
  _ marked: String, _ expected: [Expected], extraFiles: [(String, String)] = [],
  sourceLocation: SourceLocation = #_sourceLocation
) {
  let source = MarkedSource(marked)
  // Files in sorted order, as the loader gives them.
  let files = ([("test.yaml", source.text)] + extraFiles).sorted { $0.0 < $1.0 }
  let result = compile(files.map { (name: $0.0, text: $0.1) })
  let got = result.diagnostics.map { "\($0.range.file):\($0.range.start) [\($0.id)] \($0.message)" }
  let want = expected.map { e -> String in
    guard let mark = source.marks[e.marker] else { return "missing marker \(e.marker)" }
    return "\(e.file):\(mark) [\(e.id)] \(e.message)"
  }
  #expect(got == want, sourceLocation: sourceLocation)
  if !expected.isEmpty {
    #expect(result.policySet == nil, "a set with errors must not compile", sourceLocation: sourceLocation)
  }
}

let header = """
  apiVersion: partyline/v1
  kind: ConversationPolicy
  metadata:
    name: p1

  """

@Suite struct PolicyCompilerTests {
  @Test func exampleCompilesToTypedDirectives() throws {
    let result = compile([
      (
        "p.yaml",
        header + """
          spec:
            conversation: 5F0C2A1E-0B6D-4C1E-9A51-1C2D3E4F5A6B
            actAs: Lead@Example.com
            onDrift: reconcile
            mute:
              - participant: 8765a1b2-0000-4000-8000-000000000001
                for: 1h30m
                reason: background noise
              - purpose: customer
                for: PT10M
            unmute:
              - user: jane@example.com
            add:
              - user: 3f2a0000-0000-4000-8000-000000000002
                role: agent
              - address: "+4930123456"
                role: observer
          """
      )
    ])
    #expect(result.diagnostics.isEmpty)
    let set = try #require(result.policySet)
    let p = try #require(set.policies.first)
    #expect(p.conversation == "5f0c2a1e-0b6d-4c1e-9a51-1c2d3e4f5a6b")
    #expect(p.actAs == .email("lead@example.com"))
    #expect(p.onDrift == .reconcile)
    #expect(p.mute.map(\.duration.seconds) == [5400, 600])
    #expect(p.mute[0].selector == .participant("8765a1b2-0000-4000-8000-000000000001"))
    #expect(p.mute[0].reason == "background noise")
    #expect(p.mute[1].selector == .purpose("customer"))
    #expect(p.unmute.map(\.selector) == [.user(.email("jane@example.com"))])
    #expect(
      p.add.map(\.target) == [.user(.id("3f2a0000-0000-4000-8000-000000000002")), .address("+4930123456")])
    #expect(p.add.map(\.role) == ["agent", "observer"])
    #expect(p.location.start == SourceMark(line: 4, column: 9))
    #expect(p.mute[0].location.start == SourceMark(line: 10, column: 7))
    #expect(set.limits == .defaults)
  }

  @Test func emptyListsMeanNothingToDo() throws {
    let result = compile([
      ("p.yaml", header + "spec:\n  conversation: 5f0c2a1e-0b6d-4c1e-9a51-1c2d3e4f5a6b\n  mute: []\n  add:\n")
    ])
    #expect(result.diagnostics.isEmpty)
    #expect(try #require(result.policySet).policies[0].mute.isEmpty)
  }

  @Test func aMuteEntrysFromIsNowOrConnect() {
    assertDiagnostics(
      header + """
        spec:
          conversation: 5f0c2a1e-0b6d-4c1e-9a51-1c2d3e4f5a6b
          mute:
            - purpose: customer
              for: 20s
              from: 1️⃣connected
        """,
      [
        Expected(
          "1️⃣", "invalid_value",
          "invalid from 'connected': expected one of now, connect (what the mute's lease is timed from); did you mean 'connect'?"
        )
      ])
  }

  @Test func unknownKeysWithSuggestion() {
    assertDiagnostics(
      """
      4️⃣apiVersion: partyline/v1
      kind: ConversationPolicy
      1️⃣metdata:
        name: p1
      spec:
        conversation: 5f0c2a1e-0b6d-4c1e-9a51-1c2d3e4f5a6b
        mute:
          - participant: 8765a1b2-0000-4000-8000-000000000001
            for: 10m
            2️⃣resaon: noise
        3️⃣colour: blue
      """,
      [
        Expected("4️⃣", "missing_key", "ConversationPolicy is missing required key 'metadata'"),
        Expected("1️⃣", "unknown_key", "unknown key 'metdata' in the document; did you mean 'metadata'?"),
        Expected("2️⃣", "unknown_key", "unknown key 'resaon' in mute entry; did you mean 'reason'?"),
        Expected("3️⃣", "unknown_key", "unknown key 'colour' in spec"),
      ])
  }

  @Test func wrongTypes() {
    assertDiagnostics(
      header + """
        spec:
          conversation: 5f0c2a1e-0b6d-4c1e-9a51-1c2d3e4f5a6b
          actAs: 1️⃣[a, b]
          mute: 2️⃣{participant: x}
          add:
            - user: 3️⃣true
              role: agent
            - 4️⃣just-a-string
        """,
      [
        Expected("1️⃣", "type_mismatch", "expected a string for 'spec.actAs', found sequence"),
        Expected("2️⃣", "type_mismatch", "expected a list for 'spec.mute', found mapping"),
        Expected(
          "3️⃣", "type_mismatch",
          "expected a string for 'user', found boolean; quote it if you mean the string 'true'"),
        Expected("4️⃣", "type_mismatch", "expected a mapping for add entry, found string"),
      ])
  }

  @Test func unquotedIntegerDurationHintsUnit() {
    assertDiagnostics(
      header + """
        spec:
          conversation: 5f0c2a1e-0b6d-4c1e-9a51-1c2d3e4f5a6b
          mute:
            - purpose: customer
              for: 1️⃣30
        """,
      [Expected("1️⃣", "type_mismatch", "expected a duration for 'for', found integer 30; did you mean '30m'?")]
    )
  }

  @Test func duplicateKeys() {
    assertDiagnostics(
      header + """
        spec:
          conversation: 5f0c2a1e-0b6d-4c1e-9a51-1c2d3e4f5a6b
          1️⃣conversation: 5f0c2a1e-0b6d-4c1e-9a51-1c2d3e4f5a6c
        """,
      [Expected("1️⃣", "duplicate_key", "duplicate key 'conversation', first defined at line 6")])
  }

  @Test func duplicatePolicyNamesAcrossFilesNameBothPlaces() {
    let other = header + "spec:\n  conversation: 5f0c2a1e-0b6d-4c1e-9a51-1c2d3e4f5a6b\n"
    assertDiagnostics(
      """
      apiVersion: partyline/v1
      kind: ConversationPolicy
      metadata:
        name: 1️⃣p1
      spec:
        conversation: 5f0c2a1e-0b6d-4c1e-9a51-1c2d3e4f5a6b
      """,
      [Expected("1️⃣", "duplicate_policy_name", "policy name 'p1' is already used at a.yaml:4:9")],
      extraFiles: [("a.yaml", other)])
  }

  @Test func malformedIdsEmailsPhonesAndDurations() {
    assertDiagnostics(
      header + """
        spec:
          conversation: 1️⃣5f0c2a1e-0b6d-4c1e-9a51
          actAs: 2️⃣lead@@example.com
          mute:
            - participant: 3️⃣../../users/me
              for: 4️⃣30 minutes
            - user: 5️⃣jane@example.com?x=1
              for: 6️⃣0s
            - purpose: customer
              for: 7️⃣1m1h
          add:
            - address: 8️⃣"+49 30 123456"
              role: agent
        """,
      [
        Expected(
          "1️⃣", "invalid_id",
          "invalid conversation id '5f0c2a1e-0b6d-4c1e-9a51': expected a UUID such as 5f0c2a1e-0b6d-4c1e-9a51-1c2d3e4f5a6b"
        ),
        Expected("2️⃣", "invalid_email", "invalid email 'lead@@example.com' for 'spec.actAs'"),
        Expected(
          "3️⃣", "invalid_id",
          "invalid participant id '../../users/me': expected a UUID such as 5f0c2a1e-0b6d-4c1e-9a51-1c2d3e4f5a6b"
        ),
        Expected(
          "4️⃣", "invalid_duration",
          "invalid duration '30 minutes' for 'for': use integers with units h, m, s such as '90s', '30m', '1h30m', or ISO-8601 such as 'PT30M'"
        ),
        Expected("5️⃣", "invalid_email", "invalid email 'jane@example.com?x=1' for 'user'"),
        Expected("6️⃣", "invalid_duration", "duration '0s' for 'for' must be positive"),
        Expected(
          "7️⃣", "invalid_duration",
          "invalid duration '1m1h' for 'for': use integers with units h, m, s such as '90s', '30m', '1h30m', or ISO-8601 such as 'PT30M'"
        ),
        Expected(
          "8️⃣", "invalid_phone",
          "invalid phone number '+49 30 123456': expected E.164, a '+' and 8 to 15 digits such as '+4930123456'"
        ),
      ])
  }

  @Test func durationOverTheCap() {
    assertDiagnostics(
      header + """
        spec:
          conversation: 5f0c2a1e-0b6d-4c1e-9a51-1c2d3e4f5a6b
          mute:
            - purpose: customer
              for: 1️⃣2h1s
        """,
      [Expected("1️⃣", "duration_exceeds_max_mute", "mute for '2h1s' is longer than maxMute '2h'")])
  }

  @Test func durationOverALoweredCapNamesTheLimits() {
    let limits = "apiVersion: partyline/v1\nkind: Limits\nspec:\n  maxMute: 15m\n"
    assertDiagnostics(
      header + """
        spec:
          conversation: 5f0c2a1e-0b6d-4c1e-9a51-1c2d3e4f5a6b
          mute:
            - purpose: customer
              for: 1️⃣PT20M
        """,
      [
        Expected(
          "1️⃣", "duration_exceeds_max_mute",
          "mute for '20m' is longer than maxMute '15m' (Limits at limits.yaml:2:7)")
      ],
      extraFiles: [("limits.yaml", limits)])
  }

  @Test func muteWithoutFor() {
    assertDiagnostics(
      header + """
        spec:
          conversation: 5f0c2a1e-0b6d-4c1e-9a51-1c2d3e4f5a6b
          mute:
            - 1️⃣purpose: customer
              reason: noise
        """,
      [
        Expected(
          "1️⃣", "missing_key",
          "mute entry is missing required key 'for' (how long the mute may last, such as '30m')")
      ])
  }

  @Test func twoSelectorsInOneEntry() {
    assertDiagnostics(
      header + """
        spec:
          conversation: 5f0c2a1e-0b6d-4c1e-9a51-1c2d3e4f5a6b
          mute:
            - purpose: customer
              1️⃣participant: 8765a1b2-0000-4000-8000-000000000001
              for: 5m
          unmute:
            - 2️⃣{}
          add:
            - user: ada@example.com
              3️⃣address: "+4930123456"
              role: agent
        """,
      [
        Expected(
          "1️⃣", "multiple_selectors",
          "mute entry has more than one selector ('purpose' and 'participant'); use one entry per selector"),
        Expected(
          "2️⃣", "missing_selector", "unmute entry needs one selector: 'participant', 'user' or 'purpose'"),
        Expected(
          "3️⃣", "multiple_selectors", "add entry has both 'user' and 'address'; use one entry per participant"),
      ])
  }

  @Test func sameLiteralSelectorMutedAndUnmuted() {
    assertDiagnostics(
      header + """
        spec:
          conversation: 5f0c2a1e-0b6d-4c1e-9a51-1c2d3e4f5a6b
          mute:
            - user: Jane@example.com
              for: 5m
          unmute:
            - 1️⃣user: jane@example.com
        """,
      [
        Expected(
          "1️⃣", "mute_unmute_conflict", "user jane@example.com is both unmuted here and muted at test.yaml:8:7"
        )
      ])
  }

  @Test func contradictionAcrossPoliciesOfOneConversation() {
    let other = """
      apiVersion: partyline/v1
      kind: ConversationPolicy
      metadata: {name: p0}
      spec:
        conversation: 5f0c2a1e-0b6d-4c1e-9a51-1c2d3e4f5a6b
        mute: [{participant: 8765a1b2-0000-4000-8000-000000000001, for: 5m}]
      """
    assertDiagnostics(
      header + """
        spec:
          conversation: 5f0c2a1e-0b6d-4c1e-9a51-1c2d3e4f5a6b
          mute:
            - participant: 8765a1b2-0000-4000-8000-000000000001
              for: 1️⃣10m
        """,
      [
        Expected(
          "1️⃣", "conflicting_mute",
          "participant 8765a1b2-0000-4000-8000-000000000001 is muted for '10m' here and for '5m' at b.yaml:6:10"
        )
      ],
      extraFiles: [("b.yaml", other)])
  }

  @Test func rolesNotAllowedAndOverTheirMax() {
    let limits = """
      apiVersion: partyline/v1
      kind: Limits
      spec:
        roles:
          agent: {}
          supervisor: {max: 1}
      """
    assertDiagnostics(
      header + """
        spec:
          conversation: 5f0c2a1e-0b6d-4c1e-9a51-1c2d3e4f5a6b
          add:
            - user: ada@example.com
              role: 1️⃣agnet
            - user: sam@example.com
              role: supervisor
            - user: max@example.com
              role: 2️⃣supervisor
            - user: obi@example.com
              role: 3️⃣observer
        """,
      [
        Expected(
          "1️⃣", "role_not_allowed",
          "role 'agnet' is not allowed (allowed: agent, supervisor); did you mean 'agent'?"),
        Expected(
          "2️⃣", "role_max_exceeded",
          "more than 1 'supervisor' added to conversation 5f0c2a1e-0b6d-4c1e-9a51-1c2d3e4f5a6b; the role allows at most 1"
        ),
        Expected("3️⃣", "role_not_allowed", "role 'observer' is not allowed (allowed: agent, supervisor)"),
      ],
      extraFiles: [("limits.yaml", limits)])
  }

  @Test func moreAddsThanMaxParticipants() {
    let limits = "apiVersion: partyline/v1\nkind: Limits\nspec:\n  maxParticipants: 2\n"
    assertDiagnostics(
      header + """
        spec:
          conversation: 5f0c2a1e-0b6d-4c1e-9a51-1c2d3e4f5a6b
          add:
            - {user: a@example.com, role: agent}
            - {user: b@example.com, role: agent}
            - 1️⃣{user: c@example.com, role: agent}
        """,
      [Expected("1️⃣", "too_many_adds", "policy 'p1' adds 3 participants, more than maxParticipants 2")],
      extraFiles: [("limits.yaml", limits)])
  }

  @Test func unsupportedApiVersionAndKind() {
    assertDiagnostics(
      """
      apiVersion: 1️⃣partyline/v2
      kind: Limits
      ---
      apiVersion: partyline/v1
      kind: 2️⃣ConversationPolicey
      """,
      [
        Expected(
          "1️⃣", "unsupported_api_version", "unsupported apiVersion 'partyline/v2'; expected 'partyline/v1'"),
        Expected(
          "2️⃣", "unsupported_kind",
          "unsupported kind 'ConversationPolicey': expected ConversationPolicy or Limits; did you mean 'ConversationPolicy'?"
        ),
      ])
  }

  @Test func limitsAboveHardCapsAreErrorsNotClamped() {
    assertDiagnostics(
      """
      apiVersion: partyline/v1
      kind: Limits
      spec:
        maxMute: 1️⃣3h
        maxParticipants: 2️⃣25
        roles:
          agent: {max: 3️⃣two}
          4️⃣Observer: {}
      ---
      apiVersion: partyline/v1
      kind: 5️⃣Limits
      """,
      [
        Expected(
          "1️⃣", "max_mute_too_large", "maxMute '3h' is above the hard cap of 2h; it can only be lowered"),
        Expected("2️⃣", "max_participants_too_large", "maxParticipants 25 is above the hard cap of 20"),
        Expected("3️⃣", "type_mismatch", "expected an integer for 'max', found string"),
        Expected("4️⃣", "invalid_name", "invalid role name 'Observer': use lowercase letters, digits and '-'"),
        Expected(
          "5️⃣", "duplicate_limits",
          "a policy set holds at most one Limits document; another is at test.yaml:2:7"),
      ])
  }

  @Test func coreSchemaKeepsYesAsString() throws {
    // Under YAML 1.1 `yes` would be a boolean; the core schema makes it a string (and an invalid name).
    assertDiagnostics(
      """
      apiVersion: partyline/v1
      kind: Limits
      spec:
        roles:
          yes: {muted: 1️⃣yes}
      """,
      [Expected("1️⃣", "type_mismatch", "expected true or false for 'muted', found string")])
  }

  @Test func observerRuleAndDefaultsFromLimits() throws {
    let result = compile([
      (
        "l.yaml",
        "apiVersion: partyline/v1\nkind: Limits\nspec:\n  maxMute: 45m\n  roles:\n    observer: {muted: true}\n    lead: {max: 2}\n"
      )
    ])
    let limits = try #require(result.policySet).limits
    #expect(limits.maxMute.seconds == 2700)
    #expect(limits.maxParticipants == 20)
    #expect(limits.roles.map(\.name) == ["lead", "observer"])
    #expect(limits.role(named: "observer")?.muted == true)
    #expect(limits.role(named: "lead")?.max == 2)
  }
}

/// A misspelt purpose would silently match nobody: it is a warning with a suggestion, and the set
/// still compiles (purposes are free strings in the API).
@Suite struct UnknownPurposeTests {
  @Test func aTypoInAPurposeIsAWarningWithASuggestion() throws {
    let result = compile([
      (
        "p.yaml",
        header
          + "spec:\n  conversation: 5f0c2a1e-0b6d-4c1e-9a51-1c2d3e4f5a6b\n  mute:\n    - {purpose: cusotmer, for: 1m}\n  unmute:\n    - purpose: wizard\n"
      )
    ])
    #expect(result.policySet != nil)
    #expect(
      result.diagnostics.map { "\($0.severity) \($0.id) \($0.range.start) \($0.message)" } == [
        "warning unknown_purpose 8:17 purpose 'cusotmer' is not one the API is known to use; did you mean 'customer'?",
        "warning unknown_purpose 10:16 purpose 'wizard' is not one the API is known to use (acd, agent, api, botflow, campaign, customer, dialer, external, fax, group, inbound, ivr, manual, outbound, station, user, voicemail, voicesurveyflow, workflow)",
      ])
  }
}
