using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using ReplicaRouting.IntegrationTests.Infrastructure;

namespace ReplicaRouting.IntegrationTests.AspNetCore;

/// <summary>The health check reads the monitor's snapshot of the real topology (and the audit when asked to).</summary>
public abstract class HealthCheckTests(TopologyFixture topology)
{
    private readonly ReplicaControl _replicas = new(topology);

    [Fact]
    public async Task A_healthy_topology_is_healthy_and_lists_every_node()
    {
        await using var provider = Services(topology.Config.PrimaryEndpoint, audit: false);
        await provider.GetRequiredService<ReplicaRoutingDataSource>().RefreshTopologyAsync();

        var entry = await CheckAsync(provider);
        Assert.Equal(HealthStatus.Healthy, entry.Status);
        Assert.Equal(topology.Config.Nodes.Count, entry.Data.Count);
        Assert.Contains("Replica/Healthy", (string)entry.Data[topology.Config.ReplicaEndpoints[0]]);
    }

    [Fact]
    public async Task A_broken_replica_makes_it_degraded()
    {
        await using var provider = Services(topology.Config.PrimaryEndpoint, audit: false);
        var stopped = topology.Config.ReplicaEndpoints[1];
        await _replicas.StopApplyAsync(stopped);
        try
        {
            await provider.GetRequiredService<ReplicaRoutingDataSource>().RefreshTopologyAsync();
            var entry = await CheckAsync(provider);
            Assert.Equal(HealthStatus.Degraded, entry.Status);
            Assert.Contains(stopped, entry.Description);
        }
        finally
        {
            await _replicas.StartApplyAsync(stopped);
            await topology.WaitForReplicasAsync();
        }
    }

    [Fact]
    public async Task No_reachable_primary_is_unhealthy()
    {
        // The configured primary is a port nobody listens on; the real replicas are read-only: no node is writable.
        await using var provider = Services(TopologyConfig.ClosedEndpoint(), audit: false);
        await provider.GetRequiredService<ReplicaRoutingDataSource>().RefreshTopologyAsync();

        var entry = await CheckAsync(provider);
        Assert.Equal(HealthStatus.Unhealthy, entry.Status);
        Assert.Contains("No writable primary", entry.Description);
    }

    [Fact]
    public async Task Audit_findings_are_reported_in_the_data()
    {
        await using var provider = Services(topology.Config.PrimaryEndpoint, audit: true);
        var stopped = topology.Config.ReplicaEndpoints[0];
        await _replicas.StopApplyAsync(stopped);
        try
        {
            var entry = await CheckAsync(provider);
            Assert.Equal(HealthStatus.Degraded, entry.Status);
            Assert.Contains($"audit:replication_threads:{stopped}", entry.Data.Keys);
        }
        finally
        {
            await _replicas.StartApplyAsync(stopped);
            await topology.WaitForReplicasAsync();
        }
    }

    private ServiceProvider Services(string primaryEndpoint, bool audit)
    {
        var services = new ServiceCollection().AddLogging();
        services.AddReplicaRouting(o =>
        {
            o.Primary = topology.Config.ConnectionString(primaryEndpoint);
            foreach (var replica in topology.Config.ReplicaEndpoints)
                o.Replicas.Add(topology.Config.ConnectionString(replica));
            o.Routing.TopologyMonitor = false;   // each test probes explicitly, so the snapshot is the one it set up
        });
        services.AddHealthChecks().AddReplicaRouting(auditInterval: audit ? TimeSpan.FromMinutes(5) : TimeSpan.Zero);
        return services.BuildServiceProvider();
    }

    private static async Task<HealthReportEntry> CheckAsync(IServiceProvider provider)
    {
        var report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        return report.Entries["replicarouting"];
    }
}

[Collection(TopologyConfig.MariaDb), Trait("Flavor", TopologyConfig.MariaDb)]
public sealed class MariaDbHealthCheckTests(MariaDbTopology topology) : HealthCheckTests(topology);

[Collection(TopologyConfig.MySql), Trait("Flavor", TopologyConfig.MySql)]
public sealed class MySqlHealthCheckTests(MySqlTopology topology) : HealthCheckTests(topology);
