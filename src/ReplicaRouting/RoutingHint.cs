namespace ReplicaRouting;

/// <summary>A per-command instruction that overrides the automatic choice.</summary>
public enum RoutingHint
{
    /// <summary>Route automatically.</summary>
    None,

    /// <summary>Run on the primary, whatever the statement is. Same effect as a leading <c>-- ReplicaRouting:ReadFromPrimary</c> comment.</summary>
    ReadFromPrimary,

    /// <summary>
    /// A read that may see any replica's data, ignoring what the session wrote (reports, dashboards): no GTID wait, no
    /// primary-after-write. Statements that need the primary still go there.
    /// </summary>
    ReadFromAnyReplica,
}
