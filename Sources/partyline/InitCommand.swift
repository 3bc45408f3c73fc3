import ArgumentParser
import PartylineLocal

/// `partyline init [DIR]`: a policy repository to start from (see `Scaffold`).
struct InitCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "init",
    abstract:
      "Write a policy repository to start from: Limits, a select policy, its test, a GitHub workflow.",
    discussion: """
      Writes policies/limits.yaml, policies/greeting.yaml (a commented select policy), \
      policies/greeting.test.yaml (its test), .github/workflows/partyline.yml (plan on pull requests as a \
      comment, apply on merge, a scheduled backstop) and the .gitignore lines Partyline needs. Never \
      overwrites a file: when one exists, nothing is written. What it writes passes validate and test.
      """
  )

  @Argument(help: "The repository's directory (created if need be).")
  var directory: String = "."

  func run() throws {
    let written: [String]
    do {
      written = try Scaffold.write(to: directory)
    } catch {
      Terminal.stderr.write("error: \(error)\n")
      throw ExitCode(1)
    }
    for path in written { Terminal.stdout.write("wrote \(path)\n") }
    let inDir = directory == "." ? "" : " (in \(directory))"
    Terminal.stdout.write(
      "Next\(inDir): change the queue in policies/greeting.yaml to one of yours, then run `partyline validate`, `partyline test` and `partyline plan`.\n"
    )
  }
}
