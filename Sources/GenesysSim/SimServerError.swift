import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import ServiceLifecycle
public import YAMLReader

/// Why an emulator could not be started.
public enum SimServerError: Error, CustomStringConvertible {
  /// The server ended, without an error, before it was listening.
  case stoppedBeforeListening

  public var description: String { "the emulator stopped before it was listening" }
}
