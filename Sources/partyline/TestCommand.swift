import ArgumentParser
import Foundation
import OrderedJSON
import PartylineCore
import PartylineLocal
import PartylineViews
import PolicyTesting

/// `partyline test`: policy tests (`*.test.yaml`, `kind: PolicyTest`) — a world, a clock and the plan
/// expected — planned offline with the same code as `plan`.
struct TestCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "test",
    abstract: "Run policy tests: a world and a clock in, the expected plan out; no organisation needed.",
    discussion: """
      Finds *.test.yaml under the paths (policy discovery skips them, so tests live beside their \
      policies). Each test plans its policies against its world (the emulator's fixture format) at its \
      `now`, with the same code as `plan`, and compares the whole plan with `expect.changes` (and \
      `expect.findings` when given). An expectation naming something that does not exist, or finding \
      no test, is an error. Exit status: 0 when every test passes, 1 otherwise.
      """
  )

  @Argument(help: "Test files or directories (searched recursively for *.test.yaml).")
  var paths: [String] = ["policies"]

  @Option(help: "Only tests whose name matches this regular expression.")
  var run: String?

  @Option(help: "Output format: text, json or junit.")
  var format: TestFormat = .text

  @OptionGroup var readerOptions: ReaderOptions

  enum TestFormat: String, ExpressibleByArgument, CaseIterable { case text, json, junit }

  func validate() throws {
    if let run, (try? Regex(run)) == nil {
      throw ValidationError("invalid --run '\(run)': not a regular expression")
    }
  }

  func run() async throws {
    let pattern = try run.map { try Regex($0) }
    let runner = PolicyTestRunner(loader: PolicyLoader(limits: readerOptions.limits))
    let (results, problems) = await runner.run(paths) { name in
      pattern.map { name.contains($0) } ?? true
    }
    var renderer = DiagnosticRenderer.stderr()
    for d in problems.prefix(DiagnosticRenderer.maxShown) { Terminal.stderr.write(renderer.text(d)) }
    if results.isEmpty {
      Terminal.stderr.write(
        problems.isEmpty
          ? "error: no tests found (*.test.yaml) in \(paths.map { "'\($0)'" }.joined(separator: ", "))\(run.map { " matching '\($0)'" } ?? "")\n"
          : "error: the test files have errors: no test ran\n")
      throw ExitCode(1)
    }
    switch format {
    case .text:
      Terminal.stdout.write(TestReport.text(results, style: Style(enabled: Terminal.stdout.colours)))
    case .json: Terminal.stdout.write(TestReport.json(results).render(indent: 2) + "\n")
    case .junit: Terminal.stdout.write(TestReport.junit(results))
    }
    if !problems.isEmpty || results.contains(where: { $0.status != .pass }) { throw ExitCode(1) }
  }
}
