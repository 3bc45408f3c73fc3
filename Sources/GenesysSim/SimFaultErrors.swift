import HTTPTypes

struct ConnectionResetFault: Error {}

struct FaultSpecError: Error {
  var message: String
}
