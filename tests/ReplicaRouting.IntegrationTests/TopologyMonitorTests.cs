using Dapper;
using ReplicaRouting.IntegrationTests.Infrastructure;

namespace ReplicaRouting.IntegrationTests;

/// <summary>
/// The topology monitor on the real shared topology: what it sees, and how routing follows it when a replica's apply
/// thread stops or a replica falls behind by a real <c>MASTER_DELAY</c>/<c>SOURCE_DELAY</c>. Runs once per flavor.
/// </summary>
public abstract class TopologyMonitorTests(TopologyFixture topology) : IAsyncDisposable
{
    private const string HeartbeatTable = "rr_heartbeat";
    private static readonly TimeSpan HangDetector = TimeSpan.FromSeconds(20);
    private readonly List<ReplicaRoutingDataSource> _dataSources = [];
    private readonly ReplicaControl _replicas = new(topology);

    public async ValueTask DisposeAsync()
    {
        foreach (var dataSource in _dataSources)
            await dataSource.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task A_probe_sees_the_primary_the_replicas_their_positions_and_lag()
    {
        var dataSource = DataSource();
        var topologyNow = await dataSource.RefreshTopologyAsync();

        Assert.Null(topologyNow.Problem);
        Assert.Equal(topology.Config.PrimaryEndpoint, topologyNow.Primary!.Endpoint);
        Assert.Equal(NodeState.Healthy, topologyNow.Primary.State);
        Assert.NotNull(topologyNow.Primary.Position);
        Assert.True(topologyNow.Generation > 0);
        foreach (var endpoint in topology.Config.ReplicaEndpoints)
        {
            var replica = Assert.Single(topologyNow.Nodes, n => n.Endpoint == endpoint);
            Assert.Equal(NodeRole.Replica, replica.Role);
            Assert.Equal(NodeState.Healthy, replica.State);
            Assert.NotNull(replica.Lag);   // Seconds_Behind_* of a running replica: known (NULL would mean unknown)
            Assert.NotNull(replica.Position);
            Assert.NotNull(replica.ProbedAt);
        }
    }

    [Fact]
    public async Task A_replica_whose_apply_thread_stops_gets_no_reads_until_it_runs_again()
    {
        var dataSource = DataSource();
        var stopped = topology.Config.ReplicaEndpoints[0];
        var stoppedId = topology.ReplicaServerIds[0];
        await _replicas.StopApplyAsync(stopped);
        try
        {
            var seen = await dataSource.RefreshTopologyAsync();
            var status = Assert.Single(seen.Nodes, n => n.Endpoint == stopped);
            Assert.Equal(NodeState.Broken, status.State);
            Assert.Contains("SQL", status.LastError);

            var readers = await ServerIdsOfReadsAsync(dataSource, 40);
            Assert.DoesNotContain(stoppedId, readers);
            Assert.Contains(topology.ReplicaServerIds[1], readers);   // the other replica still serves
        }
        finally
        {
            await _replicas.StartApplyAsync(stopped);
            await topology.WaitForReplicasAsync();
        }

        var back = await dataSource.RefreshTopologyAsync();
        Assert.Equal(NodeState.Healthy, Assert.Single(back.Nodes, n => n.Endpoint == stopped).State);
        Assert.Contains(stoppedId, await ServerIdsOfReadsAsync(dataSource, 40));
    }

    [Fact]
    public async Task The_background_monitor_notices_a_stopped_replica_by_itself()
    {
        var dataSource = DataSource(o => o.TopologyMonitor = true);
        await using (await dataSource.OpenConnectionAsync())
        {
            // opening starts the monitor
        }

        var stopped = topology.Config.ReplicaEndpoints[1];
        await _replicas.StopApplyAsync(stopped);
        try
        {
            await WaitUntilAsync(dataSource, t => t.Nodes.Single(n => n.Endpoint == stopped).State == NodeState.Broken);
        }
        finally
        {
            await _replicas.StartApplyAsync(stopped);
            await topology.WaitForReplicasAsync();
        }

        await WaitUntilAsync(dataSource, t => t.Nodes.Single(n => n.Endpoint == stopped).State == NodeState.Healthy);
    }

    [Fact]
    public async Task A_secure_file_priv_refusal_on_the_primary_is_the_statements_error_not_a_demotion()
    {
        // Error 1290 also means "--secure-file-priv" (or --skip-grant-tables …): refused for good, the primary is still the primary.
        var log = new RecordingLoggerFactory();
        var dataSource = topology.CreateDataSource(
            o => o.TopologyMonitor = true,
            extraConnectionOptions: $"User ID={topology.Config.AdminUser};Password={topology.Config.AdminPassword}",   // FILE privilege
            build: b => b.UseLoggerFactory(log));
        _dataSources.Add(dataSource);
        await using var connection = await dataSource.OpenConnectionAsync();
        var refusal = await Assert.ThrowsAsync<MySqlConnector.MySqlException>(() => connection.ExecuteAsync("SELECT 1 INTO OUTFILE '/nonexistent-rr/out.txt'"));
        Assert.Equal(1290, refusal.Number);
        Assert.Contains("secure-file-priv", refusal.Message, StringComparison.Ordinal);
        Assert.False(log.Contains(1105), "the primary was taken for demoted");
        Assert.Equal(topology.Config.PrimaryEndpoint, (await dataSource.RefreshTopologyAsync()).Writer?.Endpoint);
    }

    [Fact]
    public async Task The_heartbeat_waits_quietly_for_a_database_that_does_not_exist_yet_then_writes_there()
    {
        var database = $"rr_test_hb_{Guid.NewGuid():N}"[..24];
        var log = new RecordingLoggerFactory();
        var dataSource = topology.CreateDataSource(
            o =>
            {
                o.TopologyMonitor = true;
                o.TopologyProbeInterval = TimeSpan.FromMilliseconds(100);
                o.HeartbeatTable = HeartbeatTable;
                o.WriteHeartbeat = true;
                o.HeartbeatInterval = TimeSpan.FromMilliseconds(100);
            },
            extraConnectionOptions: $"Database={database}",
            build: b => b.UseLoggerFactory(log));
        await using var admin = await topology.OpenAdminAsync(topology.Config.PrimaryEndpoint);
        try
        {
            await using (await dataSource.OpenConnectionAsync())
            {
                // opening starts the monitor and the heartbeat writer (no physical connection is made: none is needed)
            }

            await WaitForAsync(() => log.Contains(1130));
            await Task.Delay(1000);   // ten more heartbeat intervals without the database
            Assert.Single(log.Entries, e => e.EventId == 1130);
            Assert.False(log.Contains(1110), "a missing database was logged as a failed heartbeat write");

            await admin.ExecuteAsync($"CREATE DATABASE {database}");
            await WaitForAsync(async () => await admin.ExecuteScalarAsync<long>(
                "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = @database AND TABLE_NAME = @table", new { database, table = HeartbeatTable }) == 1
                && await admin.ExecuteScalarAsync<long>($"SELECT COUNT(*) FROM {database}.{HeartbeatTable}") == 1);
            Assert.False(log.Contains(1110));
        }
        finally
        {
            await dataSource.DisposeAsync();
            await admin.ExecuteAsync($"DROP DATABASE IF EXISTS {database}");
        }
    }

    private static async Task WaitForAsync(Func<bool> condition) => await WaitForAsync(() => Task.FromResult(condition()));

    private static async Task WaitForAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition was not met within 15 s");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task Heartbeat_lag_tracks_a_real_delay_and_a_replica_over_MaxReplicaLag_gets_no_reads()
    {
        const int delaySeconds = 3;
        var dataSource = DataSource(o =>
        {
            o.TopologyMonitor = true;
            o.TopologyProbeInterval = TimeSpan.FromMilliseconds(200);
            o.HeartbeatTable = HeartbeatTable;
            o.WriteHeartbeat = true;
            o.MaxReplicaLag = TimeSpan.FromSeconds(1);
        });
        await using (await dataSource.OpenConnectionAsync())
        {
            // opening starts the monitor and the heartbeat writer
        }

        await WaitUntilAsync(dataSource, t => t.Nodes.Where(n => n.Role == NodeRole.Replica).All(n => n.State == NodeState.Healthy && n.Lag < TimeSpan.FromSeconds(1)));

        var delayed = topology.Config.ReplicaEndpoints[0];
        await SetDelayAsync(delayed, delaySeconds);
        try
        {
            await WaitUntilAsync(dataSource, t => t.Nodes.Single(n => n.Endpoint == delayed).Lag > TimeSpan.FromSeconds(delaySeconds - 0.5));

            // Steady state: the replica applies each heartbeat exactly delaySeconds after it was written, and heartbeats
            // come every 250 ms, so the best of several probes is within 250 ms of the delay.
            var samples = new List<TimeSpan>();
            for (var i = 0; i < 8; i++)
            {
                var snapshot = await dataSource.RefreshTopologyAsync();
                samples.Add(snapshot.Nodes.Single(n => n.Endpoint == delayed).Lag!.Value);
                await Task.Delay(150);
            }

            var closest = samples.MinBy(s => Math.Abs((s - TimeSpan.FromSeconds(delaySeconds)).TotalMilliseconds));
            Assert.True(Math.Abs((closest - TimeSpan.FromSeconds(delaySeconds)).TotalMilliseconds) <= 250,
                $"heartbeat lag samples {string.Join(", ", samples.Select(s => $"{s.TotalMilliseconds:0} ms"))} for a {delaySeconds} s delay");

            var status = (await dataSource.RefreshTopologyAsync()).Nodes.Single(n => n.Endpoint == delayed);
            Assert.Equal(NodeState.Lagging, status.State);
            Assert.DoesNotContain(topology.ReplicaServerIds[0], await ServerIdsOfReadsAsync(dataSource, 30));

            // "Stale up to 10 s is fine" may use it; "up to 1 s" may not.
            var allowStale = await ServerIdsOfReadsAsync(dataSource, 30, "/* ReplicaRouting:AllowStale=1s */ ");
            Assert.DoesNotContain(topology.ReplicaServerIds[0], allowStale);
        }
        finally
        {
            await SetDelayAsync(delayed, 0);
            await topology.WaitForReplicasAsync();
        }
    }

    [Fact]
    public async Task Bounded_staleness_reads_go_to_the_primary_when_no_replica_is_fresh_enough()
    {
        var dataSource = DataSource(o =>
        {
            o.Consistency = ReadConsistency.BoundedStaleness;
            o.MaxStaleness = TimeSpan.FromSeconds(2);
        });

        // Not probed yet: no replica is KNOWN to be fresh, so the read is the primary's.
        await using (var connection = await dataSource.OpenConnectionAsync())
        {
            Assert.Equal(topology.PrimaryServerId, await connection.ExecuteScalarAsync<long>("SELECT @@server_id"));
            Assert.Equal(RoutingReason.NoReplicaFreshEnough, connection.LastRoutingDecision!.Value.Reason);
        }

        // Probed, both replicas within 2 s: replicas serve.
        await topology.WaitForReplicasAsync();
        await dataSource.RefreshTopologyAsync();
        await using (var connection = await dataSource.OpenConnectionAsync())
        {
            Assert.True(topology.IsReplica(await connection.ExecuteScalarAsync<long>("SELECT @@server_id")));
            Assert.Equal(RoutingReason.Read, connection.LastRoutingDecision!.Value.Reason);
        }
    }

    [Fact]
    public async Task A_causal_read_goes_without_a_wait_to_a_replica_the_monitor_saw_catch_up()
    {
        var dataSource = DataSource(o => o.Consistency = ReadConsistency.ReadYourWrites);
        using var session = dataSource.BeginSession();
        await using var connection = await dataSource.OpenConnectionAsync();
        var name = Guid.NewGuid().ToString("N");
        await connection.ExecuteAsync("INSERT INTO items (name, written_by) VALUES (@name, @@server_id)", new { name });

        await topology.WaitForReplicasAsync();
        await dataSource.RefreshTopologyAsync();   // the probe reads both replicas' applied positions
        var waitsBefore = dataSource.Configuration.Replicas.Sum(r => r.CausalWaits);

        Assert.Equal(1, await connection.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM items WHERE name = @name", new { name }));
        Assert.Equal(RouteTarget.Replica, connection.LastRoutingDecision!.Value.Target);
        Assert.Equal(RoutingReason.CausalRead, connection.LastRoutingDecision!.Value.Reason);
        Assert.Equal(waitsBefore, dataSource.Configuration.Replicas.Sum(r => r.CausalWaits));
    }

    [Fact]
    public async Task The_audit_reports_a_stopped_apply_thread_through_the_data_source()
    {
        var dataSource = DataSource();
        var stopped = topology.Config.ReplicaEndpoints[0];
        await _replicas.StopApplyAsync(stopped);
        try
        {
            var findings = await dataSource.AuditTopologyAsync();
            Assert.Contains(findings, f => f.Node == stopped && f.Severity == FindingSeverity.Critical && f.Check == "replication_threads");
        }
        finally
        {
            await _replicas.StartApplyAsync(stopped);
            await topology.WaitForReplicasAsync();
        }
    }

    private ReplicaRoutingDataSource DataSource(Action<ReplicaRoutingOptions>? configure = null)
    {
        var dataSource = topology.CreateDataSource(configure);
        _dataSources.Add(dataSource);
        return dataSource;
    }

    private static async Task<HashSet<long>> ServerIdsOfReadsAsync(ReplicaRoutingDataSource dataSource, int reads, string prefix = "")
    {
        var ids = new HashSet<long>();
        for (var i = 0; i < reads; i++)
        {
            await using var connection = await dataSource.OpenConnectionAsync();
            ids.Add(await connection.ExecuteScalarAsync<long>(prefix + "SELECT @@server_id"));
        }

        return ids;
    }

    /// <summary>Polls the published snapshot; the bound only detects a hang (it is no timing assertion).</summary>
    private static async Task WaitUntilAsync(ReplicaRoutingDataSource dataSource, Func<TopologySnapshot, bool> condition)
    {
        var deadline = DateTime.UtcNow + HangDetector;
        while (!condition(dataSource.Topology))
        {
            Assert.True(DateTime.UtcNow < deadline, $"the monitor did not get there within {HangDetector}: {dataSource.Topology}");
            await Task.Delay(50);
        }
    }

    private async Task SetDelayAsync(string replica, int seconds)
    {
        var sql = topology.Flavor == TopologyConfig.MariaDb
            ? $"STOP SLAVE; CHANGE MASTER TO MASTER_DELAY={seconds}; START SLAVE;"
            : $"STOP REPLICA; CHANGE REPLICATION SOURCE TO SOURCE_DELAY={seconds}; START REPLICA;";
        await using var admin = await topology.OpenAdminAsync(replica);
        await admin.ExecuteAsync(sql, commandTimeout: 30);
    }
}

[Collection(TopologyConfig.MariaDb), Trait("Flavor", TopologyConfig.MariaDb)]
public sealed class MariaDbTopologyMonitorTests(MariaDbTopology topology) : TopologyMonitorTests(topology);

[Collection(TopologyConfig.MySql), Trait("Flavor", TopologyConfig.MySql)]
public sealed class MySqlTopologyMonitorTests(MySqlTopology topology) : TopologyMonitorTests(topology);
