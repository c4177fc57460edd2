using Microsoft.Extensions.Logging;

namespace ReplicaRouting.Internal;

/// <summary>Every log message of the library, with stable event ids (see <see cref="EventIds"/>).</summary>
internal static partial class Log
{
    [LoggerMessage(EventIds.CommandRouted, LogLevel.Trace, "Routed a {Kind} statement to {Target} {Node}: {Reason}")]
    public static partial void CommandRouted(ILogger logger, StatementKind kind, RouteTarget target, string node, RoutingReason reason);

    [LoggerMessage(EventIds.NoReplicaAvailable, LogLevel.Debug, "No replica is available; the read goes to the primary {Node}")]
    public static partial void NoReplicaAvailable(ILogger logger, string node);

    [LoggerMessage(EventIds.CausalWaitTimedOut, LogLevel.Debug, "Replica {Node} did not reach the session's position within {Timeout}; the read runs on the primary")]
    public static partial void CausalWaitTimedOut(ILogger logger, string node, TimeSpan timeout);

    [LoggerMessage(EventIds.GtidCaptureUnavailable, LogLevel.Warning, "The primary {Node} returned no GTID for a write (are GTIDs and the binary log on?); reads after writes go to the primary for {Window} instead")]
    public static partial void GtidCaptureUnavailable(ILogger logger, string node, TimeSpan window);

    [LoggerMessage(EventIds.TokenMalformed, LogLevel.Information, "Ignored a consistency token that is malformed, truncated or oversized ({Length} characters)")]
    public static partial void TokenMalformed(ILogger logger, int length);

    [LoggerMessage(EventIds.TokenForeign, LogLevel.Information, "Ignored a consistency token of cluster '{TokenCluster}' (this is '{Cluster}')")]
    public static partial void TokenForeign(ILogger logger, string tokenCluster, string cluster);

    [LoggerMessage(EventIds.TokenWrongFlavor, LogLevel.Information, "Ignored a consistency token for {TokenFlavor} (the servers are {Flavor})")]
    public static partial void TokenWrongFlavor(ILogger logger, ServerFlavor tokenFlavor, ServerFlavor flavor);

    [LoggerMessage(EventIds.TokenExpired, LogLevel.Information, "Ignored a consistency token issued at {IssuedAt}: outside its lifetime of {Lifetime}")]
    public static partial void TokenExpired(ILogger logger, DateTimeOffset issuedAt, TimeSpan lifetime);

    [LoggerMessage(EventIds.TokenPositionNotOnPrimary, LogLevel.Warning, "Dropped a session position the primary {Node} does not have (lost in a failover, or forged); reads no longer wait for it")]
    public static partial void TokenPositionNotOnPrimary(ILogger logger, string node);

    [LoggerMessage(EventIds.ReplicaConnectFailed, LogLevel.Warning, "Could not connect to replica {Node}; it is skipped for {Backoff}")]
    public static partial void ReplicaConnectFailed(ILogger logger, Exception exception, string node, TimeSpan backoff);
}

/// <summary>Event id ranges per area: 1000–1099 routing, 1100–1199 nodes and connections, 1200–1299 sessions and tokens.</summary>
internal static class EventIds
{
    public const int CommandRouted = 1000;
    public const int NoReplicaAvailable = 1001;
    public const int CausalWaitTimedOut = 1002;
    public const int GtidCaptureUnavailable = 1200;
    public const int TokenMalformed = 1201;
    public const int TokenForeign = 1202;
    public const int TokenWrongFlavor = 1203;
    public const int TokenExpired = 1204;
    public const int TokenPositionNotOnPrimary = 1205;
    public const int ReplicaConnectFailed = 1100;
}
