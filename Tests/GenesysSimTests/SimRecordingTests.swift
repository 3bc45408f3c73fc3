import Foundation
import GenesysSim
import PartylineTestSupport
import Testing
import YAMLReader

/// The secure pause of a call's recording (genesys-api.md §9.1) and supervision legs (§9.2), over
/// sockets: the two recording-state routes with their permission, the state in every read, fixtures.
@Suite struct SimRecordingTests {
  static let call = "0d6b3c7a-52e4-4f0e-9a3b-6c1e2d3f4a5b"
  static let customer = "1e2f3a4b-5c6d-4e7f-8a9b-0c1d2e3f4a5b"
  static let agent = "2f3a4b5c-6d7e-4f8a-9b0c-1d2e3f4a5b6c"
  static let monitor = "3a4b5c6d-7e8f-4a9b-8c1d-2e3f4a5b6c7d"

  /// A recorded call of Escalations: a customer, Quinn, and Sam monitoring Quinn.
  static let recorded = """
    {"conversations": [{"id": "\(call)", "queue": "\(Demo.Queue.escalations)", "recordingState": "active",
      "participants": [
        {"id": "\(customer)", "purpose": "customer", "state": "connected", "address": "+4930111222"},
        {"id": "\(agent)", "purpose": "agent", "state": "connected", "user": "\(Demo.User.quinn)"},
        {"id": "\(monitor)", "purpose": "user", "state": "connected", "user": "\(Demo.User.sam)",
         "mediaRoles": ["monitor"], "monitoredParticipantId": "\(agent)"}]}]}
    """

  static let put = "/api/v2/conversations/calls/\(call)/recordingstate"
  static let patch = "/api/v2/conversations/\(call)/recordingstate"

  @Test func theSecurePauseNeedsItsPermissionAndShowsInEveryRead() async throws {
    try await withSim { sim in
      #expect(try await sim.send("POST", "/sim/conversations", token: nil, json: Self.recorded).status == 200)
      let token = try await sim.token()
      func call() async throws -> [String: Any] {
        try await sim.get("/api/v2/conversations/calls/\(Self.call)", token: token).json
      }
      let before = try await call()
      #expect(before["recordingState"] as? String == "active" && before["securePause"] as? Bool == false)

      let readonly = try await sim.token("partyline-readonly", "partyline-readonly-secret")
      let refused = try await sim.send(
        "PUT", Self.put, token: readonly, json: #"{"recordingState":"PAUSED"}"#)
      expectErrorBody(refused, status: 403, code: "missing.any.permissions")
      #expect((refused.json["message"] as? String)?.contains("conversation:recording:pauseOthers") == true)
      // The SDK's enum is upper case; anything else, and NONE, is refused.
      for body in [#"{"recordingState":"paused"}"#, #"{"recordingState":"NONE"}"#, #"{"state":"PAUSED"}"#] {
        #expect(try await sim.send("PUT", Self.put, token: token, json: body).status == 400, "\(body)")
      }
      let paused = try await sim.send("PUT", Self.put, token: token, json: #"{"recordingState":"PAUSED"}"#)
      #expect(paused.status == 200 && paused.text == #""PAUSED""#, "\(paused.text)")
      #expect(try await eventually { try await call()["securePause"] as? Bool == true })
      let now = try await call()
      #expect(now["recordingState"] as? String == "paused")
      #expect(
        now.participants().allSatisfy {
          $0["securePause"] as? Bool == true && $0["recordingState"] as? String == "paused"
        })
      let generic = try await sim.get("/api/v2/conversations/\(Self.call)", token: token).json
      #expect(generic["recordingState"] as? String == "PAUSED" && generic["securePause"] as? Bool == true)

      let resumed = try await sim.send(
        "PATCH", Self.patch, token: token, json: #"{"recordingState":"ACTIVE"}"#)
      #expect(resumed.status == 202 && resumed.body.isEmpty)
      #expect(try await eventually { try await call()["securePause"] as? Bool == false })
      #expect(try await call()["recordingState"] as? String == "active")

      // A call that is not recorded, and one that does not exist.
      let unrecorded = "/api/v2/conversations/calls/\(Demo.Call.warRoom)/recordingstate"
      expectErrorBody(
        try await sim.send("PUT", unrecorded, token: token, json: #"{"recordingState":"PAUSED"}"#),
        status: 409,
        code: "conversation.recording.not.active")
      let missing = "/api/v2/conversations/00000000-0000-4000-8000-000000000000/recordingstate"
      #expect(
        try await sim.send("PATCH", missing, token: token, json: #"{"recordingState":"PAUSED"}"#).status
          == 404)
    }
  }

  @Test func withoutThePatchRouteOnlyThePutAnswers() async throws {
    var options = fastOptions()
    options.recordingStatePatch = false
    try await withSim(options: options) { sim in
      #expect(try await sim.send("POST", "/sim/conversations", token: nil, json: Self.recorded).status == 200)
      let token = try await sim.token()
      #expect(
        try await sim.send("PATCH", Self.patch, token: token, json: #"{"recordingState":"PAUSED"}"#).status
          == 404)
      #expect(
        try await sim.send("PUT", Self.put, token: token, json: #"{"recordingState":"PAUSED"}"#).status == 200
      )
    }
  }

  @Test func supervisionLegsAreServedAndKeptByFixtures() async throws {
    try await withSim { sim in
      #expect(try await sim.send("POST", "/sim/conversations", token: nil, json: Self.recorded).status == 200)
      let token = try await sim.token()
      let call = try await sim.get("/api/v2/conversations/calls/\(Self.call)", token: token).json
      let leg = try #require(call.participants().first { $0["id"] as? String == Self.monitor })
      #expect(leg["mediaRoles"] as? [String] == ["monitor"])
      #expect(leg["monitoredParticipantId"] as? String == Self.agent)
      let agent = try #require(call.participants().first { $0["id"] as? String == Self.agent })
      #expect(agent["mediaRoles"] == nil && agent["monitoredParticipantId"] == nil)
      let generic = try await sim.get("/api/v2/conversations/\(Self.call)", token: token).json
      #expect(
        generic.participants().first { $0["id"] as? String == Self.monitor }?["mediaRoles"] as? [String] == [
          "monitor"
        ])
    }
    // A fixture keeps them, and the recording's state, across an export.
    let yaml = """
      clients: [{id: c, secret: s, permissions: ["*"]}]
      users: [{id: u1, name: Sam}]
      conversations:
        - id: c1
          recordingState: paused
          participants:
            - {id: p1, purpose: agent, state: connected}
            - {id: p2, purpose: user, state: connected, user: u1, mediaRoles: [coach], coachedParticipantId: p1}
      """
    let fixture = try SimFixture.parse(yaml: yaml, file: "f.yaml").get()
    #expect(fixture.conversations.first?.recordingState == "paused")
    #expect(fixture.conversations.first?.participants.last?.supervises == "p1")
    #expect(try SimFixture.parse(yaml: fixture.yaml(), file: "again.yaml").get() == fixture)
    // A supervised id under the wrong role's key is a located error.
    let wrong = yaml.replacingOccurrences(of: "coachedParticipantId", with: "monitoredParticipantId")
    guard case .failure(let d) = SimFixture.parse(yaml: wrong, file: "f.yaml") else {
      Issue.record("the wrong key was read")
      return
    }
    #expect(
      d.items.map { "\($0.range.start.line) \($0.message)" } == [
        "8 'monitoredParticipantId' is for a leg whose mediaRoles hold 'monitor'"
      ])
  }
}
