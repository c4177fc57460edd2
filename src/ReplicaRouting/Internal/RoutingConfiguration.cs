using Microsoft.Extensions.Logging;

namespace ReplicaRouting.Internal;

/// <summary>The frozen configuration of one data source: validated options, nodes and services.</summary>
internal sealed class RoutingConfiguration
{
    public RoutingConfiguration(ReplicaRoutingOptions options, RoutingNode[] nodes, ILoggerFactory loggerFactory, TimeProvider timeProvider)
    {
        Consistency = options.Consistency;
        FailedReplicaBackoff = options.FailedReplicaBackoff;
        Selector = ReplicaSelector.Create(options.ReplicaSelection);
        Nodes = nodes;
        Primary = nodes[0];
        Replicas = nodes[1..];
        Logger = loggerFactory.CreateLogger("ReplicaRouting");
        TimeProvider = timeProvider;
    }

    public ReadConsistency Consistency { get; }

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
        if (options.FailedReplicaBackoff < TimeSpan.Zero || options.FailedReplicaBackoff > RoutingDefaults.MaxFailedReplicaBackoff)
            throw new ArgumentOutOfRangeException(nameof(options.FailedReplicaBackoff), options.FailedReplicaBackoff, $"ReplicaRoutingOptions.{nameof(options.FailedReplicaBackoff)} must be between 0 and {RoutingDefaults.MaxFailedReplicaBackoff}.");
        return options;
    }
}
