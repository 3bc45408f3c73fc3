/// Says every `every` seconds that a long wait goes on (a rate-limit window, a lock held by another
/// run), while `operation` runs; says nothing when it ends first. With no sink it only runs the
/// operation.
public func withHeartbeat<T: Sendable>(
  every: Double = 10, _ sink: (@Sendable (String) -> Void)?, _ what: @escaping @Sendable (Int) -> String,
  operation: @Sendable () async throws -> T
) async throws -> T {
  guard let sink, every > 0 else { return try await operation() }
  let beat = Task {
    var waited = 0.0
    while !Task.isCancelled {
      try await Task.sleep(nanoseconds: UInt64(every * 1e9))
      waited += every
      sink(what(Int(waited)))
    }
  }
  defer { beat.cancel() }
  return try await operation()
}
