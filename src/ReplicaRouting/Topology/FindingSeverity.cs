namespace ReplicaRouting;

/// <summary>How much a <see cref="TopologyFinding"/> matters.</summary>
public enum FindingSeverity
{
    /// <summary>A note: nothing is wrong now, but a setting is worth knowing about (for example single-threaded apply).</summary>
    Info,

    /// <summary>The topology works, but a crash, a failover or an outage would cost data, time or safety.</summary>
    Warning,

    /// <summary>Broken now, or unsafe to route to: stale or lost reads, writes landing on a replica, replication stopped.</summary>
    Critical,
}
