namespace ReplicaRouting;

/// <summary>How usable a server is, as the topology monitor last saw it.</summary>
public enum NodeState
{
    /// <summary>Not probed yet: routing treats it as configured until the first probe answers.</summary>
    Unknown,

    /// <summary>Reachable; for a replica, both replication threads run without error and its lag is within <see cref="ReplicaRoutingOptions.MaxReplicaLag"/>.</summary>
    Healthy,

    /// <summary>A replica whose lag is above <see cref="ReplicaRoutingOptions.MaxReplicaLag"/>, or unknown (<c>Seconds_Behind_*</c> is NULL): it gets no reads.</summary>
    Lagging,

    /// <summary>A replica whose replication thread is stopped or failed with an error: it gets no reads until it runs again.</summary>
    Broken,

    /// <summary>The probe could not connect or did not get an answer in time.</summary>
    Unreachable,
}
