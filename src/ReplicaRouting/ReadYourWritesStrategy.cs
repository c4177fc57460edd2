namespace ReplicaRouting;

/// <summary>How <see cref="ReadConsistency.ReadYourWrites"/> keeps a session's reads at least as new as its writes.</summary>
public enum ReadYourWritesStrategy
{
    /// <summary>
    /// GTID-tracked reads (the default): each write's GTID is captured in the same round trip; a later read goes to a
    /// replica known to have applied it, or waits for it there in the same round trip as the query (up to
    /// <see cref="ReplicaRoutingOptions.CausalReadTimeout"/>), or else runs on the primary.
    /// </summary>
    WaitForGtid,

    /// <summary>
    /// Sticky primary: for <see cref="ReplicaRoutingOptions.PrimaryAfterWriteWindow"/> after a session's last write, its
    /// reads go to the primary. For servers without GTIDs; it assumes replicas catch up within the window.
    /// </summary>
    PrimaryAfterWrite,
}
