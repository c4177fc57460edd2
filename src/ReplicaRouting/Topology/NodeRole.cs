namespace ReplicaRouting;

/// <summary>What a configured server is doing, as the topology monitor last saw it.</summary>
public enum NodeRole
{
    /// <summary>Not probed yet, or never reached: assumed to be what it was configured as.</summary>
    Unknown,

    /// <summary>Writable (<c>read_only</c> is off): the node writes go to, when it is the only one.</summary>
    Primary,

    /// <summary>Read-only and replicating from a source: serves reads while it is healthy.</summary>
    Replica,

    /// <summary>Read-only and not replicating (a primary that was demoted, or a replica whose replication was reset): gets neither reads nor writes.</summary>
    Demoted,
}
