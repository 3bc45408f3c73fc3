import GenesysCloud

/// `--sandbox`: the bundled emulator, in-process, with the demo organisation.
enum Sandbox {
  static func open(reset: Bool, apiBudget: Double) async throws -> Connection {
    throw GenesysError.configuration("--sandbox needs the emulator, which this build does not include yet")
  }
}
