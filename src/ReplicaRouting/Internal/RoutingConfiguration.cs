using Microsoft.Extensions.Logging;

namespace ReplicaRouting.Internal;

/// <summary>The frozen configuration of one data source: validated options, nodes and services.</summary>
internal sealed class RoutingConfiguration
{
    public RoutingConfiguration(ReplicaRoutingOptions options, RoutingNode[] nodes, string database, ILoggerFactory loggerFactory, TimeProvider timeProvider)
    {
        Consistency = options.Consistency;
        ReadYourWrites = options.ReadYourWrites;
        CausalReadTimeout = options.CausalReadTimeout;
        CausalReadTimeoutSeconds = options.CausalReadTimeout.TotalSeconds;
        SessionlessReads = options.SessionlessReads;
        CausalReadPolicy = options.CausalReadPolicy;
        CausalWaitBudget = options.CausalWaitBudget;
        CausalWaitBudgetSeconds = options.CausalWaitBudget.TotalSeconds;
        PrimaryAfterWriteWindow = options.PrimaryAfterWriteWindow;
        TokenLifetime = options.TokenLifetime;
        ClusterId = options.ClusterId ?? ClusterState.DeriveClusterId(nodes.Select(n => n.Endpoint), database);
        FailedReplicaBackoff = options.FailedReplicaBackoff;
        MaxReplicaLag = options.MaxReplicaLag;
        MaxStaleness = options.MaxStaleness;
        TopologyMonitor = options.TopologyMonitor;
        TopologyProbeInterval = options.TopologyProbeInterval;
        TopologyProbeTimeout = options.TopologyProbeTimeout;
        HeartbeatTable = options.HeartbeatTable;
        WriteHeartbeat = options.WriteHeartbeat;
        HeartbeatInterval = options.HeartbeatInterval;
        Selector = ReplicaSelector.Create(options.ReplicaSelection);
        Nodes = nodes;
        Primary = nodes[0];
        Replicas = nodes[1..];
        MaxConcurrentCausalWaits = options.MaxConcurrentCausalWaits ?? Math.Max(1, Replicas.Sum(r => MaximumPoolSize(r)) / 2);
        MaxConcurrentPrimaryFallbacks = options.MaxConcurrentPrimaryFallbacks ?? Math.Max(1, MaximumPoolSize(Primary) / 4);
        Logger = loggerFactory.CreateLogger("ReplicaRouting");
        TimeProvider = timeProvider;
    }

    public ReadConsistency Consistency { get; }

    public ReadYourWritesStrategy ReadYourWrites { get; }

    public TimeSpan CausalReadTimeout { get; }

    /// <summary><see cref="CausalReadTimeout"/> in seconds, boxed once (it is a parameter value of every wait).</summary>
    public object CausalReadTimeoutSeconds { get; }

    public SessionlessReads SessionlessReads { get; }

    public CausalReadPolicy CausalReadPolicy { get; }

    public TimeSpan CausalWaitBudget { get; }

    /// <summary><see cref="CausalWaitBudget"/> in seconds, boxed once (the timeout parameter of adaptive waits).</summary>
    public object CausalWaitBudgetSeconds { get; }

    /// <summary>Reads track the writes (and, under Causal, the reads) of their session: read-your-writes or causal.</summary>
    public bool TracksSessions => Consistency is ReadConsistency.ReadYourWrites or ReadConsistency.Causal;

    public TimeSpan PrimaryAfterWriteWindow { get; }

    public TimeSpan TokenLifetime { get; }

    public string ClusterId { get; }

    public TimeSpan FailedReplicaBackoff { get; }

    public TimeSpan MaxReplicaLag { get; }

    public TimeSpan MaxStaleness { get; }

    public bool TopologyMonitor { get; }

    public TimeSpan TopologyProbeInterval { get; }

    public TimeSpan TopologyProbeTimeout { get; }

    public string? HeartbeatTable { get; }

    public bool WriteHeartbeat { get; }

    public TimeSpan HeartbeatInterval { get; }

    public ReplicaSelector Selector { get; }

