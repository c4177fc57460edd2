using Dapper;
using ReplicaRouting.IntegrationTests.Infrastructure;

namespace ReplicaRouting.IntegrationTests;

/// <summary>
/// Issue 14 on real replicas: the sessionless default, adaptive causal routing and monotonic reads
/// (<see cref="ReadConsistency.Causal"/>). Tables are prefixed <c>causal_</c>. Runs once per flavor.
/// </summary>
public abstract class CausalTests(TopologyFixture topology) : IDisposable
{
    private const string Insert = "INSERT INTO items (name, written_by) VALUES (@name, @@server_id)";
    private const string CountByName = "SELECT COUNT(*) FROM items WHERE name = @name";

    private readonly List<ReplicaRoutingDataSource> _dataSources = [];

    public void Dispose()
    {
        foreach (var dataSource in _dataSources)
            dataSource.Dispose();
        GC.SuppressFinalize(this);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_sessionless_fixture_reads_the_table_it_just_created(bool writerStillOpen)
    {
        // The issue's fixture case: no session anywhere; one connection creates and fills a table, another queries it.
        var dataSource = DataSource();
        var tables = new List<string>();
        try
        {
            for (var i = 0; i < 50; i++)
            {
                var table = $"causal_fixture_{Guid.NewGuid():N}"[..40];
                tables.Add(table);
                var writer = await dataSource.OpenConnectionAsync();
                try
                {
                    await writer.ExecuteAsync($"CREATE TABLE {table} (id INT PRIMARY KEY)");
                    await writer.ExecuteAsync($"INSERT INTO {table} VALUES (1)");
                    if (!writerStillOpen)
                        await writer.CloseAsync();

                    await using var reader = await dataSource.OpenConnectionAsync();
                    Assert.Equal(1, await reader.ExecuteScalarAsync<int>($"SELECT COUNT(*) FROM {table}"));
                }
                finally
                {
                    await writer.DisposeAsync();
                }
            }
        }
        finally
        {
            await using var admin = await topology.OpenAdminAsync(topology.Config.PrimaryEndpoint);
            await admin.ExecuteAsync($"DROP TABLE IF EXISTS {string.Join(", ", tables)}");
        }
    }

    [Fact]
    public async Task Sessionless_reads_per_connection_is_the_opt_out()
    {
        var dataSource = DataSource(o => o.SessionlessReads = SessionlessReads.Connection);
        await using var writer = await dataSource.OpenConnectionAsync();
        await writer.ExecuteAsync("INSERT INTO items (name, written_by) VALUES (@name, @@server_id)", new { name = Guid.NewGuid().ToString("N") });
        await using var reader = await dataSource.OpenConnectionAsync();
        await reader.ExecuteScalarAsync<long>("SELECT @@server_id");
        Assert.Equal(new RoutingDecision(RouteTarget.Replica, RoutingReason.Read, reader.LastRoutingDecision!.Value.Node), reader.LastRoutingDecision);
    }

    [Fact]
    public async Task Adaptive_reads_never_wait_on_replicas_the_monitor_measures_seconds_behind()
    {
        // The issue's futile waits: replicas 3 s behind (below MaxReplicaLag, so healthy) made every read after a write wait
        // out CausalReadTimeout. Adaptive knows from the monitor that they cannot have a write that young: the primary, at once.
        var dataSource = DataSource(Monitored);
        await using (await dataSource.OpenConnectionAsync())
        {
            // opening starts the monitor and the heartbeat writer
        }

        await SetDelayAsync(3);
        try
        {
            await WaitUntilAsync(dataSource, t => t.Nodes.Where(n => n.Role == NodeRole.Replica).All(n => n is { State: NodeState.Healthy, Lag.TotalSeconds: > 2 }));
            var waitsBefore = dataSource.Configuration.Replicas.Sum(r => r.CausalWaits);
            using var session = dataSource.BeginSession();
            await using var connection = await dataSource.OpenConnectionAsync();
            for (var i = 0; i < 10; i++)
            {
                var name = Guid.NewGuid().ToString("N");
                await connection.ExecuteAsync(Insert, new { name });
                Assert.Equal(1, await connection.ExecuteScalarAsync<int>(CountByName, new { name }));
                Assert.Equal(new RoutingDecision(RouteTarget.Primary, RoutingReason.ReplicasNotCaughtUp, topology.Config.PrimaryEndpoint), connection.LastRoutingDecision);
            }

            Assert.Equal(waitsBefore, dataSource.Configuration.Replicas.Sum(r => r.CausalWaits));
        }
        finally
        {
            await SetDelayAsync(0);
            await topology.WaitForReplicasAsync();
        }
    }

    [Fact]
    public async Task Adaptive_reads_of_a_write_the_replicas_have_applied_are_served_by_replicas()
    {
        var dataSource = DataSource();
        using var session = dataSource.BeginSession();
        await using var connection = await dataSource.OpenConnectionAsync();
        for (var i = 0; i < 10; i++)
        {
            var name = Guid.NewGuid().ToString("N");
            await connection.ExecuteAsync(Insert, new { name });
            await topology.WaitForReplicasAsync();
            await Task.Delay(100);   // the write is older than any apply delay learned from the waits before (no timing is asserted)
            Assert.Equal(1, await connection.ExecuteScalarAsync<int>(CountByName, new { name }));
            Assert.Equal((RouteTarget.Replica, RoutingReason.CausalRead), (connection.LastRoutingDecision!.Value.Target, connection.LastRoutingDecision!.Value.Reason));
        }
    }

    [Fact]
    public async Task Adaptive_waits_on_a_replica_instead_of_failing_when_every_primary_fallback_slot_is_taken()
    {
        // One slot, held by a connection whose wait timed out while the replicas were stopped (which also taught the
        // estimate that they are slow). A fresh write's read would then prefer the primary; with the slot taken it waits on
        // a replica within the budget (they apply again) instead of failing with ReplicaRoutingOverloadedException.
        var dataSource = DataSource(o => o.MaxConcurrentPrimaryFallbacks = 1);
        var control = new ReplicaControl(topology);
        var first = Guid.NewGuid().ToString("N");
        await control.StopApplyAsync();
        try
        {
            await using (var writer = await dataSource.OpenConnectionAsync())
                await writer.ExecuteAsync(Insert, new { name = first });
            await using var holder = await dataSource.OpenConnectionAsync();
            Assert.Equal(1, await holder.ExecuteScalarAsync<long>(CountByName, new { name = first }));
            Assert.Equal(RouteTarget.Primary, holder.LastRoutingDecision!.Value.Target);   // holds the only slot until it closes

            await control.StartApplyAsync();
            await topology.WaitForReplicasAsync();
            var second = Guid.NewGuid().ToString("N");
            await using (var writer = await dataSource.OpenConnectionAsync())
                await writer.ExecuteAsync(Insert, new { name = second });
            await using var reader = await dataSource.OpenConnectionAsync();
            Assert.Equal(1, await reader.ExecuteScalarAsync<long>(CountByName, new { name = second }));
            Assert.Equal(RouteTarget.Replica, reader.LastRoutingDecision!.Value.Target);
            Assert.Equal(RoutingReason.CausalRead, reader.LastRoutingDecision!.Value.Reason);
        }
        finally
        {
            await control.StartApplyAsync();
            await topology.WaitForReplicasAsync();
        }
    }

    [Fact]
    public async Task Fast_never_waits()
    {
        var dataSource = DataSource(o => o.CausalReadPolicy = CausalReadPolicy.Fast);
        using var session = dataSource.BeginSession();
        await using var connection = await dataSource.OpenConnectionAsync();
        var name = Guid.NewGuid().ToString("N");
        await connection.ExecuteAsync(Insert, new { name });
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>(CountByName, new { name }));
        Assert.Equal(RoutingReason.ReplicasNotCaughtUp, connection.LastRoutingDecision!.Value.Reason);   // no replica is known to have it: nothing probed
        Assert.Equal(0, dataSource.Configuration.Replicas.Sum(r => r.CausalWaits));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Causal_reads_never_miss_a_row_an_earlier_read_saw(bool inSession)
    {
        // Two replicas, one stopped behind the other: reads that alternate between them see a row, then miss it.
        var dataSource = DataSource(o => o.Consistency = ReadConsistency.Causal);
        var (ahead, behind) = (topology.Config.ReplicaEndpoints[0], topology.Config.ReplicaEndpoints[1]);
        var name = Guid.NewGuid().ToString("N");
        var sawThenReadAgain = 0;
        await using (await new ReplicaControl(topology).PauseApplyAsync(behind))
        {
            await using (var admin = await topology.OpenAdminAsync(topology.Config.PrimaryEndpoint))
                await admin.ExecuteAsync(Insert, new { name });   // not a write of any session: no read has to see it
            await WaitForAsync(ahead, await topology.PrimaryPositionAsync());

            for (var unit = 0; unit < 10; unit++)
            {
                using var session = inSession ? dataSource.BeginSession() : null;
                await using var connection = await dataSource.OpenConnectionAsync();
                var seen = false;
                for (var i = 0; i < 8; i++)
                {
                    var count = await connection.ExecuteScalarAsync<int>(CountByName, new { name });
                    Assert.False(seen && count == 0, $"read {i} of unit {unit} on {connection.LastRoutingDecision} missed a row an earlier read saw");
                    sawThenReadAgain += seen ? 1 : 0;
                    seen |= count == 1;
                }
            }
        }

        Assert.True(sawThenReadAgain > 0, "no unit of work read the row first (round-robin should start half of them on the replica ahead)");
    }

    [Fact]
    public async Task A_causal_read_that_must_move_reads_the_primary_until_the_node_it_left_was_probed_since()
    {
        var dataSource = DataSource(o => o.Consistency = ReadConsistency.Causal);
        var name = Guid.NewGuid().ToString("N");
        await using (var admin = await topology.OpenAdminAsync(topology.Config.PrimaryEndpoint))
            await admin.ExecuteAsync(Insert, new { name });
        await topology.WaitForReplicasAsync();

        using var session = dataSource.BeginSession();
        await using var connection = await dataSource.OpenConnectionAsync();
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>(CountByName, new { name }));
        var first = connection.LastRoutingDecision!.Value;
        Assert.Equal(RouteTarget.Replica, first.Target);

        // The replica it read becomes unreadable: nothing says yet what it had, so only the primary surely has as much.
        var left = dataSource.Configuration.Replicas.Single(r => r.Endpoint == first.Node);
        left.MarkUnavailable(TimeSpan.FromMinutes(1));
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(1, await connection.ExecuteScalarAsync<int>(CountByName, new { name }));
            Assert.Equal(new RoutingDecision(RouteTarget.Primary, RoutingReason.CausalFloorUnknown, topology.Config.PrimaryEndpoint), connection.LastRoutingDecision);
        }

