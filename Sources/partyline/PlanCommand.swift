import ArgumentParser
import Foundation
import GenesysCloud
import PartylineCore
import PartylineGenesys
import PartylineLocal
import PartylineViews
import OrderedJSON
import WireTime

struct PlanCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "plan",
    abstract: "Show what applying the policies would change in the live conversations.",
    discussion: """
      Exit status: 0 success; 1 invalid policies, a limit violated or an API failure; with \
      --detailed-exitcode, 2 when there are changes.
      """
  )

  @Argument(help: "Policy files or directories.")
  var paths: [String] = ["policies"]

  @Option(help: "Output format: text, json, github or markdown.")
  var format: OutputFormat = .text

  @Option(help: "Write a saved plan (JSON) for `apply --plan`.")
  var out: String?

  @Option(
    help: "How long a saved plan stays valid, e.g. 10m (at most 24h).", transform: FlagDuration.transform)
  var planTtl: FlagDuration = .seconds(600)

  func validate() throws {
    if planTtl.length > SavedPlan.maxLifetime {
      throw ValidationError("--plan-ttl: at most 24h (a saved plan is valid for a day at most)")
    }
  }

  @Flag(help: "Exit 2 when the plan has changes.")
  var detailedExitcode = false

  @OptionGroup var run: RunOptions

  /// Leases are pruned only when the run was given whole directories, never single files.
  static func isWholeSet(_ paths: [String]) -> Bool {
    paths.allSatisfy { p in
      var isDir: ObjCBool = false
      return FileManager.default.fileExists(atPath: p, isDirectory: &isDir) && isDir.boolValue
    }
  }

  func run() async throws {
    let loader = PolicyLoader()
    // As apply does: a lease opened after the files were read (by another run, from files this run has
    // not seen) is never planned as a prune.
    let readAt = Date().timeIntervalSince1970
    let compiled = loader.load(paths)
    var renderer = DiagnosticRenderer.stderr()
    guard let set = compiled.policySet else {
      for d in compiled.diagnostics.prefix(DiagnosticRenderer.maxShown) {
        Terminal.stderr.write(renderer.text(d))
      }
      Terminal.stderr.write(
        "policies are invalid: nothing was planned (run `partyline validate` for details)\n")
      throw ExitCode(1)
    }
    run.report(compiled, paths)
    let connection = try await Connection.open(run)
    if let banner = connection.banner { Terminal.stderr.write(banner + "\n") }
    let plan: Plan
    do {
      // plan writes nothing: it reads the journal only when there is one.
      plan = try await StateBackend.reading(
        StateBackend.location(run.state, sandbox: run.sandbox), holder: "plan"
      ) { store in
        // The planning step apply uses; nothing is carried out or written.
        var reconcile = Reconcile(
          .full(), set: set, wholeSet: run.prunes(paths, set), workspace: run.workspace,
          source: LiveStateReader(client: connection.client),
          clock: OffsetClock(SystemClock(), offset: store.clockOffset), journal: store.journal,
          run: "plan")
        reconcile.policiesReadAt = readAt
        return try await reconcile.plan().plan
      }
    } catch {
      await connection.close()
      Terminal.stderr.write("error: \(error)\n")
      throw ExitCode(1)
    }
    await connection.close()

    let notAfter = plan.createdAt + planTtl.length.inSeconds
    for d in plan.findings where format == .text { Terminal.stderr.write(renderer.text(d)) }
    switch format {
    case .text: Terminal.stdout.write(PlanRenderer(style: Style(enabled: Terminal.stdout.colours)).text(plan))
    case .json:
      Terminal.stdout.write(
        PlanRenderer.json(plan, notAfter: out == nil ? nil : notAfter).render(indent: 2) + "\n")
    case .github: Terminal.stdout.write(PlanRenderer.github(plan))
    case .markdown: Terminal.stdout.write(PlanRenderer.markdown(plan))
    }
    if let out {
      // A plan with errors is never saved: `apply --plan` would carry out its unblocked part.
      guard !plan.hasErrors else {
        Terminal.stderr.write("error: the plan has errors: no plan was saved to '\(out)'\n")
        throw ExitCode(1)
      }
      let saved = SavedPlan(
        plan, set: set, workspace: run.workspace, target: connection.target, notAfter: notAfter,
        planId: UUID().uuidString.lowercased())
      do {
        let text = saved.json.render(indent: 2) + "\n"
        // Signed when there is a key: `apply --plan` with the key then takes nothing else.
        try AtomicFile.write(PlanKey.current.map { PlanSignature.sign(text, key: $0) } ?? text, to: out)
      } catch {
        Terminal.stderr.write("error: cannot save the plan: \(error)\n")
        throw ExitCode(1)
      }
      Terminal.stderr.write(
        "saved plan to \(out) (valid until \(Timestamp.iso8601(notAfter))\(PlanKey.current == nil ? "" : ", signed"))\n"
      )
    }
    if plan.hasErrors { throw ExitCode(1) }
    if detailedExitcode && plan.hasChanges { throw ExitCode(2) }
  }
}
