import ArgumentParser
import PartylineCore
import WireTime

/// Every duration flag of plan, apply and watch: `30s`, `5m`, `1h30m`, ISO-8601 `PT5M`, and for short
/// waits `500ms` or `0.5s`. A bare number is an error with a hint (`did you mean '30s' or '30m'?`):
/// a number alone does not say its unit.
struct FlagDuration: Sendable, Hashable, Comparable, CustomStringConvertible, ExpressibleByArgument {
  /// What the flag says.
  var length: Duration

  /// In seconds, for the adapters that count in them (the rate budget, the API client's deadline).
  var seconds: Double { length.inSeconds }

  static func seconds(_ s: Double) -> FlagDuration { FlagDuration(.seconds(s)) }
  static func < (a: FlagDuration, b: FlagDuration) -> Bool { a.length < b.length }

  init(_ length: Duration) { self.length = length }

  init?(argument: String) {
    guard case .success(let d) = Self.parse(argument) else { return nil }
    self = d
  }

  /// For `@Option(transform:)`: the error says what is wrong, ArgumentParser names the flag.
  static func transform(_ text: String) throws -> FlagDuration {
    switch parse(text) {
    case .success(let d): return d
    case .failure(let e): throw ValidationError(e.message)
    }
  }

  /// As `transform`, where zero is also a value (`--revert-slack 0s`: never).
  static func transformAllowingZero(_ text: String) throws -> FlagDuration {
    if ["0", "0s", "0ms"].contains(text) { return .seconds(0) }
    return try transform(text)
  }

  struct Problem: Error {
    var message: String
  }

  static func parse(_ text: String) -> Result<FlagDuration, Problem> {
    switch DurationText.seconds(text, .flag) {
    case .success(let seconds): return .success(.seconds(seconds))
    case .failure(.notPositive): return .failure(Problem(message: "a duration must be positive"))
    case .failure:
      if let n = Double(text), n <= 0 { return .failure(Problem(message: "a duration must be positive")) }
      return .failure(Problem(message: Grammar.durationHint(text, example: "30s")))
    }
  }

  /// The shortest spelling that reads back the same: `30s`, `5m`, `1h30m`, `500ms`.
  var description: String {
    if seconds.rounded() == seconds, seconds >= 1 { return PolicyDuration(seconds: Int(seconds)).description }
    return "\(Int((seconds * 1000).rounded()))ms"
  }

  var defaultValueDescription: String { description }
}
