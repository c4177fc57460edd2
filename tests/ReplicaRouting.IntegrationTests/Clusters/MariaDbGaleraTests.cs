using System.Diagnostics;
using Dapper;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using MySqlConnector;
using ReplicaRouting.AspNetCore.Internal;
using Xunit.Abstractions;

namespace ReplicaRouting.IntegrationTests.Clusters;

/// <summary>
/// Routing over a REAL MariaDB 10.11 Galera cluster of three (<c>RR_SERVERS_SET=galera servers.sh</c>, 3361-3363): the
/// monitor recognises the cluster from its <c>wsrep_*</c> status alone (nothing configured says "Galera"), chooses one writer,
/// keeps members outside the primary component and desynced ones out of routing, waits with WSREP_SYNC_WAIT_UPTO_GTID
/// before reads, and follows the cluster when the writer dies. Every test leaves (or puts back) the cluster healthy;
/// <c>servers.sh start</c> runs before each. No assertion is on time: bounds only detect a hang.
/// </summary>
[Collection("galera-" + TopologyConfig.MariaDb), Trait("Flavor", TopologyConfig.MariaDb)]
public sealed class MariaDbGaleraTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Table = "galera_items";
    private static readonly TimeSpan HangDetector = TimeSpan.FromSeconds(60);
    private readonly GaleraLab _lab = new();
    private readonly List<ReplicaRoutingDataSource> _dataSources = [];

    public async Task InitializeAsync()
    {
        await GaleraLab.StartAsync();
        await _lab.AdminScalarAsync(1, $"CREATE TABLE IF NOT EXISTS {Table} (id BIGINT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(100) NOT NULL, written_by BIGINT NOT NULL) ENGINE=InnoDB");
    }

    public async Task DisposeAsync()
    {
        foreach (var dataSource in _dataSources)
            await dataSource.DisposeAsync();
    }

    [Fact]
    public async Task The_monitor_recognises_the_cluster_and_sends_writes_to_one_writer_and_reads_to_the_other_members()
    {
        var dataSource = DataSource();
        var topology = await dataSource.RefreshTopologyAsync();
        output.WriteLine(topology.ToString());

        Assert.Null(topology.Problem);
        Assert.False(topology.IsSplitBrain);   // three writable members are a cluster, not a split brain
        Assert.Equal(_lab.Endpoint(1), topology.Primary!.Endpoint);
        Assert.All(topology.Nodes.Skip(1), n => Assert.Equal((NodeRole.Replica, NodeState.Healthy), (n.Role, n.State)));
        Assert.All(topology.Nodes, n => Assert.NotNull(n.Position));

        // Writes land on the writer, reads on the two other members.
        await using var connection = await dataSource.OpenConnectionAsync();
        for (var i = 0; i < 6; i++)
            Assert.Equal(3361, await connection.ExecuteScalarAsync<long>($"INSERT INTO {Table} (name, written_by) VALUES ('monitor', @@server_id); SELECT @@server_id"));
        var readers = new HashSet<long>();
        for (var i = 0; i < 6; i++)
            readers.Add(await connection.ExecuteScalarAsync<long>("SELECT @@server_id"));
        Assert.Equal([3362, 3363], readers.Order());
    }

    [Fact]
    public async Task Read_your_writes_with_one_member_frozen_by_a_global_read_lock_is_never_stale()
    {
        // A long probe interval: the snapshot taken before the freeze keeps member 3 "Synced" for the whole test, so only the
        // wait (WSREP_SYNC_WAIT_UPTO_GTID, 1 s) stands between a read there and a stale answer. Two data sources: one reads
        // members 2 and 3, the other only the frozen member 3 (its waits must time out and the reads move to the writer).
        void Configure(ReplicaRoutingOptions o)
        {
            o.Consistency = ReadConsistency.ReadYourWrites;
            o.TopologyProbeInterval = TimeSpan.FromMinutes(1);
            o.CausalReadTimeout = TimeSpan.FromSeconds(1);
        }

        var both = DataSource(Configure);
        var frozenOnly = DataSource(Configure, replicas: [_lab.Endpoint(3)]);
        foreach (var dataSource in new[] { both, frozenOnly })
        {
            // Opening a connection starts the monitor, whose first round probes at once: let it pass before the freeze.
            var generation = (await dataSource.RefreshTopologyAsync()).Generation;
            await using (await dataSource.OpenConnectionAsync())
            {
            }

            await WaitUntilAsync(() => dataSource.Topology.Generation > generation);
            Assert.Null(dataSource.Topology.Problem);
        }

        const int Rounds = 5;
        var stale = 0;
        var frozenMissed = 0;
        var servedBy = new Dictionary<(ReplicaRoutingDataSource, long), int>();
        await using (var frozen = await _lab.OpenAdminAsync(3))
        {
            // FLUSH TABLES WITH READ LOCK on a member stops its applier (it desyncs itself): what it receives is not applied
            // until the lock is released. The control below proves it: a plain read there misses the rows.
            await frozen.ExecuteAsync("FLUSH TABLES WITH READ LOCK");
            foreach (var dataSource in new[] { both, frozenOnly })
            {
                for (var round = 0; round < Rounds; round++)
                {
                    var name = $"ryw-{Guid.NewGuid():N}";
                    using var session = dataSource.BeginSession();
                    await using var connection = await dataSource.OpenConnectionAsync();
                    await connection.ExecuteAsync($"INSERT INTO {Table} (name, written_by) VALUES (@name, @@server_id)", new { name });
                    for (var read = 0; read < 2; read++)
                    {
                        var (count, server) = await connection.QuerySingleAsync<(long, long)>($"SELECT COUNT(*), @@server_id FROM {Table} WHERE name = @name", new { name });
                        stale += count == 1 ? 0 : 1;
                        servedBy[(dataSource, server)] = servedBy.GetValueOrDefault((dataSource, server)) + 1;
                    }

                    await using var direct = new MySqlConnection(_lab.Config.ConnectionString(_lab.Endpoint(3)));
                    frozenMissed += await direct.ExecuteScalarAsync<long>($"SELECT COUNT(*) FROM {Table} WHERE name = @name", new { name }) == 0 ? 1 : 0;
                }
            }

            // The next probe sees what the freeze did to member 3 (Donor/Desynced): no reads for it from then on.
            var seen = await frozenOnly.RefreshTopologyAsync();
            Assert.Equal(NodeState.Lagging, seen.Nodes[1].State);
            output.WriteLine($"member 3 while frozen: {seen.Nodes[1].LastError}");
            await frozen.ExecuteAsync("UNLOCK TABLES");
        }

        string Describe(ReplicaRoutingDataSource dataSource) =>
            $"served by {string.Join(", ", servedBy.Where(p => p.Key.Item1 == dataSource).Select(p => $"{p.Key.Item2}: {p.Value}"))}, " +
            $"waits sent {string.Join(", ", dataSource.Configuration.Replicas.Select(r => $"{r.Endpoint}: {r.CausalWaits}"))}";
        output.WriteLine($"stale={stale} of {Rounds * 4} reads; members 2+3: {Describe(both)}; member 3 only: {Describe(frozenOnly)}; plain reads on the frozen member missed {frozenMissed} of {Rounds * 2}");

        Assert.Equal(Rounds * 2, frozenMissed);                           // the injection is real: member 3 applied none of the writes
        Assert.Equal(0, stale);
        Assert.True(servedBy.GetValueOrDefault((both, 3362L)) > 0);       // the wait succeeded on the synced member
        Assert.True(frozenOnly.Configuration.Replicas[0].CausalWaits > 0); // the frozen member was asked to wait ...
        Assert.Equal(Rounds * 2, servedBy.GetValueOrDefault((frozenOnly, 3361L)));   // ... timed out (error 1205), and the writer answered
        Assert.DoesNotContain(servedBy.Keys, k => k.Item2 == 3363);
        Assert.All(new[] { both, frozenOnly }, d => Assert.Equal(0, d.Configuration.Primary.CausalWaits));   // never a wait on the writer
    }

    [Fact]
    public async Task A_certification_conflict_surfaces_as_the_servers_deadlock_error_and_is_not_retried()
    {
        var dataSource = DataSource();
        await dataSource.RefreshTopologyAsync();
        var id = await _lab.AdminScalarAsync(1, $"INSERT INTO {Table} (name, written_by) VALUES ('conflict', 0); SELECT LAST_INSERT_ID()");

        await using var connection = await dataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await connection.ExecuteAsync($"UPDATE {Table} SET name = 'from-the-application' WHERE id = @id", new { id }, transaction);

        // Another member commits a change of the same row first (another application writing elsewhere): Galera certifies
        // it first, so the application's commit on the writer fails certification.
        await _lab.AdminScalarAsync(2, $"UPDATE {Table} SET name = 'from-member-2' WHERE id = {id}");
        var error = await Assert.ThrowsAsync<MySqlException>(() => transaction.CommitAsync());
        output.WriteLine(error.Message);

        Assert.Equal(MySqlErrorCode.LockDeadlock, error.ErrorCode);   // 1213, as MySqlConnector on the writer reports it
        Assert.Equal("from-member-2", await _lab.AdminScalarAsync(1, $"SELECT name FROM {Table} WHERE id = {id}"));
    }

    [Fact]
    public async Task The_writer_killed_the_next_member_takes_the_writes_without_a_restart_and_none_go_elsewhere()
    {
        var dataSource = DataSource();
        await dataSource.RefreshTopologyAsync();
        await using (var connection = await dataSource.OpenConnectionAsync())
            Assert.Equal(3361, await WriteAsync(connection, "before-kill"));

        await GaleraLab.KillAsync(1);
        var killedAt = Stopwatch.GetTimestamp();
        var topology = await WaitUntilAsync(dataSource, t => t.Primary?.Endpoint == _lab.Endpoint(2));
        output.WriteLine($"writer {topology.Primary!.Endpoint} after {Stopwatch.GetElapsedTime(killedAt).TotalMilliseconds:0} ms: {topology}");
        Assert.Equal(NodeState.Unreachable, topology.Nodes[0].State);

        // The same data source writes on, on the member the cluster still has; every write lands there.
        var name = $"after-kill-{Guid.NewGuid():N}";
        var written = new List<long>();
        await using (var connection = await dataSource.OpenConnectionAsync())
        {
            for (var i = 0; i < 10; i++)
                written.Add(await WriteAsync(connection, name));
        }

        Assert.All(written, server => Assert.Equal(3362, server));
        var landed = await _lab.AdminScalarAsync(3, $"SET SESSION wsrep_sync_wait=1; SELECT COUNT(*) FROM {Table} WHERE name = '{name}' AND written_by = 3362");
        Assert.Equal(10L, Convert.ToInt64(landed, System.Globalization.CultureInfo.InvariantCulture));

        // Back: the killed member rejoins (IST) and, Synced again, is the writer again (the configured order decides).
        await GaleraLab.StartAsync();
        await WaitUntilAsync(dataSource, t => t.Primary?.Endpoint == _lab.Endpoint(1) && t.Nodes.All(n => n.State == NodeState.Healthy));
    }

    [Fact]
    public async Task A_member_partitioned_away_gets_nothing_and_rejoins()
    {
        var dataSource = DataSource();
        await dataSource.RefreshTopologyAsync();
        try
        {
            await _lab.IsolateAsync(3, isolate: true);
            var topology = await WaitUntilAsync(dataSource, t => t.Nodes[2].State == NodeState.Broken);
            output.WriteLine(topology.ToString());
            Assert.Contains("primary component", topology.Nodes[2].LastError, StringComparison.Ordinal);
            Assert.Equal(_lab.Endpoint(1), topology.Primary!.Endpoint);

            await using var connection = await dataSource.OpenConnectionAsync();
            for (var i = 0; i < 6; i++)
                Assert.Equal(3362, await connection.ExecuteScalarAsync<long>("SELECT @@server_id"));
        }
        finally
        {
            await _lab.IsolateAsync(3, isolate: false);
        }

        await _lab.WaitForStateAsync(3, "Synced Primary 3");
        await WaitUntilAsync(dataSource, t => t.Nodes.All(n => n.State == NodeState.Healthy));
    }

    [Fact]
    public async Task Quorum_lost_leaves_no_writer_and_the_health_check_unhealthy_until_it_is_back()
    {
        var dataSource = DataSource();
        await dataSource.RefreshTopologyAsync();
        try
        {
            // Two of three partitioned away: no component has a majority, every member is non-Primary.
            await _lab.IsolateAsync(2, isolate: true);
            await _lab.IsolateAsync(3, isolate: true);
            var topology = await WaitUntilAsync(dataSource, t => t.Primary is null && t.Nodes.All(n => n.State == NodeState.Broken));
            output.WriteLine(topology.ToString());
            Assert.NotNull(topology.Problem);

            var health = await HealthAsync(dataSource);
            Assert.Equal(HealthStatus.Unhealthy, health.Status);

            await using var connection = await dataSource.OpenConnectionAsync();
            await Assert.ThrowsAsync<PrimaryUnavailableException>(() => WriteAsync(connection, "no-quorum"));
        }
        finally
        {
            await _lab.IsolateAsync(2, isolate: false);
            await _lab.IsolateAsync(3, isolate: false);
        }

        // Galera restores the primary component by itself once every member of the last one is back.
        await WaitUntilAsync(dataSource, t => t.Primary?.Endpoint == _lab.Endpoint(1) && t.Nodes.All(n => n.State == NodeState.Healthy));
        Assert.Equal(HealthStatus.Healthy, (await HealthAsync(dataSource)).Status);
    }

    [Fact]
    public async Task The_audit_applies_no_replica_or_semi_sync_rule_to_the_members_and_accepts_three()
    {
        var dataSource = DataSource();
        var findings = await dataSource.AuditTopologyAsync();
        foreach (var finding in findings)
            output.WriteLine($"{finding.Severity} {finding.Node} {finding.Check}: {finding.Message}");

        string[] notForGalera = [TopologyAudit.Checks.ReadOnly, TopologyAudit.Checks.SuperReadOnly, TopologyAudit.Checks.ReplicationThreads,
            TopologyAudit.Checks.ReplicationError, TopologyAudit.Checks.GtidPositioning, TopologyAudit.Checks.ParallelWorkers,
            TopologyAudit.Checks.SemiSyncDowngraded, TopologyAudit.Checks.GaleraClusterSize, TopologyAudit.Checks.Reachable];
        Assert.DoesNotContain(findings, f => notForGalera.Contains(f.Check));
        Assert.DoesNotContain(findings, f => f.Severity == FindingSeverity.Critical);
    }

    private ReplicaRoutingDataSource DataSource(Action<ReplicaRoutingOptions>? configure = null, IEnumerable<string>? replicas = null)
    {
        var builder = new ReplicaRoutingDataSourceBuilder().UsePrimary(_lab.Config.ConnectionString(_lab.Endpoint(1)));
        foreach (var endpoint in replicas ?? _lab.Config.Nodes.Skip(1))
            builder.AddReplica(_lab.Config.ConnectionString(endpoint));
        var dataSource = builder.Configure(o =>
        {
            o.Consistency = ReadConsistency.Eventual;
            o.TopologyProbeInterval = TimeSpan.FromMilliseconds(200);
            configure?.Invoke(o);
        }).Build();
        _dataSources.Add(dataSource);
        return dataSource;
    }

    private static Task<long> WriteAsync(ReplicaRoutingConnection connection, string name) =>
        connection.ExecuteScalarAsync<long>($"INSERT INTO {Table} (name, written_by) VALUES (@name, @@server_id); SELECT @@server_id", new { name });

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var started = Stopwatch.GetTimestamp();
        while (!condition())
        {
            if (Stopwatch.GetElapsedTime(started) > HangDetector)
                throw new TimeoutException($"The condition did not hold within {HangDetector.TotalSeconds:0} s.");
            await Task.Delay(10);
        }
    }

    private static async Task<TopologySnapshot> WaitUntilAsync(ReplicaRoutingDataSource dataSource, Func<TopologySnapshot, bool> condition)
    {
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            var topology = await dataSource.RefreshTopologyAsync();
            if (condition(topology))
                return topology;
            if (Stopwatch.GetElapsedTime(started) > HangDetector)
                throw new TimeoutException($"The topology did not reach the expected state within {HangDetector.TotalSeconds:0} s: {topology}; {string.Join("; ", topology.Nodes.Select(n => $"{n.Endpoint}: {n.LastError}"))}");
            await Task.Delay(100);
        }
    }

    private static Task<HealthCheckResult> HealthAsync(ReplicaRoutingDataSource dataSource)
    {
        var check = new ReplicaRoutingHealthCheck(dataSource, TimeSpan.Zero, TimeProvider.System);
        return check.CheckHealthAsync(new HealthCheckContext { Registration = new HealthCheckRegistration("replicarouting", check, HealthStatus.Unhealthy, null) });
    }
}
