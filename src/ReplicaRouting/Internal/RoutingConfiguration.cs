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
        if (!Enum.IsDefined(options.Consistency))
            throw new ArgumentException($"ReplicaRoutingOptions.{nameof(options.Consistency)} has an unknown value '{options.Consistency}'.", nameof(options.Consistency));
        if (!Enum.IsDefined(options.ReplicaSelection))
            throw new ArgumentException($"ReplicaRoutingOptions.{nameof(options.ReplicaSelection)} has an unknown value '{options.ReplicaSelection}'.", nameof(options.ReplicaSelection));
        if (!Enum.IsDefined(options.ReadYourWrites))
            throw new ArgumentException($"ReplicaRoutingOptions.{nameof(options.ReadYourWrites)} has an unknown value '{options.ReadYourWrites}'.", nameof(options.ReadYourWrites));
        CheckRange(options.CausalReadTimeout, TimeSpan.FromMilliseconds(1), RoutingDefaults.MaxCausalReadTimeout, nameof(options.CausalReadTimeout));
        CheckRange(options.PrimaryAfterWriteWindow, TimeSpan.Zero, RoutingDefaults.MaxPrimaryAfterWriteWindow, nameof(options.PrimaryAfterWriteWindow));
        CheckRange(options.TokenLifetime, TimeSpan.FromSeconds(1), RoutingDefaults.MaxTokenLifetime, nameof(options.TokenLifetime));
        if (options.ClusterId is { } clusterId && !ConsistencyToken.IsValidClusterId(clusterId))
            throw new ArgumentException($"ReplicaRoutingOptions.{nameof(options.ClusterId)} '{clusterId}' must be 1–64 characters of [A-Za-z0-9_-].", nameof(options.ClusterId));
        if (options.FailedReplicaBackoff < TimeSpan.Zero || options.FailedReplicaBackoff > RoutingDefaults.MaxFailedReplicaBackoff)
            throw new ArgumentOutOfRangeException(nameof(options.FailedReplicaBackoff), options.FailedReplicaBackoff, $"ReplicaRoutingOptions.{nameof(options.FailedReplicaBackoff)} must be between 0 and {RoutingDefaults.MaxFailedReplicaBackoff}.");
        return options;
    }

    private static void CheckRange(TimeSpan value, TimeSpan min, TimeSpan max, string name)
    {
        if (value < min || value > max)
            throw new ArgumentOutOfRangeException(name, value, $"ReplicaRoutingOptions.{name} must be between {min} and {max}.");
    }
}
