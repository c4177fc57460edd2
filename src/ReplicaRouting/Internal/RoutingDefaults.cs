namespace ReplicaRouting.Internal;

/// <summary>Default option values, in one place so docs, options and validation agree.</summary>
internal static class RoutingDefaults
{
    public const ReadConsistency Consistency = ReadConsistency.ReadYourWrites;
    public const ReadYourWritesStrategy ReadYourWrites = ReadYourWritesStrategy.WaitForGtid;
    public static readonly TimeSpan CausalReadTimeout = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan MaxCausalReadTimeout = TimeSpan.FromMinutes(1);
    public const SessionlessReads SessionlessReads = ReplicaRouting.SessionlessReads.DataSource;
    public const CausalReadPolicy CausalReadPolicy = ReplicaRouting.CausalReadPolicy.Adaptive;
    public static readonly TimeSpan CausalWaitBudget = TimeSpan.FromMilliseconds(50);
    public static readonly TimeSpan PrimaryAfterWriteWindow = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan MaxPrimaryAfterWriteWindow = TimeSpan.FromHours(1);
    public static readonly TimeSpan TokenLifetime = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan MaxTokenLifetime = TimeSpan.FromDays(1);

    /// <summary>A token issued this far in the future (clock skew between servers) is still accepted.</summary>
    public static readonly TimeSpan TokenClockSkew = TimeSpan.FromMinutes(1);
    public const ReplicaSelectionPolicy ReplicaSelection = ReplicaSelectionPolicy.RoundRobin;
    public static readonly TimeSpan FailedReplicaBackoff = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan MaxFailedReplicaBackoff = TimeSpan.FromHours(1);
    public static readonly TimeSpan MaxReplicaLag = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan MaxStaleness = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan TopologyProbeInterval = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan TopologyProbeTimeout = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>The largest MaxConcurrentCausalWaits / MaxConcurrentPrimaryFallbacks (MySqlConnector's pools hold at most this many too).</summary>
    public const int MaxConcurrencyLimit = 100_000;

    /// <summary>How long a position the primary lacks is remembered (at least; at most twice this), and how often that is logged.</summary>
    public static readonly TimeSpan RejectedPositionMemory = TimeSpan.FromSeconds(10);

    /// <summary>How many rejected positions one memory bucket holds (two buckets; 16 bytes each).</summary>
    public const int RejectedPositionCapacity = 4096;
}
