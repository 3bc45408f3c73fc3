import ArgumentParser
import Foundation
import OrderedJSON
import PartylineCore
import PartylineLocal
import PartylineViews
import WireTime

/// `partyline show PLANFILE`: a saved plan rendered with the views `plan` uses, and what a reviewer
/// needs to know before anyone applies it — where it was made, until when it is valid, and whether it
/// is signed. Reads no network and no state.
struct ShowCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "show",
    abstract: "Render a saved plan (plan --out), and say whether it is expired or signed.",
    discussion: """
      The file is checked as apply --plan checks it (format, unknown fields, its dates, every change \
      against the Limits it was planned under; with PARTYLINE_PLAN_KEY set, its signature), except \
      that an expired plan is still shown. Exit status: 0 shown; 1 not a saved plan, refused, or a \
      signature that does not match.
      """
  )

  /// How `show` prints: as `plan` does, without GitHub annotations.
  enum Format: String, ExpressibleByArgument, CaseIterable { case text, json, markdown }

  @Argument(help: "A saved plan, as written by plan --out.")
  var planFile: String

  @Option(help: "Output format: text, json or markdown.")
  var format: Format = .text

  func run() async throws {
    let now = Date().timeIntervalSince1970
    let saved: SavedPlan
    let changes: [PlannedChange]
    let signature: (json: String, words: String)
    do {
      let file = try SavedPlanFile.read(planFile)
      switch file.signature {
      case .valid: signature = ("valid", "signed, and the signature matches PARTYLINE_PLAN_KEY")
      case .unsigned:
        signature = (
          "unsigned",
          PlanKey.current == nil ? "not signed" : "not signed: apply --plan with the key refuses it"
        )
      case .unverified: signature = ("unverified", "signed; not checked (PARTYLINE_PLAN_KEY is not set)")
      case .mismatch: throw SavedPlanError("'\(planFile)': the signature does not match")  // (refused by the read)
      }
      saved = file.plan
      // Every check apply --plan makes of the file alone, at a time the plan was valid: an expired plan
      // is still shown (and said to be expired).
      changes = try saved.check(
        now: min(now, saved.notAfter), target: saved.target, workspace: saved.workspace)
    } catch {
      Terminal.stderr.write("error: \(error)\n")
      throw ExitCode(1)
    }
    let plan = Plan(
      changes: changes, findings: [], createdAt: saved.createdAt, policySetDigest: saved.policySetDigest,
      snapshots: saved.snapshots)
    let expired = now > saved.notAfter
    let validity =
      expired
      ? "expired at \(Timestamp.iso8601(saved.notAfter)): apply --plan refuses it; run plan again"
      : "valid until \(Timestamp.iso8601(saved.notAfter))"
    let target = UntrustedText.clean(saved.target)
    let workspace = UntrustedText.clean(saved.workspace)
    switch format {
    case .text:
      Terminal.stdout.write(
        """
        Saved plan \(saved.planId), made \(Timestamp.iso8601(saved.createdAt)) for workspace '\(workspace)' against \(target)
          \(validity)
          \(signature.words)


        """)
      Terminal.stdout.write(PlanRenderer(style: Style(enabled: Terminal.stdout.colours)).text(plan))
    case .json:
      guard case .object(var pairs) = PlanRenderer.json(plan, notAfter: saved.notAfter) else { return }
      let about: [(String, JSONValue)] = [
        ("planId", .string(saved.planId)), ("workspace", .string(saved.workspace)),
        ("target", .string(saved.target)), ("expired", .bool(expired)),
        ("signature", .string(signature.json)),
      ]
      pairs.insert(contentsOf: about, at: 1)
      Terminal.stdout.write(JSONValue.object(pairs).render(indent: 2) + "\n")
    case .markdown:
      let note =
        "> Saved plan \(MarkdownText.code(saved.planId)), made \(Timestamp.iso8601(saved.createdAt)) for workspace "
        + "\(MarkdownText.code(saved.workspace)); \(validity); \(signature.words).\n\n"
      Terminal.stdout.write(note + PlanRenderer.markdown(plan))
    }
  }
}
