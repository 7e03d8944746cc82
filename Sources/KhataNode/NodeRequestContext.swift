import Hummingbird
import NIOCore

/// The context of one request to the node: Hummingbird's core context and the
/// peer's address, which the per-client limits (`ClientLimits`) key on.
public struct NodeRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The TCP peer; nil only for requests that did not come over a socket.
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}
