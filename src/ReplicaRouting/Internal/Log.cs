using Microsoft.Extensions.Logging;

namespace ReplicaRouting.Internal;

/// <summary>Every log message of the library, with stable event ids (see <see cref="EventIds"/>).</summary>
internal static partial class Log
{
    [LoggerMessage(EventIds.CommandRouted, LogLevel.Trace, "Routed a {Kind} statement to {Target} {Node}: {Reason}")]
    public static partial void CommandRouted(ILogger logger, StatementKind kind, RouteTarget target, string node, RoutingReason reason);

    [LoggerMessage(EventIds.NoReplicaAvailable, LogLevel.Debug, "No replica is available; the read goes to the primary {Node}")]
    public static partial void NoReplicaAvailable(ILogger logger, string node);

    [LoggerMessage(EventIds.ReplicaConnectFailed, LogLevel.Warning, "Could not connect to replica {Node}; it is skipped for {Backoff}")]
    public static partial void ReplicaConnectFailed(ILogger logger, Exception exception, string node, TimeSpan backoff);
}

/// <summary>Event id ranges per area: 1000–1099 routing, 1100–1199 nodes and connections.</summary>
internal static class EventIds
{
    public const int CommandRouted = 1000;
    public const int NoReplicaAvailable = 1001;
    public const int ReplicaConnectFailed = 1100;
}
