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

    [LoggerMessage(EventIds.TokenPositionStillNotOnPrimary, LogLevel.Information, "Ignored {Count} session positions the primary does not have, already checked in the last {Interval} (a replayed token from before a failover, or forged): reads do not wait for them and no token is sent back")]
    public static partial void TokenPositionStillNotOnPrimary(ILogger logger, int count, TimeSpan interval);

    [LoggerMessage(EventIds.CausalWaitShed, LogLevel.Warning, "{Count} causal reads did not wait on a replica: MaxConcurrentCausalWaits ({Limit}) waits were running; they read the primary instead")]
    public static partial void CausalWaitShed(ILogger logger, int count, int limit);

    [LoggerMessage(EventIds.PrimaryFallbackShed, LogLevel.Warning, "{Count} causal reads were refused: no replica could serve them and MaxConcurrentPrimaryFallbacks ({Limit}) connections already read the primary {Node} for such reads")]
    public static partial void PrimaryFallbackShed(ILogger logger, int count, int limit, string node);

    [LoggerMessage(EventIds.ReplicaConnectFailed, LogLevel.Warning, "Could not connect to replica {Node}; it is skipped for {Backoff}")]
    public static partial void ReplicaConnectFailed(ILogger logger, Exception exception, string node, TimeSpan backoff);

    [LoggerMessage(EventIds.NodeChanged, LogLevel.Information, "Node {Node} is now {Role}/{State} (was {PreviousRole}/{PreviousState}) {Detail}")]
    public static partial void NodeChanged(ILogger logger, string node, NodeRole previousRole, NodeState previousState, NodeRole role, NodeState state, string detail);

    [LoggerMessage(EventIds.PrimaryChanged, LogLevel.Warning, "Failover: writes now go to {Node} (the primary was {Previous})")]
    public static partial void PrimaryChanged(ILogger logger, string previous, string node);

    [LoggerMessage(EventIds.NoWritablePrimary, LogLevel.Error, "No primary: {Problem}. Writes fail fast until one is seen; reads go on from replicas")]
    public static partial void NoWritablePrimary(ILogger logger, string problem);

    [LoggerMessage(EventIds.SplitBrain, LogLevel.Critical, "SPLIT BRAIN: {Problem}")]
    public static partial void SplitBrain(ILogger logger, string problem);

    [LoggerMessage(EventIds.WriterRefusedAsReadOnly, LogLevel.Warning, "The primary {Node} refused a write as read-only: it was demoted; the topology is probed now")]
    public static partial void WriterRefusedAsReadOnly(ILogger logger, string node);

    [LoggerMessage(EventIds.PoolCleared, LogLevel.Information, "Cleared the connection pool of {Node}")]
    public static partial void PoolCleared(ILogger logger, string node);

    [LoggerMessage(EventIds.PoolClearFailed, LogLevel.Warning, "Could not clear the connection pool of {Node}")]
    public static partial void PoolClearFailed(ILogger logger, Exception exception, string node);

    [LoggerMessage(EventIds.ProbeRoundFailed, LogLevel.Error, "A topology probe round failed; the monitor goes on")]
    public static partial void ProbeRoundFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventIds.HeartbeatTableMissing, LogLevel.Warning, "The heartbeat table {Table} does not exist on {Node}: lag comes from Seconds_Behind_* (whole seconds) instead")]
    public static partial void HeartbeatTableMissing(ILogger logger, string table, string node);

    [LoggerMessage(EventIds.HeartbeatWriteFailed, LogLevel.Warning, "Could not write the heartbeat on {Node}")]
    public static partial void HeartbeatWriteFailed(ILogger logger, Exception exception, string node);

    [LoggerMessage(EventIds.HeartbeatWaitingForDatabase, LogLevel.Information,
        "The heartbeat is not written yet: the configured database does not exist on {Node} (it is written once the database is created)")]
    public static partial void HeartbeatWaitingForDatabase(ILogger logger, string node);

    [LoggerMessage(EventIds.ReplicaReadFailed, LogLevel.Warning, "A read failed on replica {Node} before returning rows; it is retried on {Next}")]
    public static partial void ReplicaReadFailed(ILogger logger, Exception exception, string node, string next);

    [LoggerMessage(EventIds.ReadRefusedByReplica, LogLevel.Information, "Replica {Node} refused a statement routed as a read because it writes (a stored function that modifies data?); it runs on the primary {Primary} and counts as a write. Hint it with ReadFromPrimary to skip the refusal")]
    public static partial void ReadRefusedByReplica(ILogger logger, string node, string primary);

    [LoggerMessage(EventIds.RoutinesLoadFailed, LogLevel.Warning, "Could not read the stored functions of {Node} (information_schema.ROUTINES): calls to them are judged by the last catalog read")]
    public static partial void RoutinesLoadFailed(ILogger logger, Exception exception, string node);
    [LoggerMessage(EventIds.SessionNotCurrent, LogLevel.Warning, "A routing session was used where it is not the current one: it was begun in another async flow (an async method that returned it?), so the commands here did not use it and their reads may have been stale. Begin it in the calling method, use ReplicaRoutingDataSource.RunInSessionAsync, or bind it with ReplicaRoutingConnection.Session")]
    public static partial void SessionNotCurrent(ILogger logger);

    [LoggerMessage(EventIds.WriteOutcomeUnknown, LogLevel.Error, "The connection to the primary {Node} broke while a write or COMMIT was in flight: its outcome is unknown and it is not retried")]
    public static partial void WriteOutcomeUnknown(ILogger logger, Exception exception, string node);

    [LoggerMessage(EventIds.MultiPrimaryWriterChosen, LogLevel.Information, "Multi-primary group: writes go to {Node}, the first configured member that is ONLINE with quorum (one writer, so the application's own writes never conflict in certification)")]
    public static partial void MultiPrimaryWriterChosen(ILogger logger, string node);
}

/// <summary>Event id ranges per area: 1000–1099 routing, 1100–1199 nodes and connections, 1200–1299 sessions and tokens.</summary>
internal static class EventIds
{
    public const int CommandRouted = 1000;
    public const int NoReplicaAvailable = 1001;
    public const int CausalWaitTimedOut = 1002;
    public const int ReadRefusedByReplica = 1003;
    public const int CausalWaitShed = 1004;
    public const int PrimaryFallbackShed = 1005;
    public const int GtidCaptureUnavailable = 1200;
    public const int TokenMalformed = 1201;
    public const int TokenForeign = 1202;
    public const int TokenWrongFlavor = 1203;
    public const int TokenExpired = 1204;
    public const int TokenPositionNotOnPrimary = 1205;
    public const int TokenPositionStillNotOnPrimary = 1206;
    public const int SessionNotCurrent = 1207;
    public const int ReplicaConnectFailed = 1100;
    public const int NodeChanged = 1101;
    public const int PrimaryChanged = 1102;
    public const int NoWritablePrimary = 1103;
    public const int SplitBrain = 1104;
    public const int WriterRefusedAsReadOnly = 1105;
    public const int PoolCleared = 1106;
    public const int PoolClearFailed = 1107;
    public const int ProbeRoundFailed = 1108;
    public const int HeartbeatTableMissing = 1109;
    public const int HeartbeatWriteFailed = 1110;
    public const int ReplicaReadFailed = 1111;
    public const int WriteOutcomeUnknown = 1112;
    public const int RoutinesLoadFailed = 1113;
    public const int MultiPrimaryWriterChosen = 1120;   // 1120-1129: MySQL Group Replication
    public const int HeartbeatWaitingForDatabase = 1130;
}
