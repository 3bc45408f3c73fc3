import HTTPTypes
import Hummingbird
import NIOCore
import OrderedJSON
import YAMLReader

struct ConnectionResetFault: Error {}

struct FaultSpecError: Error {
  var message: String
}
