public import Foundation
import YAMLReader
public import OrderedJSON
public import WireTime

/// Why a saved plan is refused, said so that the user knows what to do.
public struct SavedPlanError: Error, Sendable, CustomStringConvertible {
  /// What is wrong, and what to do about it.
  public var description: String
  /// An error that says `description`.
  public init(_ description: String) { self.description = description }
}
