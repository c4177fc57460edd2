namespace ReplicaRouting;

/// <summary>One server as the topology monitor last saw it. Immutable.</summary>
/// <param name="Endpoint">The server's <c>host:port</c>.</param>
/// <param name="Role">What it is doing: primary, replica, demoted, or not known yet.</param>
/// <param name="State">How usable it is.</param>
/// <param name="Lag">
/// For a replica: how far behind its source it is, from the heartbeat table when one is configured (sub-second), else
/// <c>Seconds_Behind_*</c> (whole seconds). <see langword="null"/> when unknown, which is never taken as zero.
/// </param>
/// <param name="Position">The GTID position it has applied (a primary: executed), or <see langword="null"/> when unknown.</param>
/// <param name="LastError">Why it is not healthy (probe failure, replication error, stopped thread), or <see langword="null"/>.</param>
/// <param name="ProbedAt">When the last probe answered, or <see langword="null"/> before the first answer.</param>
/// <param name="SemiSyncDowngraded">
/// True when semi-synchronous replication is enabled on this primary but it has fallen back to asynchronous (a replica did
/// not acknowledge in time, or no semi-sync replica is connected): acknowledged writes may then be lost in a failover.
/// </param>
public sealed record NodeStatus(
    string Endpoint,
    NodeRole Role,
    NodeState State,
    TimeSpan? Lag,
    GtidPosition? Position,
    string? LastError,
    DateTimeOffset? ProbedAt,
    bool SemiSyncDowngraded = false)
{
    /// <summary>The status of a node nobody has probed yet.</summary>
    internal static NodeStatus NotProbed(string endpoint, NodeRole configuredRole) =>
        new(endpoint, configuredRole, NodeState.Unknown, Lag: null, Position: null, LastError: null, ProbedAt: null);

    /// <summary>True when <see cref="Lag"/> came from <c>Seconds_Behind_*</c>: whole seconds, so a 1 may mean a few milliseconds.</summary>
    internal bool LagInWholeSeconds { get; init; }

    /// <summary>
    /// How far behind the replica surely is: <see cref="Lag"/>, less the one-second resolution of <c>Seconds_Behind_*</c>
    /// (under a steady stream of writes it reads 1 for a replica milliseconds behind). What adaptive routing predicts with.
    /// </summary>
    internal TimeSpan? SureLag => LagInWholeSeconds && Lag is { } lag ? (lag > TimeSpan.FromSeconds(1) ? lag - TimeSpan.FromSeconds(1) : TimeSpan.Zero) : Lag;
}
