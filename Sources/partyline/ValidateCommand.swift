import ArgumentParser
import Foundation
import PartylineCore
import PartylineGenesys
import PartylineLocal
import PartylineViews
import YAMLReader
import OrderedJSON

struct ValidateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "validate",
    abstract: "Check policy files without touching the network.",
    discussion: "Exit status: 0 when every file is valid, 1 otherwise."
  )

  @Argument(help: "Policy files or directories (searched recursively for *.yaml and *.yml).")
  var paths: [String] = ["policies"]

  @Option(help: "Output format: text, json or github.")
  var format: ValidateFormat = .text

  @OptionGroup var readerOptions: ReaderOptions

  enum ValidateFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, github
  }

  func run() throws {
    let loader = PolicyLoader(limits: readerOptions.limits)
    var result = loader.load(paths)
    // An expired policy is a warning, so a stale file is noticed in review; never an error.
    if let set = result.policySet { result.diagnostics += set.expired(at: Date().timeIntervalSince1970) }
    let errors = result.diagnostics.filter { $0.severity == .error }.count
    let warnings = result.diagnostics.filter { $0.severity == .warning }.count
    let shown = Array(result.diagnostics.prefix(DiagnosticRenderer.maxShown))
    let omitted = result.diagnostics.count - shown.count
    let files = loader.discover(paths).files.count
    let policies = result.policySet?.policies.count ?? 0

    switch format {
    case .text:
      var renderer = DiagnosticRenderer.stderr()
      for d in shown { Terminal.stderr.write(renderer.text(d)) }
      if omitted > 0 { Terminal.stderr.write("… and \(omitted) more diagnostics not shown\n") }
      let counts =
        "\(files) \(files == 1 ? "file" : "files"), \(result.documentCount) \(result.documentCount == 1 ? "document" : "documents")"
      if errors > 0 {
        Terminal.stderr.write("\(errors) \(errors == 1 ? "error" : "errors") in \(counts)\n")
      } else {
        Terminal.stdout.write("valid: \(counts), \(policies) \(policies == 1 ? "policy" : "policies")\n")
      }
    case .json:
      let doc: JSONValue = [
        "formatVersion": 1,
        "valid": .bool(errors == 0),
        "summary": [
          "files": .int(files), "documents": .int(result.documentCount), "policies": .int(policies),
          "errors": .int(errors), "warnings": .int(warnings), "omitted": .int(omitted),
        ],
        "diagnostics": .array(shown.map { DiagnosticRenderer.json($0) }),
      ]
      Terminal.stdout.write(doc.render(indent: 2) + "\n")
    case .github:
      for d in shown { Terminal.stdout.write(DiagnosticRenderer.github(d) + "\n") }
      if omitted > 0 {
        Terminal.stdout.write("::error title=partyline::\(omitted) more diagnostics not shown\n")
      }
    }
    if errors > 0 { throw ExitCode(1) }
  }
}
