namespace ReplicaRouting;

/// <summary>How reads are allowed to use replicas.</summary>
public enum ReadConsistency
{
    /// <summary>No split: every command goes to the primary; replicas are failover targets only.</summary>
    Primary,

    /// <summary>
    /// Plain read/write split: every replica-eligible read may go to any healthy replica, whatever the session wrote.
    /// A user can see stale data right after a write; choose it only for data where that is acceptable.
    /// </summary>
    Eventual,
}
