import ArgumentParser

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// `partyline sim …`: the Genesys Cloud emulator.
struct SimCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "sim",
    abstract: "The Genesys Cloud emulator, for tests, demos and plan reviews.",
    subcommands: [SimServeCommand.self, SandboxHostCommand.self]
  )
}
