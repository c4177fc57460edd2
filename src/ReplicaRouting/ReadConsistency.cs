namespace ReplicaRouting;

/// <summary>How reads are allowed to use replicas.</summary>
public enum ReadConsistency
{
    /// <summary>
    /// Read-your-writes (the default): replicas serve reads, except that a session never reads data older than its
    /// own writes. How that is ensured is <see cref="ReplicaRoutingOptions.ReadYourWrites"/>.
    /// </summary>
    ReadYourWrites,

    /// <summary>No split: every command goes to the primary; replicas are failover targets only.</summary>
    Primary,

    /// <summary>
    /// Plain read/write split: every replica-eligible read may go to any healthy replica, whatever the session wrote.
    /// A user can see stale data right after a write; choose it only for data where that is acceptable.
    /// </summary>
    Eventual,

    /// <summary>
    /// Reads go to any replica whose data is at most <see cref="ReplicaRoutingOptions.MaxStaleness"/> old, as measured by
    /// the topology monitor, whatever the session wrote; when no replica is known to be that fresh, to the primary.
    /// </summary>
    BoundedStaleness,

    /// <summary>
    /// Read-your-writes plus monotonic reads: a session (or, outside any session, a logical connection) never reads older
    /// data than its own writes nor than what an earlier read of it already saw. Reads keep to the replica they last read
    /// while it stays readable; a read that must move goes where that state is known to be, or to the primary.
    /// </summary>
    Causal,
}
