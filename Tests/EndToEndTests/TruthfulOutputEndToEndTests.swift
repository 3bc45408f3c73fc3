import Foundation
import PartylineTestSupport
import Testing

/// Output that tells the truth: blocked items counted in every summary, errors called what they are,
/// nothing annotated twice, and an empty policy set that never prunes by accident.
extension ApplyEndToEndTests {
  @Suite struct TruthfulOutputEndToEndTests {
    static let gone = """
      apiVersion: partyline/v1
      kind: ConversationPolicy
      metadata: {name: gone}
      spec:
        conversation: 00000000-0000-4000-8000-000000000001
        mute: [{purpose: customer, for: 1m}]
      """

    @Test func aPlanWithOnlyBlockedItemsSaysSo() async throws {
      let project = try Project("blocked", .local, state: nil, muteFor: "30m")
      defer { project.remove() }
      let sim = try SimProcess(fast)
      defer { sim.stop() }
      for f in ["noisy.yaml", "bridge.yaml"] {
        try FileManager.default.removeItem(atPath: project.policies + "/" + f)
      }
      try Self.gone.write(toFile: project.policies + "/gone.yaml", atomically: true, encoding: .utf8)
      let plan = try await project.run(["plan"], sim)
      #expect(plan.status == 1)
      #expect(plan.stdout.contains("No changes. 1 blocked. 0 unchanged."), "\(plan.stdout)")
      #expect(plan.stderr.contains("gone.yaml:5:17: error: conversation 00000000"), "\(plan.stderr)")
      let apply = try await project.run(["apply", "--yes"], sim)
      #expect(apply.status == 1)
      #expect(apply.stderr.contains("the plan has 1 error (conversation_not_found): nothing was applied"))
      #expect(!apply.stderr.contains("breaks a limit"))
      let github = try await project.run(["plan", "--format", "github"], sim)
      let annotations = github.stdout.split(separator: "\n").filter { $0.contains("was not found") }
      #expect(annotations.count == 1, "\(github.stdout)")
      #expect(annotations.first?.hasPrefix("::error ") == true)
    }

    @Test func anEmptyPolicySetWarnsAndNeverPrunesWithoutAllowEmpty() async throws {
      let project = try Project("empty", .local, state: nil, muteFor: "30m")
      defer { project.remove() }
      let sim = try SimProcess(fast)
      defer { sim.stop() }
      #expect(try await project.run(["apply", "--yes"], sim).status == 0)
      for f in ["noisy.yaml", "bridge.yaml"] {
        try FileManager.default.removeItem(atPath: project.policies + "/" + f)
      }
      let validate = try await CLI.run(["validate", project.policies])
      #expect(validate.status == 0)
      #expect(
        validate.stderr.contains("warning: no policy files (*.yaml, *.yml) found in"), "\(validate.stderr)")
      let kept = try await project.run(["apply", "--yes"], sim)
      #expect(kept.status == 0, "\(kept.stderr)")
      #expect(kept.stderr.contains("the policy set is empty: no lease is pruned (pass --allow-empty"))
      #expect(!kept.stdout.contains("prune"), "\(kept.stdout)")
      #expect(
        try await sim.conversation(Demo.Call.noisy).first {
          $0["id"] as? String == Demo.Participant.noisyCustomer
        }?[
          "muted"] as? Bool == true)
      let pruned = try await project.run(["apply", "--yes", "--allow-empty"], sim)
      #expect(pruned.status == 0, "\(pruned.stderr)")
      #expect(pruned.stdout.contains("1 to prune"), "\(pruned.stdout)")
    }

    @Test func anObserverAddedMutedIsMutedInTheSameRun() async throws {
      let project = try Project("observer", .local, state: nil, muteFor: "30m")
      defer { project.remove() }
      let sim = try SimProcess(fast)
      defer { sim.stop() }
      try FileManager.default.removeItem(atPath: project.policies + "/noisy.yaml")
      try """
      apiVersion: partyline/v1
      kind: Limits
      spec:
        roles: {agent: {}, supervisor: {}, observer: {muted: true}}
      ---
      apiVersion: partyline/v1
      kind: ConversationPolicy
      metadata: {name: listen}
      spec:
        conversation: \(Demo.Call.warRoom)
        actAs: ada@example.com
        add: [{user: olive@example.com, role: observer}]
      """.write(toFile: project.policies + "/observer.yaml", atomically: true, encoding: .utf8)
      let apply = try await project.run(["apply", "--yes"], sim)
      #expect(apply.status == 0, "\(apply.stderr)")
      #expect(apply.stdout.contains("5 added, 1 muted"), "\(apply.stdout)")
      // apply, then plan is empty: the observer was muted once it connected, in the same run.
      let plan = try await project.run(["plan", "--detailed-exitcode"], sim)
      #expect(plan.status == 0, "\(plan.stdout)")
      #expect(plan.stdout.contains("No changes."), "\(plan.stdout)")
    }
  }
}
