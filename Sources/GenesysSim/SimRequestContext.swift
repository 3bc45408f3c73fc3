import HTTPTypes
import Hummingbird
import NIOCore

/// The request context: Hummingbird's core storage plus the channel, which a connection-reset fault
/// closes without answering.
struct SimRequestContext: RequestContext {
  var coreContext: CoreRequestContextStorage
  let channel: any Channel

  init(source: ApplicationRequestContextSource) {
    self.coreContext = .init(source: source)
    self.channel = source.channel
  }
}
