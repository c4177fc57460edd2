using System.ComponentModel.DataAnnotations;
using ReplicaRouting.Internal;

namespace ReplicaRouting;

/// <summary>How a <see cref="ReplicaRoutingDataSource"/> routes commands.</summary>
public sealed class ReplicaRoutingOptions
{
    /// <summary>Gets or sets how reads may use replicas.</summary>
    /// <value>The default value is <see cref="ReadConsistency.ReadYourWrites"/>.</value>
    public ReadConsistency Consistency { get; set; } = RoutingDefaults.Consistency;

    /// <summary>Gets or sets how <see cref="ReadConsistency.ReadYourWrites"/> is ensured.</summary>
    /// <value>The default value is <see cref="ReadYourWritesStrategy.WaitForGtid"/>.</value>
    public ReadYourWritesStrategy ReadYourWrites { get; set; } = RoutingDefaults.ReadYourWrites;

    /// <summary>
    /// Gets or sets the longest a read waits on a replica for the session's GTID before it runs on the primary instead.
    /// This application setting is the only cap: nothing in a token can lengthen it.
    /// </summary>
    /// <value>The default value is 1 second.</value>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:01:00")]
    public TimeSpan CausalReadTimeout { get; set; } = RoutingDefaults.CausalReadTimeout;

    /// <summary>
    /// Gets or sets how long after a session's last write its reads go to the primary under
    /// <see cref="ReadYourWritesStrategy.PrimaryAfterWrite"/>, and under <see cref="ReadYourWritesStrategy.WaitForGtid"/>
    /// when a write's GTID could not be captured.
    /// </summary>
    /// <value>The default value is 5 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan PrimaryAfterWriteWindow { get; set; } = RoutingDefaults.PrimaryAfterWriteWindow;

    /// <summary>
    /// Gets or sets the name of the cluster, written into consistency tokens so a token from another database is ignored.
    /// 1–64 characters of <c>[A-Za-z0-9_-]</c>; <see langword="null"/> derives one from the configured servers and database.
    /// </summary>
    /// <value>The default value is <see langword="null"/> (derived).</value>
    public string? ClusterId { get; set; }

    /// <summary>Gets or sets how long a consistency token is honoured after it was issued (its last write).</summary>
    /// <value>The default value is 5 minutes.</value>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan TokenLifetime { get; set; } = RoutingDefaults.TokenLifetime;

    /// <summary>Gets or sets how a replica is chosen among the eligible ones.</summary>
    /// <value>The default value is <see cref="ReplicaSelectionPolicy.RoundRobin"/>.</value>
    public ReplicaSelectionPolicy ReplicaSelection { get; set; } = RoutingDefaults.ReplicaSelection;

    /// <summary>Gets or sets how long a replica that could not be connected to is skipped before it is tried again.</summary>
    /// <value>The default value is 5 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan FailedReplicaBackoff { get; set; } = RoutingDefaults.FailedReplicaBackoff;
}
