import ArgumentParser
import Foundation

@main
struct Partyline: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "partyline",
    abstract: "Declarative policies for live Genesys Cloud conversations.",
    version: "0.1.0",
    subcommands: [
      ValidateCommand.self, PlanCommand.self, ApplyCommand.self, WatchCommand.self, CallsCommand.self,
      ShowCommand.self, TestCommand.self, InitCommand.self,
      StateCommand.self,
      SimCommand.self,
    ]
  )

  /// Runs the command line; any error exits 1 (usage errors too), help and version exit 0.
  static func main() async {
    do {
      var command = try parseAsRoot()
      if var async = command as? any AsyncParsableCommand {
        try await async.run()
      } else {
        try command.run()
      }
    } catch {
      let code = exitCode(for: error)
      if code == .success {
        exit(withError: error)
      }
      if let exit = error as? ExitCode {
        Foundation.exit(exit.rawValue)
      }
      // One style for every error: `error: …` (ArgumentParser writes `Error: `).
      var message = fullMessage(for: error)
      if message.hasPrefix("Error: ") { message = "error: " + message.dropFirst("Error: ".count) }
      if !message.isEmpty { Terminal.stderr.write(message + "\n") }
      Foundation.exit(1)
    }
  }
}
