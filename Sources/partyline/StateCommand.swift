import ArgumentParser

struct StateCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "state",
    abstract: "Inspect the state (journal, leases, locks), clear a stuck lock, compact the journal.",
    subcommands: [StateShowCommand.self, StateUnlockCommand.self, StateCompactCommand.self]
  )
}
