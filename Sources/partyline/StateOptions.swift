import ArgumentParser
import PartylineCore
import PartylineGenesys
import PartylineLocal
import PartylineViews
import PartylineStatePostgres
import OrderedJSON

/// Options of the state subcommands.
struct StateOptions: ParsableArguments {
  @Option(help: "Where the journal and leases live: a directory, or postgres://… (env PARTYLINE_STATE).")
  var state: String?

  @Flag(help: "The sandbox's journal (.partyline/sandbox/) instead.")
  var sandbox = false

  func validate() throws {
    if sandbox && state != nil { throw ValidationError("--sandbox and --state name two states: give one") }
  }
}
