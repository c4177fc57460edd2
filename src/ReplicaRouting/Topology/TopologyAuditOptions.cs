using System.ComponentModel.DataAnnotations;

namespace ReplicaRouting;

/// <summary>What a topology audit expects of the servers, and how long it waits for each.</summary>
public sealed class TopologyAuditOptions
{
    /// <summary>
    /// Gets or sets the longest a replica may be down and still catch up. Every node's binary logs must be kept longer than
    /// this: a replica that comes back after the logs it needs were purged cannot resume and must be rebuilt.
    /// </summary>
    /// <value>The default value is 1 day.</value>
    [Range(typeof(TimeSpan), "00:00:01", "3650.00:00:00")]
    public TimeSpan MaxReplicaDowntime { get; set; } = TimeSpan.FromDays(1);

    /// <summary>
    /// Gets or sets how long the audit waits for one node (connecting and reading its settings) before it reports the
    /// node unreachable. Nodes are audited in parallel, so this also bounds the whole audit.
    /// </summary>
    /// <value>The default value is 10 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan NodeTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
