using System.ComponentModel.DataAnnotations;
using ReplicaRouting.Internal;

namespace ReplicaRouting;

/// <summary>How a <see cref="ReplicaRoutingDataSource"/> routes commands.</summary>
public sealed class ReplicaRoutingOptions
{
    /// <summary>Gets or sets how reads may use replicas.</summary>
    /// <value>The default value is <see cref="ReadConsistency.Primary"/>: nothing is read from a replica unless asked for.</value>
    public ReadConsistency Consistency { get; set; } = RoutingDefaults.Consistency;

    /// <summary>Gets or sets how a replica is chosen among the eligible ones.</summary>
    /// <value>The default value is <see cref="ReplicaSelectionPolicy.RoundRobin"/>.</value>
    public ReplicaSelectionPolicy ReplicaSelection { get; set; } = RoutingDefaults.ReplicaSelection;

    /// <summary>Gets or sets how long a replica that could not be connected to is skipped before it is tried again.</summary>
    /// <value>The default value is 5 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan FailedReplicaBackoff { get; set; } = RoutingDefaults.FailedReplicaBackoff;
}
