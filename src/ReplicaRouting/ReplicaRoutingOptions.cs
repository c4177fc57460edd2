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
    /// Gets or sets what a read outside any routing session must see: every write this data source made outside a session
    /// (<see cref="ReplicaRouting.SessionlessReads.DataSource"/>), or only its own connection's (<see cref="ReplicaRouting.SessionlessReads.Connection"/>).
    /// </summary>
    /// <value>The default value is <see cref="ReplicaRouting.SessionlessReads.DataSource"/>.</value>
    public SessionlessReads SessionlessReads { get; set; } = RoutingDefaults.SessionlessReads;

    /// <summary>Gets or sets how a read that needs a GTID position picks between a replica and the primary.</summary>
    /// <value>The default value is <see cref="ReplicaRouting.CausalReadPolicy.Adaptive"/>.</value>
    public CausalReadPolicy CausalReadPolicy { get; set; } = RoutingDefaults.CausalReadPolicy;

    /// <summary>
    /// Gets or sets the timeout of the waits <see cref="ReplicaRouting.CausalReadPolicy.Adaptive"/> chooses: only on a replica
    /// expected to have the position already, so a wait that runs out means the estimate was wrong, and the read runs on the primary.
    /// </summary>
    /// <value>The default value is 50 milliseconds.</value>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:01:00")]
    public TimeSpan CausalWaitBudget { get; set; } = RoutingDefaults.CausalWaitBudget;

    /// <summary>
    /// Gets or sets how many causal reads may wait on replicas for a GTID position at once (each holds a replica connection
    /// for up to <see cref="CausalReadTimeout"/>). A causal read beyond the cap does not wait: it reads the primary, as a
    /// primary fallback (see <see cref="MaxConcurrentPrimaryFallbacks"/>).
    /// </summary>
    /// <value>The default value is <see langword="null"/>: half the replicas' connection pools (the sum of their <c>Maximum Pool Size</c>, 100 each by default).</value>
    [Range(1, RoutingDefaults.MaxConcurrencyLimit)]
    public int? MaxConcurrentCausalWaits { get; set; }

    /// <summary>
    /// Gets or sets how many connections may read the primary at once because a causal read gave up on the replicas (its wait
    /// timed out or was shed, or no replica was available). Each such connection holds a primary connection until it closes.
    /// A causal read beyond the cap is not sent: it fails at once with <see cref="ReplicaRoutingOverloadedException"/>, so a
    /// flood of reads that need a position the replicas lack cannot take the primary's pool from writes. Writes are never capped.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: a quarter of the primary's connection pool (its <c>Maximum Pool Size</c>, 100 by default).</value>
    [Range(1, RoutingDefaults.MaxConcurrencyLimit)]
    public int? MaxConcurrentPrimaryFallbacks { get; set; }

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

    /// <summary>
    /// Gets or sets the most a replica may lag behind its source and still get reads. A replica further behind, or whose
    /// lag is unknown, gets none until it catches up. Measured by the topology monitor.
    /// </summary>
    /// <value>The default value is 5 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00.001", "01:00:00")]
    public TimeSpan MaxReplicaLag { get; set; } = RoutingDefaults.MaxReplicaLag;

    /// <summary>
    /// Gets or sets how stale a read may be under <see cref="ReadConsistency.BoundedStaleness"/>: it goes to a replica whose
    /// measured lag plus the age of that measurement is at most this, else to the primary.
    /// </summary>
    /// <value>The default value is 1 second.</value>
    [Range(typeof(TimeSpan), "00:00:00.001", "01:00:00")]
    public TimeSpan MaxStaleness { get; set; } = RoutingDefaults.MaxStaleness;

    /// <summary>
    /// Gets or sets whether a background monitor probes every server (reachability, read_only, replication threads, lag, GTID
    /// position) and routes around what it finds, following a failover to the new primary. It starts with the host under
    /// dependency injection, else with the data source's first connection.
    /// </summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool TopologyMonitor { get; set; } = true;

    /// <summary>Gets or sets how often the topology monitor probes each server (while no writable primary is known, 5 times as often).</summary>
    /// <value>The default value is 1 second.</value>
    [Range(typeof(TimeSpan), "00:00:00.1", "00:01:00")]
    public TimeSpan TopologyProbeInterval { get; set; } = RoutingDefaults.TopologyProbeInterval;

    /// <summary>
    /// Gets or sets how long one probe may take. A server that refuses or drops the connection is unreachable at once; one
    /// that merely does not answer in time is, after two probes in a row.
    /// </summary>
    /// <value>The default value is 1 second.</value>
    [Range(typeof(TimeSpan), "00:00:00.1", "00:01:00")]
    public TimeSpan TopologyProbeTimeout { get; set; } = RoutingDefaults.TopologyProbeTimeout;

    /// <summary>
    /// Gets or sets a pt-heartbeat compatible table (<c>ts</c>, <c>server_id</c> …; optionally <c>schema.table</c>) that gives
    /// replica lag with sub-second precision. <see langword="null"/> measures lag with <c>Seconds_Behind_*</c> (whole seconds).
    /// The table's <c>ts</c> must be written in UTC (<c>pt-heartbeat --utc</c>, or <see cref="WriteHeartbeat"/>).
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? HeartbeatTable { get; set; }

    /// <summary>
    /// Gets or sets whether the monitor itself writes <see cref="HeartbeatTable"/> on the primary every
    /// <see cref="HeartbeatInterval"/> (creating it if needed). Leave it off when pt-heartbeat already writes it.
    /// </summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool WriteHeartbeat { get; set; }

    /// <summary>Gets or sets how often the heartbeat is written when <see cref="WriteHeartbeat"/> is on.</summary>
    /// <value>The default value is 250 milliseconds.</value>
    [Range(typeof(TimeSpan), "00:00:00.05", "00:01:00")]
    public TimeSpan HeartbeatInterval { get; set; } = RoutingDefaults.HeartbeatInterval;
}