    /// <summary>The cap on concurrent causal waits: the option, or half the replicas' pools.</summary>
    public int MaxConcurrentCausalWaits { get; }

    /// <summary>The cap on concurrent primary fallbacks of causal reads: the option, or a quarter of the primary's pool.</summary>
    public int MaxConcurrentPrimaryFallbacks { get; }

    /// <summary>All nodes: index 0 is the configured primary.</summary>
    public RoutingNode[] Nodes { get; }

    /// <summary>The node configured as primary: where writes go until the monitor finds otherwise.</summary>
    public RoutingNode Primary { get; }

    /// <summary>The nodes configured as replicas.</summary>
    public RoutingNode[] Replicas { get; }

    public ILogger Logger { get; }

    public TimeProvider TimeProvider { get; }

    /// <summary>Checks option values; a bad one fails with its name, before anything is built.</summary>
    public static ReplicaRoutingOptions Validate(ReplicaRoutingOptions options)
    {
        foreach (var (name, message, outOfRange) in Check(options, "ReplicaRoutingOptions."))
            throw outOfRange ? new ArgumentOutOfRangeException(name, message) : new ArgumentException(message, name);
        return options;
    }

    /// <summary>
    /// Every bad option value, in declaration order: the option's name, a message that starts with <paramref name="prefix"/>
    /// and that name (<c>ReplicaRoutingOptions.</c> for the builder, a configuration path such as <c>ReplicaRouting:Routing:</c>
    /// for start-up validation), and whether the value is out of its range (rather than unknown or malformed).
    /// </summary>
    public static IEnumerable<(string Name, string Message, bool OutOfRange)> Check(ReplicaRoutingOptions options, string prefix)
    {
        if (!Enum.IsDefined(options.Consistency))
            yield return (nameof(options.Consistency), $"{prefix}{nameof(options.Consistency)} has an unknown value '{options.Consistency}'.", false);
        if (!Enum.IsDefined(options.ReplicaSelection))
            yield return (nameof(options.ReplicaSelection), $"{prefix}{nameof(options.ReplicaSelection)} has an unknown value '{options.ReplicaSelection}'.", false);
        if (!Enum.IsDefined(options.ReadYourWrites))
            yield return (nameof(options.ReadYourWrites), $"{prefix}{nameof(options.ReadYourWrites)} has an unknown value '{options.ReadYourWrites}'.", false);
        if (OutOfRange(options.CausalReadTimeout, TimeSpan.FromMilliseconds(1), RoutingDefaults.MaxCausalReadTimeout, prefix, nameof(options.CausalReadTimeout)) is { } causal)
            yield return (nameof(options.CausalReadTimeout), causal, true);
        if (!Enum.IsDefined(options.SessionlessReads))
            yield return (nameof(options.SessionlessReads), $"{prefix}{nameof(options.SessionlessReads)} has an unknown value '{options.SessionlessReads}'.", false);
        if (!Enum.IsDefined(options.CausalReadPolicy))
            yield return (nameof(options.CausalReadPolicy), $"{prefix}{nameof(options.CausalReadPolicy)} has an unknown value '{options.CausalReadPolicy}'.", false);
        if (OutOfRange(options.CausalWaitBudget, TimeSpan.FromMilliseconds(1), RoutingDefaults.MaxCausalReadTimeout, prefix, nameof(options.CausalWaitBudget)) is { } budget)
            yield return (nameof(options.CausalWaitBudget), budget, true);
        if (OutOfRange(options.PrimaryAfterWriteWindow, TimeSpan.Zero, RoutingDefaults.MaxPrimaryAfterWriteWindow, prefix, nameof(options.PrimaryAfterWriteWindow)) is { } window)
            yield return (nameof(options.PrimaryAfterWriteWindow), window, true);
        if (OutOfRange(options.TokenLifetime, TimeSpan.FromSeconds(1), RoutingDefaults.MaxTokenLifetime, prefix, nameof(options.TokenLifetime)) is { } lifetime)
            yield return (nameof(options.TokenLifetime), lifetime, true);
        if (options.ClusterId is { } clusterId && !ConsistencyToken.IsValidClusterId(clusterId))
            yield return (nameof(options.ClusterId), $"{prefix}{nameof(options.ClusterId)} '{clusterId}' must be 1–64 characters of [A-Za-z0-9_-].", false);
        if (OutOfRange(options.FailedReplicaBackoff, TimeSpan.Zero, RoutingDefaults.MaxFailedReplicaBackoff, prefix, nameof(options.FailedReplicaBackoff)) is { } backoff)
            yield return (nameof(options.FailedReplicaBackoff), backoff, true);
        if (OutOfRange(options.MaxReplicaLag, TimeSpan.FromMilliseconds(1), TimeSpan.FromHours(1), prefix, nameof(options.MaxReplicaLag)) is { } lag)
            yield return (nameof(options.MaxReplicaLag), lag, true);
        if (OutOfRange(options.MaxStaleness, TimeSpan.FromMilliseconds(1), TimeSpan.FromHours(1), prefix, nameof(options.MaxStaleness)) is { } stale)
            yield return (nameof(options.MaxStaleness), stale, true);
        if (OutOfRange(options.TopologyProbeInterval, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(1), prefix, nameof(options.TopologyProbeInterval)) is { } interval)
            yield return (nameof(options.TopologyProbeInterval), interval, true);
        if (OutOfRange(options.TopologyProbeTimeout, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(1), prefix, nameof(options.TopologyProbeTimeout)) is { } timeout)
            yield return (nameof(options.TopologyProbeTimeout), timeout, true);
        if (options.HeartbeatTable is { } table && !IsTableName(table))
            yield return (nameof(options.HeartbeatTable), $"{prefix}{nameof(options.HeartbeatTable)} '{table}' must be a table name or schema.table of [A-Za-z0-9_$] (no quotes).", false);
        if (options.WriteHeartbeat && options.HeartbeatTable is null)
            yield return (nameof(options.WriteHeartbeat), $"{prefix}{nameof(options.WriteHeartbeat)} needs {prefix}{nameof(options.HeartbeatTable)}: the table to write.", false);
        if (OutOfRange(options.HeartbeatInterval, TimeSpan.FromMilliseconds(50), TimeSpan.FromMinutes(1), prefix, nameof(options.HeartbeatInterval)) is { } beat)
            yield return (nameof(options.HeartbeatInterval), beat, true);
        if (options.MaxConcurrentCausalWaits is < 1 or > RoutingDefaults.MaxConcurrencyLimit)
            yield return (nameof(options.MaxConcurrentCausalWaits), CountOutOfRange(options.MaxConcurrentCausalWaits.Value, prefix, nameof(options.MaxConcurrentCausalWaits)), true);
        if (options.MaxConcurrentPrimaryFallbacks is < 1 or > RoutingDefaults.MaxConcurrencyLimit)
            yield return (nameof(options.MaxConcurrentPrimaryFallbacks), CountOutOfRange(options.MaxConcurrentPrimaryFallbacks.Value, prefix, nameof(options.MaxConcurrentPrimaryFallbacks)), true);
    }

    private static int MaximumPoolSize(RoutingNode node) =>
        (int)Math.Min(RoutingDefaults.MaxConcurrencyLimit, new MySqlConnector.MySqlConnectionStringBuilder(node.DataSource.ConnectionString).MaximumPoolSize);

    /// <summary>A bare identifier or schema.identifier: it is written into SQL, so nothing that could quote or escape.</summary>
    private static bool IsTableName(string name)
    {
        var parts = name.Split('.');
        return parts.Length <= 2 && parts.All(p => p.Length is > 0 and <= 64 && p.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '$'));
    }

    private static string CountOutOfRange(int value, string prefix, string name) =>
        $"{prefix}{name} must be between 1 and {RoutingDefaults.MaxConcurrencyLimit}, or unset for the default (it is {value}).";

    private static string? OutOfRange(TimeSpan value, TimeSpan min, TimeSpan max, string prefix, string name) =>
        value < min || value > max ? $"{prefix}{name} must be between {min} and {max} (it is {value})." : null;
}
