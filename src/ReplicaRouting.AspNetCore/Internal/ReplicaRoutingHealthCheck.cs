using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ReplicaRouting.AspNetCore.Internal;

/// <summary>Health from the monitor's snapshot, plus the (cached) topology audit.</summary>
internal sealed class ReplicaRoutingHealthCheck(ReplicaRoutingDataSource dataSource, TimeSpan auditInterval, TimeProvider timeProvider) : IHealthCheck
{
    // Shared by every instance for this data source: health check instances are created per check run.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<ReplicaRoutingDataSource, AuditCache> s_audits = new();

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var topology = dataSource.Topology;
        var data = new Dictionary<string, object>(StringComparer.Ordinal);
        var degraded = new List<string>();
        foreach (var node in topology.Nodes)
        {
            data[node.Endpoint] = $"{node.Role}/{node.State}" + (node.Lag is { } lag ? $" lag={lag.TotalMilliseconds:0}ms" : "") + (node.LastError is { } error ? $" ({error})" : "");
            if (node.Role == NodeRole.Replica && node.State is not (NodeState.Healthy or NodeState.Unknown))
                degraded.Add($"replica {node.Endpoint} is {node.State}" + (node.LastError is { } why ? $": {why}" : ""));
            if (node.Role == NodeRole.Replica && node.State == NodeState.Unknown && node.LastError is not null)
                degraded.Add($"replica {node.Endpoint} has not answered: {node.LastError}");
            if (node is { Role: NodeRole.Demoted, State: NodeState.Broken })   // a cluster member out of service (left its group, lost quorum)
                degraded.Add($"{node.Endpoint} is out of service: {node.LastError}");
            if (node.SemiSyncDowngraded)
                degraded.Add($"semi-synchronous replication on {node.Endpoint} has fallen back to asynchronous: acknowledged writes could be lost in a failover");
        }

        if (auditInterval > TimeSpan.Zero)
        {
            foreach (var finding in await AuditAsync(cancellationToken).ConfigureAwait(false))
            {
                data[$"audit:{finding.Check}:{finding.Node}"] = $"{finding.Severity}: {finding.Message}";
                if (finding.Severity >= FindingSeverity.Warning)
                    degraded.Add($"audit {finding.Severity} on {(finding.Node.Length == 0 ? "the cluster" : finding.Node)}: {finding.Check}");
            }
        }

        if (topology.Primary is null)
            return new HealthCheckResult(context.Registration.FailureStatus, $"No writable primary: {topology.Problem}", data: data);
        if (degraded.Count > 0)
            return HealthCheckResult.Degraded(string.Join("; ", degraded), data: data);
        return HealthCheckResult.Healthy($"Primary {topology.Primary.Endpoint}; {topology.Nodes.Count(n => n.Role == NodeRole.Replica && n.State == NodeState.Healthy)} healthy replica(s)", data);
    }

    private async Task<IReadOnlyList<TopologyFinding>> AuditAsync(CancellationToken cancellationToken)
    {
        var cache = s_audits.GetValue(dataSource, _ => new AuditCache());
        var now = timeProvider.GetUtcNow();
        if (cache.Findings is { } findings && now - cache.TakenAt < auditInterval)
            return findings;
        try
        {
            findings = await dataSource.AuditTopologyAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            findings = [new TopologyFinding(FindingSeverity.Warning, "", "audit", $"The topology audit failed: {ex.Message}")];
        }

        (cache.Findings, cache.TakenAt) = (findings, now);
        return findings;
    }

    private sealed class AuditCache
    {
        public IReadOnlyList<TopologyFinding>? Findings { get; set; }

        public DateTimeOffset TakenAt { get; set; }
    }
}
