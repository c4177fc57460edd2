using System.Diagnostics;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using MySqlConnector;
using Xunit.Abstractions;

namespace ReplicaRouting.IntegrationTests.Clusters;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MySqlGroupReplicationCollection
{
    public const string Name = "mysql-gr";
}

/// <summary>
/// MySQL Group Replication on REAL servers: the gr set of <c>servers.sh</c> (<c>RR_SERVERS_SET=gr</c>, three members,
/// single-primary, node 1 elected by <c>start</c>). The monitor learns the topology from the group itself; these tests kill
/// members and switch the group's mode, so every test first brings the set back (<c>start</c>: rejoin, re-elect node 1).
/// No assertion is on time: the bounds below only detect a hang.
/// </summary>
[Collection(MySqlGroupReplicationCollection.Name)]
[Trait("Flavor", "mysql-gr")]   // its own flavor value: build.sh leaves these out when the gr set is down, not when the shared MySQL is
public sealed class MySqlGroupReplicationTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Table = "gr_items";
    private static readonly TimeSpan HangDetector = TimeSpan.FromSeconds(60);

    private readonly List<ReplicaRoutingDataSource> _dataSources = [];
    private GroupReplicationLab _lab = null!;

    public async Task InitializeAsync()
    {
        _lab = GroupReplicationLab.Create();   // RR_GR_MYSQL_NODES missing: the test fails, saying how to start the set
        await GroupReplicationLab.StartAsync();
        await _lab.AdminScalarAsync(1, $"CREATE TABLE IF NOT EXISTS {Table} (id BIGINT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(100) NOT NULL, written_by BIGINT NOT NULL) ENGINE=InnoDB");
    }

    public async Task DisposeAsync()
    {
        foreach (var dataSource in _dataSources)
            await dataSource.DisposeAsync();
    }

    [Fact]
    public async Task The_groups_view_wins_over_the_configured_roles()
    {
        // Configured with a secondary as "the primary": the group says node 1 is, and writes follow the group.
        var dataSource = DataSource([_lab.Endpoint(2), _lab.Endpoint(1), _lab.Endpoint(3)]);
        await WaitUntilAsync(dataSource, t => t.Primary?.Endpoint == _lab.Endpoint(1) && HealthyReplicas(t) == 2);
        Assert.Equal(NodeRole.Replica, Status(dataSource, 2).Role);

        await using var connection = await dataSource.OpenConnectionAsync();
        await connection.ExecuteAsync($"INSERT INTO {Table} (name, written_by) VALUES ('view', @@server_id)");
        Assert.Equal(_lab.Endpoint(1), connection.LastRoutingDecision!.Value.Node);
        for (var i = 0; i < 4; i++)
        {
            await connection.ExecuteScalarAsync<long>("SELECT @@server_id");
            Assert.Contains(connection.LastRoutingDecision!.Value.Node, new[] { _lab.Endpoint(2), _lab.Endpoint(3) });
        }
    }

    [Fact]
    public async Task Read_your_writes_holds_while_the_secondaries_appliers_are_blocked()
    {
        var dataSource = DataSource(configure: o => o.Consistency = ReadConsistency.ReadYourWrites);
        await WaitUntilAsync(dataSource, t => t.Primary?.Endpoint == _lab.Endpoint(1) && HealthyReplicas(t) == 2);

        // A global read lock on both secondaries: the group certifies and commits on the primary, the secondaries' appliers
        // wait for the lock (a real apply delay, as a long backup or a slow disk would cause).
        var run = Guid.NewGuid().ToString("N");   // the table outlives the test: names unique to this run
        var stale = 0;
        var reasons = new Dictionary<RoutingReason, int>();
        var pairs = 0;
        await using (var hold2 = await _lab.OpenAdminAsync(2))
        await using (var hold3 = await _lab.OpenAdminAsync(3))
        {
            await hold2.ExecuteAsync("FLUSH TABLES WITH READ LOCK");
            await hold3.ExecuteAsync("FLUSH TABLES WITH READ LOCK");
            for (var i = 0; i < 20; i++, pairs++)
                stale += await WriteThenReadAsync(dataSource, $"blocked-{run}-{i}", reasons) ? 0 : 1;

            // The delay was real: the secondaries have not applied what the primary committed.
            var primaryPosition = (string)(await _lab.AdminScalarAsync(1, "SELECT @@global.gtid_executed"))!;
            foreach (var node in new[] { 2, 3 })
            {
                var applied = await _lab.AdminScalarAsync(node, $"SELECT GTID_SUBSET('{primaryPosition}', @@global.gtid_executed)");
                Assert.Equal(0L, Convert.ToInt64(applied, System.Globalization.CultureInfo.InvariantCulture));
            }

            await hold2.ExecuteAsync("UNLOCK TABLES");
            await hold3.ExecuteAsync("UNLOCK TABLES");
        }

        for (var i = 0; i < 20; i++, pairs++)
            stale += await WriteThenReadAsync(dataSource, $"released-{run}-{i}", reasons) ? 0 : 1;

        output.WriteLine($"{pairs} write->read pairs, {stale} stale; reads by reason: {string.Join(", ", reasons.Select(r => $"{r.Key}={r.Value}"))}");
        Assert.Equal(0, stale);
    }

    [Fact]
    public async Task A_killed_primary_is_replaced_by_the_group_and_writes_resume_without_sending_any_to_a_secondary()
    {
        var dataSource = DataSource();
        await WaitUntilAsync(dataSource, t => t.Primary?.Endpoint == _lab.Endpoint(1) && HealthyReplicas(t) == 2);
        var refusedBefore = new[] { await _lab.ErrorCountAsync(2, 1290), await _lab.ErrorCountAsync(3, 1290) };

        using var stop = new CancellationTokenSource();
        var acknowledged = new List<(long Id, string Node)>();
        var failed = 0;
        var writer = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await using var connection = await dataSource.OpenConnectionAsync();
                    var id = await connection.ExecuteScalarAsync<long>($"INSERT INTO {Table} (name, written_by) VALUES ('failover', @@server_id); SELECT LAST_INSERT_ID()");
                    lock (acknowledged)
                        acknowledged.Add((id, connection.LastRoutingDecision!.Value.Node));
                }
                catch (Exception ex) when (ex is PrimaryUnavailableException or CommitOutcomeUnknownException or MySqlException)
                {
                    Interlocked.Increment(ref failed);
                    await Task.Delay(20);
                }
            }
        });

        await WaitForAsync(() => Count(acknowledged) >= 5, "writes before the kill");
        await _lab.KillAsync(1);
        var killedAt = Count(acknowledged);
        await WaitUntilAsync(dataSource, t => t.Primary is { } p && p.Endpoint != _lab.Endpoint(1));
        var newPrimary = dataSource.Topology.Primary!.Endpoint;
        Assert.Equal(newPrimary, _lab.Endpoint(await _lab.GroupPrimaryAsync(newPrimary == _lab.Endpoint(2) ? 3 : 2)));
        await WaitForAsync(() => Count(acknowledged) >= killedAt + 10, "writes after the group elected a new primary");
        await stop.CancelAsync();
        await writer;

        (long Id, string Node)[] writes;
        lock (acknowledged)
            writes = [.. acknowledged];
        output.WriteLine($"{writes.Length} writes acknowledged ({killedAt} before the kill), {failed} failed during the election; new primary {newPrimary}");

        // Every acknowledged write went to the group's primary of its time, and the group kept all of them.
        Assert.All(writes, w => Assert.Contains(w.Node, new[] { _lab.Endpoint(1), newPrimary }));
        var node = newPrimary == _lab.Endpoint(2) ? 2 : 3;
        var kept = Convert.ToInt64(await _lab.AdminScalarAsync(node, $"SELECT COUNT(*) FROM {Table} WHERE id IN ({string.Join(",", writes.Select(w => w.Id))})"), System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(writes.Length, kept);

        // No write was ever refused by a secondary as read-only (error 1290 is counted by the servers themselves).
        Assert.Equal(refusedBefore, new[] { await _lab.ErrorCountAsync(2, 1290), await _lab.ErrorCountAsync(3, 1290) });
    }

    [Fact]
    public async Task A_member_that_lost_quorum_gets_nothing_and_the_health_is_unhealthy()
    {
        var dataSource = DataSource(configure: o => o.TopologyProbeInterval = TimeSpan.FromMilliseconds(500));
        await WaitUntilAsync(dataSource, t => t.Primary?.Endpoint == _lab.Endpoint(1) && HealthyReplicas(t) == 2);

        await _lab.KillAsync(2);
        await _lab.KillAsync(3);
        // Node 1 still runs and is still writable (super_read_only off), but alone it can commit nothing.
        await WaitUntilAsync(dataSource, t => t.Primary is null && t.Nodes[0].Role == NodeRole.Demoted);
        var member = dataSource.Topology.Nodes[0];
        output.WriteLine(dataSource.Topology.ToString());
        Assert.Equal(NodeState.Broken, member.State);
        Assert.Contains("quorum", member.LastError, StringComparison.Ordinal);

        var services = new ServiceCollection().AddLogging().AddSingleton(dataSource);
        services.AddHealthChecks().AddReplicaRouting(auditInterval: TimeSpan.Zero);
        await using var provider = services.BuildServiceProvider();
        var report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        Assert.Equal(HealthStatus.Unhealthy, report.Status);

        await using var connection = await dataSource.OpenConnectionAsync();
        await Assert.ThrowsAsync<PrimaryUnavailableException>(() => connection.ExecuteAsync($"INSERT INTO {Table} (name, written_by) VALUES ('minority', 0)"));
    }

    [Fact]
    public async Task A_member_that_left_the_group_gets_nothing_and_the_health_is_degraded()
    {
        var dataSource = DataSource(configure: o => o.TopologyProbeInterval = TimeSpan.FromMilliseconds(500));
        await WaitUntilAsync(dataSource, t => t.Primary?.Endpoint == _lab.Endpoint(1) && HealthyReplicas(t) == 2);

        await _lab.AdminScalarAsync(3, "STOP GROUP_REPLICATION");   // it still answers, read-only, with its data frozen
        await WaitUntilAsync(dataSource, t => Status(dataSource, 3).Role == NodeRole.Demoted);
        Assert.Equal(NodeState.Broken, Status(dataSource, 3).State);
        Assert.Contains("OFFLINE", Status(dataSource, 3).LastError, StringComparison.Ordinal);
        Assert.Equal(_lab.Endpoint(1), dataSource.Topology.Primary?.Endpoint);

        var services = new ServiceCollection().AddLogging().AddSingleton(dataSource);
        services.AddHealthChecks().AddReplicaRouting(auditInterval: TimeSpan.Zero);
        await using var provider = services.BuildServiceProvider();
        Assert.Equal(HealthStatus.Degraded, (await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync()).Status);

        await using var connection = await dataSource.OpenConnectionAsync();
        for (var i = 0; i < 4; i++)
        {
            await connection.ExecuteScalarAsync<long>("SELECT @@server_id");
            Assert.Equal(_lab.Endpoint(2), connection.LastRoutingDecision!.Value.Node);
        }
    }

    [Fact]
    public async Task A_multi_primary_group_gets_one_stable_writer_and_the_other_members_serve_reads()
    {
        await _lab.AdminScalarAsync(1, "SELECT group_replication_switch_to_multi_primary_mode()");
        try
        {
            var dataSource = DataSource();
            await WaitUntilAsync(dataSource, t => t.Primary?.Endpoint == _lab.Endpoint(1) && HealthyReplicas(t) == 2);
            Assert.False(dataSource.Topology.IsSplitBrain);
            Assert.Equal(1L, Convert.ToInt64(await _lab.AdminScalarAsync(2, "SELECT @@global.super_read_only = 0"), System.Globalization.CultureInfo.InvariantCulture));

            await using var connection = await dataSource.OpenConnectionAsync();
            for (var i = 0; i < 5; i++)
            {
                await connection.ExecuteAsync($"INSERT INTO {Table} (name, written_by) VALUES ('multi', @@server_id)");
                Assert.Equal(_lab.Endpoint(1), connection.LastRoutingDecision!.Value.Node);
            }
        }
        finally
        {
            await _lab.AdminScalarAsync(1, "SELECT group_replication_switch_to_single_primary_mode(@@server_uuid)");
        }
    }

    private ReplicaRoutingDataSource DataSource(IReadOnlyList<string>? order = null, Action<ReplicaRoutingOptions>? configure = null)
    {
        var nodes = order ?? _lab.Config.Nodes;
        var builder = new ReplicaRoutingDataSourceBuilder().UsePrimary(_lab.Config.ConnectionString(nodes[0]));
        foreach (var endpoint in nodes.Skip(1))
            builder.AddReplica(_lab.Config.ConnectionString(endpoint));
        var dataSource = builder.Configure(o =>
        {
            o.Consistency = ReadConsistency.Eventual;
            configure?.Invoke(o);
        }).Build();
        _dataSources.Add(dataSource);
        return dataSource;
    }

    /// <summary>One write then one read of it in a fresh session; false when the read missed the row.</summary>
    private static async Task<bool> WriteThenReadAsync(ReplicaRoutingDataSource dataSource, string name, Dictionary<RoutingReason, int> reasons)
    {
        using var session = dataSource.BeginSession();
        await using var connection = await dataSource.OpenConnectionAsync();
        await connection.ExecuteAsync($"INSERT INTO {Table} (name, written_by) VALUES (@name, @@server_id)", new { name });
        var seen = await connection.ExecuteScalarAsync<long>($"SELECT COUNT(*) FROM {Table} WHERE name = @name", new { name });
        var reason = connection.LastRoutingDecision!.Value.Reason;
        reasons[reason] = reasons.GetValueOrDefault(reason) + 1;
        return seen == 1;
    }

    private NodeStatus Status(ReplicaRoutingDataSource dataSource, int node) => dataSource.Topology.Nodes.Single(n => n.Endpoint == _lab.Endpoint(node));

    private static int HealthyReplicas(TopologySnapshot topology) => topology.Nodes.Count(n => n is { Role: NodeRole.Replica, State: NodeState.Healthy });

    private static int Count<T>(List<T> list)
    {
        lock (list)
            return list.Count;
    }

    private static async Task WaitUntilAsync(ReplicaRoutingDataSource dataSource, Func<TopologySnapshot, bool> condition)
    {
        _ = dataSource.Topology;   // (the monitor starts with the first use of the data source)
        await using (await dataSource.OpenConnectionAsync())
        {
        }

        await WaitForAsync(() => condition(dataSource.Topology), () => $"the monitor did not get there: {dataSource.Topology}");
    }

    private static Task WaitForAsync(Func<bool> condition, string what) => WaitForAsync(condition, () => what);

    private static async Task WaitForAsync(Func<bool> condition, Func<string> what)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(HangDetector.TotalSeconds * Stopwatch.Frequency);
        while (!condition())
        {
            Assert.True(Stopwatch.GetTimestamp() < deadline, $"hang ({HangDetector}): {what()}");
            await Task.Delay(20);
        }
    }
}