        // A probe after those reads gives the floor: the next read may use the other replica (it waits for the floor there, or
        // reads the primary if that replica is behind), and the token carries the floor.
        await dataSource.RefreshTopologyAsync();
        left.MarkUnavailable(TimeSpan.FromMinutes(1));   // the probe found it reachable again
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>(CountByName, new { name }));
        var moved = connection.LastRoutingDecision!.Value;
        Assert.NotEqual(RoutingReason.CausalFloorUnknown, moved.Reason);
        Assert.NotEqual(first.Node, moved.Node);
        Assert.NotNull(session.Token);
        Assert.False(session.Token!.Position.IsEmpty);

        // A token read right after a read whose node has not been probed since resolves what that read saw with one read of
        // the primary's position (a replica has only what the primary had): the next unit of work never reads older.
        var before = session.Token!.Position;
        await using (var admin = await topology.OpenAdminAsync(topology.Config.PrimaryEndpoint))
            await admin.ExecuteAsync(Insert, new { name = Guid.NewGuid().ToString("N") });
        await topology.WaitForReplicasAsync();
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>(CountByName, new { name }));
        var after = session.Token!.Position;
        Assert.True(before.IsSatisfiedBy(after) && !after.IsSatisfiedBy(before), $"the token's floor did not move past the new write: {before} then {after}");
    }

    [Fact]
    public async Task Causal_reads_see_the_session_s_own_writes()
    {
        var dataSource = DataSource(o => o.Consistency = ReadConsistency.Causal);
        using var session = dataSource.BeginSession();
        await using var connection = await dataSource.OpenConnectionAsync();
        await using (await new ReplicaControl(topology).PauseApplyAsync())
        {
            for (var i = 0; i < 3; i++)
            {
                var name = Guid.NewGuid().ToString("N");
                await connection.ExecuteAsync(Insert, new { name });
                for (var read = 0; read < 3; read++)
                    Assert.Equal(1, await connection.ExecuteScalarAsync<int>(CountByName, new { name }));
            }
        }
    }

    private async Task WaitForAsync(string replica, string position)
    {
        await using var admin = await topology.OpenAdminAsync(replica);
        var sql = topology.Flavor == TopologyConfig.MariaDb ? "SELECT MASTER_GTID_WAIT(@position, 30)" : "SELECT WAIT_FOR_EXECUTED_GTID_SET(@position, 30)";
        Assert.Equal(0, await admin.ExecuteScalarAsync<long>(sql, new { position }, commandTimeout: 40));
    }

    private static void Monitored(ReplicaRoutingOptions o)
    {
        o.TopologyMonitor = true;
        o.TopologyProbeInterval = TimeSpan.FromMilliseconds(200);
        o.HeartbeatTable = "causal_heartbeat";
        o.WriteHeartbeat = true;
    }

    private async Task SetDelayAsync(int seconds)
    {
        var sql = topology.Flavor == TopologyConfig.MariaDb
            ? $"STOP SLAVE; CHANGE MASTER TO MASTER_DELAY={seconds}; START SLAVE;"
            : $"STOP REPLICA; CHANGE REPLICATION SOURCE TO SOURCE_DELAY={seconds}; START REPLICA;";
        foreach (var replica in topology.Config.ReplicaEndpoints)
        {
            await using var admin = await topology.OpenAdminAsync(replica);
            await admin.ExecuteAsync(sql, commandTimeout: 30);
        }
    }

    /// <summary>Polls the published snapshot; the bound only detects a hang (it is no timing assertion).</summary>
    private static async Task WaitUntilAsync(ReplicaRoutingDataSource dataSource, Func<TopologySnapshot, bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!condition(dataSource.Topology))
        {
            Assert.True(DateTime.UtcNow < deadline, $"the monitor did not get there: {dataSource.Topology}");
            await Task.Delay(50);
        }
    }

    private ReplicaRoutingDataSource DataSource(Action<ReplicaRoutingOptions>? configure = null)
    {
        var dataSource = topology.CreateDataSource(o =>
        {
            o.Consistency = ReadConsistency.ReadYourWrites;   // the library's default (the fixture's is Eventual)
            configure?.Invoke(o);
        });
        _dataSources.Add(dataSource);
        return dataSource;
    }
}

[Collection(TopologyConfig.MariaDb), Trait("Flavor", TopologyConfig.MariaDb)]
public sealed class MariaDbCausalTests(MariaDbTopology topology) : CausalTests(topology);

[Collection(TopologyConfig.MySql), Trait("Flavor", TopologyConfig.MySql)]
public sealed class MySqlCausalTests(MySqlTopology topology) : CausalTests(topology);
