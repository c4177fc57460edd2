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
        PrimaryAfterWriteWindow = options.PrimaryAfterWriteWindow;
        TokenLifetime = options.TokenLifetime;
        ClusterId = options.ClusterId ?? ClusterState.DeriveClusterId(nodes.Select(n => n.Endpoint), database);
        FailedReplicaBackoff = options.FailedReplicaBackoff;
        Selector = ReplicaSelector.Create(options.ReplicaSelection);
        Nodes = nodes;
        Primary = nodes[0];
        Replicas = nodes[1..];
        Logger = loggerFactory.CreateLogger("ReplicaRouting");
        TimeProvider = timeProvider;
    }

    public ReadConsistency Consistency { get; }

    public ReadYourWritesStrategy ReadYourWrites { get; }

    public TimeSpan CausalReadTimeout { get; }

    public TimeSpan PrimaryAfterWriteWindow { get; }

    public TimeSpan TokenLifetime { get; }

    public string ClusterId { get; }

    public TimeSpan FailedReplicaBackoff { get; }

    public ReplicaSelector Selector { get; }

    /// <summary>All nodes: index 0 is the primary.</summary>
    public RoutingNode[] Nodes { get; }

    public RoutingNode Primary { get; }

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
        if (OutOfRange(options.PrimaryAfterWriteWindow, TimeSpan.Zero, RoutingDefaults.MaxPrimaryAfterWriteWindow, prefix, nameof(options.PrimaryAfterWriteWindow)) is { } window)
            yield return (nameof(options.PrimaryAfterWriteWindow), window, true);
        if (OutOfRange(options.TokenLifetime, TimeSpan.FromSeconds(1), RoutingDefaults.MaxTokenLifetime, prefix, nameof(options.TokenLifetime)) is { } lifetime)
            yield return (nameof(options.TokenLifetime), lifetime, true);
        if (options.ClusterId is { } clusterId && !ConsistencyToken.IsValidClusterId(clusterId))
            yield return (nameof(options.ClusterId), $"{prefix}{nameof(options.ClusterId)} '{clusterId}' must be 1–64 characters of [A-Za-z0-9_-].", false);
        if (OutOfRange(options.FailedReplicaBackoff, TimeSpan.Zero, RoutingDefaults.MaxFailedReplicaBackoff, prefix, nameof(options.FailedReplicaBackoff)) is { } backoff)
            yield return (nameof(options.FailedReplicaBackoff), backoff, true);
    }

    private static string? OutOfRange(TimeSpan value, TimeSpan min, TimeSpan max, string prefix, string name) =>
        value < min || value > max ? $"{prefix}{name} must be between {min} and {max} (it is {value})." : null;
}
