namespace ReplicaRouting;

/// <summary>How a read that needs a GTID position picks between a replica and the primary.</summary>
public enum CausalReadPolicy
{
    /// <summary>
    /// A replica known to have the position, without a wait; else a wait of at most <see cref="ReplicaRoutingOptions.CausalWaitBudget"/>
    /// on a replica expected to have it by now (from its measured lag and the waits it answered); else the primary at once.
    /// Never a wait the monitor already knows is futile. The default.
    /// </summary>
    Adaptive,

    /// <summary>A replica known to have the position, else a wait of up to <see cref="ReplicaRoutingOptions.CausalReadTimeout"/> on a replica.</summary>
    Wait,

    /// <summary>Never wait: a replica known to have the position, else the primary.</summary>
    Fast,
}
