import Asyncio
import ServiceLifecycle

/// An ``Asyncio/EventLoopGroup`` — its loops and the servers started on it — as a swift-service-lifecycle
/// `Service`, so that a `ServiceGroup` shuts it down gracefully on `SIGTERM`/`SIGINT` (or when another
/// service of the group ends).
///
/// ```swift
/// let group = try EventLoopGroup()
/// // start servers on the group ...
/// let services = ServiceGroup(
///     services: [EventLoopGroupService(group, gracePeriod: .seconds(10))],
///     gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
/// try await services.run()
/// ```
///
/// `run()` returns once every loop of the group is closed. On graceful shutdown it calls
/// ``Asyncio/EventLoopGroup/requestShutdown(gracePeriod:)`` with ``gracePeriod``: every loop runs its
/// graceful-shutdown work (servers stop accepting and let in-flight work finish within the grace
/// period), cancels what is left and closes. If the `run()` task is cancelled (the service group gave
/// up waiting), the group shuts down with no grace period. A single loop is a group of one
/// (`EventLoopGroup(loops: 1)`).
public struct EventLoopGroupService: Service, CustomStringConvertible {
    /// The group this service runs.
    public let group: EventLoopGroup
    /// How long the group's servers get to finish in-flight work on graceful shutdown.
    public let gracePeriod: Duration

    /// A service that runs `group` until the service group shuts it down.
    public init(_ group: EventLoopGroup, gracePeriod: Duration = .seconds(10)) {
        self.group = group
        self.gracePeriod = gracePeriod
    }

    /// Waits until the group is shut down (by the service group's graceful shutdown, by cancellation,
    /// or by anyone calling `requestShutdown`).
    public func run() async throws {
        let group = group, gracePeriod = gracePeriod
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await group.waitUntilShutDown()
            } onGracefulShutdown: {
                group.requestShutdown(gracePeriod: gracePeriod)
            }
        } onCancel: {
            group.requestShutdown(gracePeriod: .zero)
        }
    }

    /// A description for logs and debugging.
    public var description: String { "EventLoopGroupService(loops: \(group.loops.count))" }
}
