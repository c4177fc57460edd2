using System.Collections.Concurrent;
using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using Dapper;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using MySqlConnector;
using ReplicaRouting.EntityFrameworkCore;
using Xunit.Abstractions;

namespace ReplicaRouting.IntegrationTests;

/// <summary>
/// The application half of a failover, on REAL servers: the disposable failover set of <c>servers.sh</c>
/// (<c>RR_SERVERS_SET=failover</c>, node 1 the primary), rebuilt from scratch before every test, because these tests kill,
/// demote and promote nodes. A killed primary, a demoted one, a split brain and a replica killed under reads; each time
/// the data source runs its topology monitor at the default interval and is never rebuilt. No assertion is on time: the
/// bounds below only detect a hang.
/// </summary>
public abstract class FailoverTests(string flavor, ITestOutputHelper output) : IAsyncLifetime
{
    private const string Table = "failover_items";
    private const int SeedRows = 2000;
    private static readonly TimeSpan HangDetector = TimeSpan.FromSeconds(30);

    private readonly FailoverLab _lab = FailoverLab.Create(flavor);
    private readonly List<ReplicaRoutingDataSource> _dataSources = [];
    private readonly Dictionary<int, long> _serverIds = [];

    private TopologyConfig Config => _lab.Config;

    public async Task InitializeAsync()
    {
        await FailoverLab.ResetAsync(flavor, CancellationToken.None);
        for (var node = 1; node <= 3; node++)
            _serverIds[node] = await _lab.ServerIdAsync(node);

        // Known data: SeedRows rows with ids -1 .. -SeedRows; the tests' own writes use positive ids.
        await _lab.AdminScalarAsync(1,
            $"CREATE TABLE {Table} (id BIGINT PRIMARY KEY, name VARCHAR(100) NOT NULL, written_by BIGINT NOT NULL, pad VARCHAR(200) NOT NULL) ENGINE=InnoDB");
        var values = string.Join(",", Enumerable.Range(1, SeedRows).Select(i => string.Create(CultureInfo.InvariantCulture, $"({-i}, 'seed-{i}', @@server_id, REPEAT('x', 100))")));
        await _lab.AdminScalarAsync(1, $"INSERT INTO {Table} (id, name, written_by, pad) VALUES {values}");
        await _lab.WaitForReplicasAsync(1, [2, 3]);
    }

    public async Task DisposeAsync()
    {
        foreach (var dataSource in _dataSources)
            await dataSource.DisposeAsync();
    }

    [Fact]
    public async Task Primary_killed_then_replica_promoted_reads_keep_flowing_writes_fail_fast_then_resume_on_the_new_primary()
    {
        var dataSource = await StartDataSourceAsync();
        var acknowledgedBeforeKill = new List<long>();
        for (var id = 1; id <= 20; id++)
        {
            var write = await WriteAsync(dataSource, id);
            Assert.Null(write.Error);
            Assert.Equal(Config.Nodes[0], write.Node);
            acknowledgedBeforeKill.Add(id);
        }

        await using var reads = ReadLoop.Start(dataSource, concurrency: 2, CountSeedAsync);
        await using var writes = WriteLoop.Start(dataSource, firstId: 1_000);
        await reads.WaitForCompletedAsync(20);
        await writes.WaitForAcknowledgedAsync(5);

        var killedAt = Stopwatch.GetTimestamp();
        await _lab.KillAsync(1);
        var killDoneAt = Stopwatch.GetTimestamp();
        await WaitUntilAsync(dataSource, t => t.Primary is null);
        var noPrimarySeenAt = Stopwatch.GetTimestamp();
        Assert.False(dataSource.Topology.IsSplitBrain);
        Assert.NotNull(dataSource.Topology.Problem);
        Assert.Equal(NodeState.Unreachable, dataSource.Topology.Nodes[0].State);

        // The outage: writes are refused at once with the dedicated type (nothing is sent to a host known to be dead) ...
        for (var i = 0; i < 5; i++)
        {
            var failed = await WriteAsync(dataSource, 500 + i);
            Assert.IsType<PrimaryUnavailableException>(failed.Error);
        }

        // ... while reads keep being served by the replicas (give the readers a few rounds of the outage).
        await reads.WaitForCompletedAsync(reads.Completed + 20);
        var promoteAt = Stopwatch.GetTimestamp();
        output.WriteLine($"outage: {dataSource.Topology}");

        var promoted = await _lab.MostAdvancedReplicaAsync([2, 3]);
        var other = promoted == 2 ? 3 : 2;
        await _lab.PromoteAsync(promoted);
        await _lab.RepointAsync(other, promoted);
        await WaitUntilAsync(dataSource, t => t.Primary?.Endpoint == _lab.Endpoint(promoted));
        var settledAt = Stopwatch.GetTimestamp();

        // Writes resume through the SAME data source, on the new primary.
        for (var id = 100; id < 110; id++)
        {
            var write = await WriteAsync(dataSource, id);
            Assert.Null(write.Error);
            Assert.Equal(_lab.Endpoint(promoted), write.Node);
            Assert.Equal(_serverIds[promoted], await WrittenByAsync(promoted, id));
        }

        await writes.WaitForAcknowledgedAfterAsync(settledAt, 5);
        await reads.WaitForStartedAfterAsync(settledAt, 20);
        var readOutcomes = await reads.StopAsync();
        var writeOutcomes = await writes.StopAsync();

        var snapshot = dataSource.Topology;
        Assert.Equal(_lab.Endpoint(promoted), snapshot.Primary!.Endpoint);
        Assert.False(snapshot.IsSplitBrain);
        Assert.Null(snapshot.Problem);
        Assert.Equal(NodeState.Unreachable, snapshot.Nodes[0].State);

        // Reads: every one that succeeded returned the right data; failures only during the event, with a clear type.
        AssertReads(readOutcomes, from: killedAt, to: settledAt);
        var replicaIds = new[] { _serverIds[2], _serverIds[3] };
        output.WriteLine($"reads: {readOutcomes.Count} ({readOutcomes.Count(r => r.Error is not null)} failed: {Describe(readOutcomes.Where(r => r.Error is not null))}); " +
            $"writes: {writeOutcomes.Count(w => w.Error is null)} acknowledged, failed by type: {string.Join(", ", writeOutcomes.Where(w => w.Error is not null).GroupBy(w => w.Error!.GetType().Name).Select(g => $"{g.Key} {g.Count()}"))}");
        var servedInOutage = readOutcomes.Count(r => r.Error is null && r.StartedAt > noPrimarySeenAt && r.EndedAt < promoteAt && replicaIds.Contains(r.ServerId));
        output.WriteLine($"reads served by a replica while there was no primary: {servedInOutage}");
        Assert.True(servedInOutage > 0,
            $"no read was served by a replica while there was no primary; reads in that window: {Describe(readOutcomes.Where(r => r.StartedAt > noPrimarySeenAt && r.EndedAt < promoteAt))}");

        // Writes of the background loop: refused at once while no primary was known, never on another node than a primary.
        foreach (var write in writeOutcomes)
        {
            if (write.Error is null)
            {
                Assert.True(write.Node == Config.Nodes[0] ? write.StartedAt < killDoneAt : write.Node == _lab.Endpoint(promoted), $"write {write.Id} acknowledged by {write.Node}");
                continue;
            }

            Assert.True(write.Error is PrimaryUnavailableException or CommitOutcomeUnknownException, $"write {write.Id} failed with {write.Error}");
            Assert.True(write.StartedAt > killedAt - Stopwatch.Frequency && write.StartedAt < settledAt, $"write {write.Id} failed outside the event: {write.Error}");
            if (write.StartedAt > noPrimarySeenAt && write.EndedAt < promoteAt)
                Assert.IsType<PrimaryUnavailableException>(write.Error);
        }

        // No acknowledged write was lost: semi-sync is on and the most advanced replica was promoted.
        var acknowledged = acknowledgedBeforeKill.Concat(writeOutcomes.Where(w => w.Error is null).Select(w => w.Id)).Concat(Enumerable.Range(100, 10).Select(i => (long)i)).ToList();
        Assert.Empty(await MissingOnAsync(promoted, acknowledged));
    }

    [Fact]
    public async Task Demoted_primary_gets_no_write_and_its_pool_is_cleared_when_writes_move_to_the_promoted_replica()
    {
        var dataSource = await StartDataSourceAsync();

        // Several pooled connections to the primary: concurrent writes.
        await Task.WhenAll(Enumerable.Range(1, 4).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 10; i++)
                Assert.Null((await WriteAsync(dataSource, (w * 100) + i)).Error);
        })));
        Assert.True(await AppConnectionsAsync(1) >= 2, "the primary should hold pooled connections besides the monitor's probe before the failover");

        await using var writes = WriteLoop.Start(dataSource, firstId: 10_000);
        await writes.WaitForAcknowledgedAsync(5);

        await _lab.DemoteAsync(1);
        var demotedAt = Stopwatch.GetTimestamp();
        await WaitUntilAsync(dataSource, t => t.Primary is null);
        var noPrimarySeenAt = Stopwatch.GetTimestamp();   // a refused write may tell the data source before its probe does
        await WaitUntilAsync(dataSource, t => t.Primary is null && t.Nodes[0].Role == NodeRole.Demoted);
        var refused = await WriteAsync(dataSource, 900);
        Assert.IsType<PrimaryUnavailableException>(refused.Error);

        // A planned switchover: the demoted primary is alive, so first let the replicas receive and apply all it wrote
        // (semi-sync only promises that ONE replica received each acknowledged write), then promote node 2.
        await _lab.WaitForReplicasAsync(1, [2, 3]);
        await _lab.PromoteAsync(2);
        await _lab.RepointAsync(3, 2);
        await WaitUntilAsync(dataSource, t => t.Primary?.Endpoint == _lab.Endpoint(2));
        var settledAt = Stopwatch.GetTimestamp();
        var write = await WriteAsync(dataSource, 901);
        Assert.Null(write.Error);
        Assert.Equal(_lab.Endpoint(2), write.Node);
        Assert.Equal(_serverIds[2], await WrittenByAsync(2, 901));

        output.WriteLine($"after the failover: {dataSource.Topology}; {Config.User} connections on node 1: {await AppConnectionsAsync(1)}");

        // The old primary's pool is cleared (asynchronously): only the monitor's probe connection may remain there.
        var deadline = Stopwatch.GetTimestamp() + (long)(HangDetector.TotalSeconds * Stopwatch.Frequency);
        long remaining;
        while ((remaining = await AppConnectionsAsync(1)) > 1)
        {
            Assert.True(Stopwatch.GetTimestamp() < deadline, $"{remaining} connections of {Config.User} are still open on the demoted primary");
            await Task.Delay(100);
        }

        await writes.WaitForAcknowledgedAfterAsync(settledAt, 5);

        // Writes stop first: while a sessionless write loop runs, the data source's sessionless reads must see its writes,
        // and right after each one only the primary has it.
        var writeOutcomes = await writes.StopAsync();

        // The old primary rejoins as a replica of the new one and serves (correct) reads again.
        await _lab.RejoinAsync(1, 2);
        await WaitUntilAsync(dataSource, t => t.Nodes[0] is { Role: NodeRole.Replica, State: NodeState.Healthy });
        var rejoinedReads = new List<ReadOutcome>();
        for (var i = 0; i < 30; i++)
            rejoinedReads.Add(await ReadLoop.ReadOnceAsync(dataSource, CountSeedAsync));
        Assert.All(rejoinedReads, r => Assert.Null(r.Error));
        Assert.Contains(_serverIds[1], rejoinedReads.Select(r => r.ServerId));
        Assert.DoesNotContain(_serverIds[2], rejoinedReads.Select(r => r.ServerId));

        foreach (var outcome in writeOutcomes)
        {
            if (outcome.Error is null)
            {
                // Acknowledged by node 1 only before it was read-only; afterwards only by the new primary.
                Assert.True(outcome.Node == Config.Nodes[0] ? outcome.StartedAt < demotedAt : outcome.Node == _lab.Endpoint(2), $"write {outcome.Id} acknowledged by {outcome.Node}");
                continue;
            }

            Assert.True(outcome.Error is PrimaryUnavailableException || IsReadOnlyRefusal(outcome.Error), $"write {outcome.Id} failed with {outcome.Error}");

            // A read-only refusal only for a write sent before the data source had seen the demotion: never after.
            if (IsReadOnlyRefusal(outcome.Error))
                Assert.True(outcome.StartedAt < noPrimarySeenAt, $"write {outcome.Id} was sent to the read-only node after the demotion was seen");
        }

        var acknowledged = writeOutcomes.Where(w => w.Error is null).Select(w => w.Id).Append(901).ToList();
        Assert.Empty(await MissingOnAsync(2, acknowledged));
        Assert.Equal(_lab.Endpoint(2), dataSource.Topology.Primary!.Endpoint);
    }

    [Fact]
    public async Task Split_brain_refuses_writes_and_names_both_nodes_until_only_one_is_writable()
    {
        var dataSource = await StartDataSourceAsync();
        Assert.Null((await WriteAsync(dataSource, 1)).Error);

        await _lab.MakeWritableAsync(3);
        try
        {
            await WaitUntilAsync(dataSource, t => t.IsSplitBrain);
            var snapshot = dataSource.Topology;
            Assert.Null(snapshot.Primary);
            Assert.Contains(_lab.Endpoint(1), snapshot.Problem);
            Assert.Contains(_lab.Endpoint(3), snapshot.Problem);

            var refused = await WriteAsync(dataSource, 2);
            Assert.IsType<PrimaryUnavailableException>(refused.Error);
            Assert.Contains("split brain", refused.Error!.Message, StringComparison.OrdinalIgnoreCase);

            // Reads still work (the remaining replica, or nothing at all: never a wrong answer).
            var read = await ReadLoop.ReadOnceAsync(dataSource, CountSeedAsync);
            Assert.Null(read.Error);
            Assert.Equal(_serverIds[2], read.ServerId);
        }
        finally
        {
            await _lab.DemoteAsync(3);   // read_only (and super_read_only) back on: a replica again
        }

        await WaitUntilAsync(dataSource, t => !t.IsSplitBrain && t.Primary?.Endpoint == _lab.Endpoint(1));
        Assert.Null(dataSource.Topology.Problem);
        var write = await WriteAsync(dataSource, 3);
        Assert.Null(write.Error);
        Assert.Equal(_lab.Endpoint(1), write.Node);
        Assert.Equal(_serverIds[1], await WrittenByAsync(1, 3));
        Assert.Empty(await MissingOnAsync(1, [1, 3]));
    }

    [Fact]
    public async Task Replica_killed_mid_read_gives_the_right_rows_or_a_clear_error_never_wrong_data()
    {
        const int concurrency = 8;
        var dataSource = await StartDataSourceAsync();
        await using var reads = ReadLoop.Start(dataSource, concurrency, connection => ReadAllSeedRowsAsync(connection, slowly: true));
        await reads.WaitForCompletedAsync(2 * concurrency);

        var killedAt = Stopwatch.GetTimestamp();
        await _lab.KillAsync(2);
        await WaitUntilAsync(dataSource, t => t.Nodes[1].State == NodeState.Unreachable);
        var seenAt = Stopwatch.GetTimestamp();
        await reads.WaitForStartedAfterAsync(seenAt, 2 * concurrency);
        var outcomes = await reads.StopAsync();

        output.WriteLine($"reads: {outcomes.Count}, failed {outcomes.Count(r => r.Error is not null)}: {Describe(outcomes.Where(r => r.Error is not null))}");
        AssertReads(outcomes, from: killedAt, to: seenAt);
        var failed = outcomes.Where(r => r.Error is not null).ToList();
        Assert.True(failed.Count <= concurrency, $"only reads in flight when the replica died may fail; {failed.Count} failed: {Describe(failed)}");

        // Afterwards reads keep working, from the surviving replica or the primary, never the dead one.
        var after = new List<ReadOutcome>();
        for (var i = 0; i < 30; i++)
            after.Add(await ReadLoop.ReadOnceAsync(dataSource, connection => ReadAllSeedRowsAsync(connection, slowly: false)));
        Assert.All(after, r => Assert.Null(r.Error));
        Assert.DoesNotContain(_serverIds[2], after.Select(r => r.ServerId));
        Assert.Contains(_serverIds[3], after.Select(r => r.ServerId));
    }

    /// <summary>
    /// EF Core's own retry (<c>EnableRetryOnFailure</c>) through a real primary kill and promotion: a loop of one-row
    /// SaveChanges, each with a client-generated request key (the table's id is AUTO_INCREMENT, so a write applied twice
    /// shows up as two rows with one key). An interrupted commit is verified by its key on the current primary, never retried blindly.
    /// </summary>
    [Fact]
    public async Task SaveChanges_with_EnableRetryOnFailure_rides_through_a_primary_kill_and_promotion_losing_and_duplicating_nothing()
    {
        var dataSource = await StartDataSourceAsync(TopologyConfig.EfCoreOptions);
        await _lab.AdminScalarAsync(1, EfRetryItems.CreateTableSql);
        await _lab.WaitForReplicasAsync(1, [2, 3]);
        var attempts = new AttemptRecorder();
        var options = new DbContextOptionsBuilder<EfRetryItems>()
            .UseMySql(ReplicaRoutingServerVersion.AutoDetect(dataSource), m => m.EnableRetryOnFailure(maxRetryCount: 120, TimeSpan.FromMilliseconds(500), null))
            .UseReplicaRouting(dataSource)
            .AddInterceptors(attempts)
            .Options;

        await using var loop = EfWriteLoop.Start(options);
        await WaitForAsync(() => loop.Acknowledged >= 5, "5 acknowledged SaveChanges");
        await _lab.KillAsync(1);
        await WaitUntilAsync(dataSource, t => t.Primary is null);
        var noPrimarySeenAt = Stopwatch.GetTimestamp();
        // Attempts, or checks of a commit the kill interrupted (they wait for a primary too).
        await WaitForAsync(() => attempts.After(noPrimarySeenAt) + loop.VerificationsAfter(noPrimarySeenAt) >= 3, () => $"3 attempts while there is no primary ({attempts.Count} attempts; {loop})");

        var promoted = await _lab.MostAdvancedReplicaAsync([2, 3]);
        await _lab.PromoteAsync(promoted);
        await _lab.RepointAsync(promoted == 2 ? 3 : 2, promoted);
        await WaitUntilAsync(dataSource, t => t.Primary?.Endpoint == _lab.Endpoint(promoted));
        var settledAt = Stopwatch.GetTimestamp();
        await WaitForAsync(() => loop.AcknowledgedAfter(settledAt) >= 5, () => $"5 acknowledged SaveChanges on the new primary ({loop})");
        var outcomes = await loop.StopAsync();

        await using var admin = new MySqlConnection(Config.AdminConnectionString(_lab.Endpoint(promoted)) + ";Pooling=false");
        var rowsPerKey = (await admin.QueryAsync<(long Key, long Rows)>($"SELECT request_key, COUNT(*) FROM {EfRetryItems.Table} GROUP BY request_key"))
            .ToDictionary(r => r.Key, r => r.Rows);
        var acknowledged = outcomes.Where(o => o.Error is null).Select(o => o.Key).ToList();
        var lost = acknowledged.Where(k => !rowsPerKey.ContainsKey(k)).ToList();
        var duplicated = rowsPerKey.Where(r => r.Value > 1).Select(r => r.Key).ToList();
        output.WriteLine(
            $"SaveChanges through the failover: written {outcomes.Count}, acknowledged {acknowledged.Count}, lost {lost.Count}, duplicated {duplicated.Count}; " +
            $"attempts {attempts.Count} (retries {attempts.Count - outcomes.Count}), commit checks {loop.Verifications}; " +
            $"failed: {string.Join("; ", outcomes.Where(o => o.Error is not null).Take(5).Select(o => $"{o.Key}: {o.Error}"))}");

        Assert.Empty(lost);
        Assert.Empty(duplicated);
        Assert.All(outcomes, o => Assert.Null(o.Error));   // every unit of work rode through: retried until the new primary took it
        Assert.True(attempts.Count > outcomes.Count || loop.Verifications > 0, "no SaveChanges was retried or checked: the loop did not meet the failover");
    }

    /// <summary>A data source over the failover set with the monitor on (default interval), once it has seen the topology as built.</summary>
    [Fact]
    public async Task Semi_sync_silently_downgraded_to_async_is_reported_and_its_recovery_seen()
    {
        var dataSource = await StartDataSourceAsync();
        var mariaDb = flavor == TopologyConfig.MariaDb;
        Assert.False(dataSource.Topology.Primary!.SemiSyncDowngraded);

        // No replica receives: the next commit waits out the primary's semi-sync timeout, then it falls back to async.
        foreach (var replica in new[] { 2, 3 })
            await _lab.AdminScalarAsync(replica, mariaDb ? "STOP SLAVE IO_THREAD" : "STOP REPLICA IO_THREAD");
        await _lab.AdminScalarAsync(1, $"INSERT INTO {Table} (id, name, written_by, pad) VALUES (1, 'async', @@server_id, '')");
        await WaitUntilAsync(dataSource, t => t.Primary?.SemiSyncDowngraded == true);

        foreach (var replica in new[] { 2, 3 })
            await _lab.AdminScalarAsync(replica, mariaDb ? "START SLAVE IO_THREAD" : "START REPLICA IO_THREAD");
        await _lab.WaitForReplicasAsync(1, [2, 3]);
        await _lab.AdminScalarAsync(1, $"INSERT INTO {Table} (id, name, written_by, pad) VALUES (2, 'semi-sync again', @@server_id, '')");
        await WaitUntilAsync(dataSource, t => t.Primary?.SemiSyncDowngraded == false);
    }

    private async Task<ReplicaRoutingDataSource> StartDataSourceAsync(string? extraConnectionOptions = null)
    {
        var builder = new ReplicaRoutingDataSourceBuilder().UsePrimary(Config.ConnectionString(Config.Nodes[0], extraConnectionOptions));
        foreach (var replica in Config.Nodes.Skip(1))
            builder.AddReplica(Config.ConnectionString(replica, extraConnectionOptions));
        var dataSource = builder.Configure(o => o.TopologyMonitor = true).Build();
        _dataSources.Add(dataSource);
        await using (await dataSource.OpenConnectionAsync())
        {
            // opening starts the monitor
        }

        await WaitUntilAsync(dataSource, t =>
            t.Primary?.Endpoint == Config.Nodes[0]
            && t.Nodes.Skip(1).All(n => n is { Role: NodeRole.Replica, State: NodeState.Healthy }));
        return dataSource;
    }

    private static async Task<WriteOutcome> WriteAsync(ReplicaRoutingDataSource dataSource, long id)
    {
        var started = Stopwatch.GetTimestamp();
        string? node = null;
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync();
            await connection.ExecuteAsync($"INSERT INTO {Table} (id, name, written_by, pad) VALUES (@id, @name, @@server_id, '')", new { id, name = $"write-{id}" });
            node = connection.LastRoutingDecision?.Node;
            return new WriteOutcome(id, started, Stopwatch.GetTimestamp(), node, null);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return new WriteOutcome(id, started, Stopwatch.GetTimestamp(), node, ex);
        }
    }

    /// <summary>The seed rows' count (must be <see cref="SeedRows"/>) and who answered.</summary>
    private static async Task<(bool Correct, long ServerId, string Detail)> CountSeedAsync(ReplicaRoutingConnection connection)
    {
        var (count, serverId) = await connection.QuerySingleAsync<(long, long)>($"SELECT COUNT(*), CAST(@@server_id AS SIGNED) FROM {Table} WHERE id < 0");
        return (count == SeedRows, serverId, $"count {count}");
    }

    /// <summary>
    /// Every seed row (about 240 KB): exactly ids -1 .. -SeedRows with their names, or it is wrong data. <paramref name="slowly"/>
    /// makes the server produce them over a few hundred milliseconds (a tiny SLEEP per row), so that a server killed meanwhile
    /// dies in the middle of the result set rather than after it sat whole in the socket buffers.
    /// </summary>
    private static async Task<(bool Correct, long ServerId, string Detail)> ReadAllSeedRowsAsync(ReplicaRoutingConnection connection, bool slowly)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT id, name, pad, CAST(@@server_id AS SIGNED){(slowly ? ", SLEEP(0.0001)" : "")} FROM {Table} WHERE id < 0 ORDER BY id DESC";
        await using var reader = await command.ExecuteReaderAsync();
        var rows = 0;
        long serverId = 0;
        var correct = true;
        while (await reader.ReadAsync())
        {
            rows++;
            serverId = reader.GetInt64(3);
            correct &= reader.GetInt64(0) == -rows && reader.GetString(1) == $"seed-{rows}" && reader.GetString(2).Length == 100;
        }

        return (correct && rows == SeedRows, serverId, $"{rows} rows");
    }

    /// <summary>Successful reads are all correct; failed ones failed with a database or connection exception, during the event only.</summary>
    private static void AssertReads(IReadOnlyList<ReadOutcome> reads, long from, long to)
    {
        Assert.NotEmpty(reads);
        foreach (var read in reads)
        {
            if (read.Error is null)
            {
                Assert.True(read.Correct, $"WRONG DATA from server {read.ServerId}: {read.Detail}");
                continue;
            }

            // A database error, or the stream of a result set cut short by the server's death (MySqlConnector's
            // MySqlEndOfStreamException, an IOException: "An incomplete response was received from the server").
            Assert.True(read.Error is DbException or IOException, $"a read failed with an unclear exception: {read.Error}");
            Assert.True(read.EndedAt > from && read.StartedAt < to, $"a read failed outside the event: {read.Error}");
        }
    }

    private static string Describe(IEnumerable<ReadOutcome> reads) =>
        string.Join("; ", reads.Take(10).Select(r => r.Error is null ? $"ok from {r.ServerId}" : $"{r.Error.GetType().Name}: {r.Error.Message}"));

    private static bool IsReadOnlyRefusal(Exception? exception) =>
        exception is MySqlException { Number: 1290 or 1792 or 1836 };

    private async Task<long?> WrittenByAsync(int node, long id) =>
        await _lab.AdminScalarAsync(node, $"SELECT written_by FROM {Table} WHERE id = {id.ToString(CultureInfo.InvariantCulture)}") is { } value
            ? Convert.ToInt64(value, CultureInfo.InvariantCulture)
            : null;

    /// <summary>The ids of <paramref name="ids"/> that node <paramref name="node"/> does not hold.</summary>
    private async Task<List<long>> MissingOnAsync(int node, IReadOnlyCollection<long> ids)
    {
        await using var connection = new MySqlConnection(Config.AdminConnectionString(_lab.Endpoint(node)) + ";Pooling=false");
        var found = (await connection.QueryAsync<long>($"SELECT id FROM {Table} WHERE id > 0")).ToHashSet();
        return ids.Where(i => !found.Contains(i)).ToList();
    }

    /// <summary>The application user's connections on a node (its pools' and the monitor's probe), counted by the admin user.</summary>
    private async Task<long> AppConnectionsAsync(int node) =>
        Convert.ToInt64(await _lab.AdminScalarAsync(node, $"SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = '{Config.User}'"), CultureInfo.InvariantCulture);

    /// <summary>Polls the published snapshot; the bound only detects a hang (it is no timing assertion).</summary>
    private static async Task WaitUntilAsync(ReplicaRoutingDataSource dataSource, Func<TopologySnapshot, bool> condition)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(HangDetector.TotalSeconds * Stopwatch.Frequency);
        while (!condition(dataSource.Topology))
        {
            Assert.True(Stopwatch.GetTimestamp() < deadline, $"the monitor did not get there within {HangDetector}: {dataSource.Topology}");
            await Task.Delay(20);
        }
    }

    private static Task WaitForAsync(Func<bool> condition, string what) => WaitForAsync(condition, () => what);

    /// <summary>Polls <paramref name="condition"/>; <paramref name="what"/> describes it, and the state it was in, on a hang.</summary>
    private static async Task WaitForAsync(Func<bool> condition, Func<string> what)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(HangDetector.TotalSeconds * Stopwatch.Frequency);
        while (!condition())
        {
            Assert.True(Stopwatch.GetTimestamp() < deadline, $"{what()} did not happen within {HangDetector}");
            await Task.Delay(20);
        }
    }

    private sealed record ReadOutcome(long StartedAt, long EndedAt, bool Correct, long ServerId, string Detail, Exception? Error);

    private sealed record WriteOutcome(long Id, long StartedAt, long EndedAt, string? Node, Exception? Error);

    /// <summary>Readers that each open a connection, read, check the answer and close, until stopped.</summary>
    private sealed class ReadLoop : IAsyncDisposable
    {
        private readonly ConcurrentQueue<ReadOutcome> _outcomes = new();
        private readonly CancellationTokenSource _stop = new();
        private Task[] _tasks = [];

        public int Completed => _outcomes.Count;

        public static ReadLoop Start(ReplicaRoutingDataSource dataSource, int concurrency, Func<ReplicaRoutingConnection, Task<(bool, long, string)>> read)
        {
            var loop = new ReadLoop();
            loop._tasks = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
            {
                while (!loop._stop.IsCancellationRequested)
                {
                    var outcome = await ReadOnceAsync(dataSource, read);
                    loop._outcomes.Enqueue(outcome);
                    if (outcome.Error is not null)
                        await Task.Delay(10);
                }
            })).ToArray();
            return loop;
        }

        public static async Task<ReadOutcome> ReadOnceAsync(ReplicaRoutingDataSource dataSource, Func<ReplicaRoutingConnection, Task<(bool, long, string)>> read)
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync();
                var (correct, serverId, detail) = await read(connection);
                return new ReadOutcome(started, Stopwatch.GetTimestamp(), correct, serverId, detail, null);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                return new ReadOutcome(started, Stopwatch.GetTimestamp(), false, 0, "", ex);
            }
        }

        public Task WaitForCompletedAsync(int count) => WaitForAsync(() => FailFast(_outcomes.Count >= count), $"{count} reads");

        public Task WaitForStartedAfterAsync(long timestamp, int count) =>
            WaitForAsync(() => FailFast(_outcomes.Count(o => o.StartedAt > timestamp) >= count), $"{count} reads after the event");

        public async Task<IReadOnlyList<ReadOutcome>> StopAsync()
        {
            await _stop.CancelAsync();
            await Task.WhenAll(_tasks);
            return _outcomes.ToList();
        }

        public async ValueTask DisposeAsync()
        {
            if (!_stop.IsCancellationRequested)
                await StopAsync();
            _stop.Dispose();
        }

        private bool FailFast(bool condition)
        {
            var crashed = _tasks.FirstOrDefault(t => t.IsFaulted);
            return crashed is null ? condition : throw crashed.Exception!;
        }
    }

    /// <summary>One writer that inserts ids one after another and records each outcome, until stopped.</summary>
    private sealed class WriteLoop : IAsyncDisposable
    {
        private readonly ConcurrentQueue<WriteOutcome> _outcomes = new();
        private readonly CancellationTokenSource _stop = new();
        private Task _task = Task.CompletedTask;

        public static WriteLoop Start(ReplicaRoutingDataSource dataSource, long firstId)
        {
            var loop = new WriteLoop();
            loop._task = Task.Run(async () =>
            {
                for (var id = firstId; !loop._stop.IsCancellationRequested; id++)
                {
                    var outcome = await WriteAsync(dataSource, id);
                    loop._outcomes.Enqueue(outcome);
                    if (outcome.Error is not null)
                        await Task.Delay(20);
                }
            });
            return loop;
        }

        public Task WaitForAcknowledgedAsync(int count) =>
            WaitForAsync(() => _outcomes.Count(o => o.Error is null) >= count, $"{count} acknowledged writes");

        public Task WaitForAcknowledgedAfterAsync(long timestamp, int count) =>
            WaitForAsync(() => _outcomes.Count(o => o.Error is null && o.StartedAt > timestamp) >= count, $"{count} acknowledged writes after the failover");

        public async Task<IReadOnlyList<WriteOutcome>> StopAsync()
        {
            await _stop.CancelAsync();
            await _task;
            return _outcomes.ToList();
        }

        public async ValueTask DisposeAsync()
        {
            if (!_stop.IsCancellationRequested)
                await StopAsync();
            _stop.Dispose();
        }
    }

    /// <summary>
    /// One writer of one-row units of work, each in a fresh context (as a request would), run the way EF documents for
    /// commit failures: <c>ExecuteInTransactionAsync</c> with a check of the request key on the primary.
    /// </summary>
    private sealed class EfWriteLoop : IAsyncDisposable
    {
        private readonly ConcurrentQueue<EfWriteOutcome> _outcomes = new();
        private readonly CancellationTokenSource _stop = new();
        private Task _task = Task.CompletedTask;
        private readonly ConcurrentQueue<long> _verifiedAt = new();

        public int Acknowledged => _outcomes.Count(o => o.Error is null);

        public int Verifications => _verifiedAt.Count;

        public int VerificationsAfter(long timestamp) => _verifiedAt.Count(t => t > timestamp);

        public static EfWriteLoop Start(DbContextOptions<EfRetryItems> options)
        {
            var loop = new EfWriteLoop();
            loop._task = Task.Run(async () =>
            {
                for (var key = 1L; !loop._stop.IsCancellationRequested; key++)
                    loop._outcomes.Enqueue(await loop.WriteAsync(options, key));
            });
            return loop;
        }

        public int AcknowledgedAfter(long timestamp) => _outcomes.Count(o => o.Error is null && o.StartedAt > timestamp);

        public override string ToString() =>
            $"{_outcomes.Count} done, {Acknowledged} acknowledged, {Verifications} commit checks; failures: {string.Join("; ", _outcomes.Where(o => o.Error is not null).Take(3).Select(o => o.Error))}";

        public async Task<IReadOnlyList<EfWriteOutcome>> StopAsync()
        {
            await _stop.CancelAsync();
            await _task;
            return _outcomes.ToList();
        }

        public async ValueTask DisposeAsync()
        {
            if (!_stop.IsCancellationRequested)
                await StopAsync();
            _stop.Dispose();
        }

        private async Task<EfWriteOutcome> WriteAsync(DbContextOptions<EfRetryItems> options, long key)
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                await using var db = new EfRetryItems(options);
                db.Items.Add(new EfRetryItem { RequestKey = key });
                await db.Database.CreateExecutionStrategy().ExecuteInTransactionAsync(
                    ct => db.SaveChangesAsync(acceptAllChangesOnSuccess: false, ct),
                    ct =>
                    {
                        _verifiedAt.Enqueue(Stopwatch.GetTimestamp());
                        return db.Items.ReadFromPrimary().AnyAsync(i => i.RequestKey == key, ct);
                    });
                db.ChangeTracker.AcceptAllChanges();
                return new EfWriteOutcome(key, started, null);
            }
            catch (Exception ex)
            {
                return new EfWriteOutcome(key, started, ex);
            }
        }
    }

    /// <summary>Each attempt of a unit of work begins its transaction: counting those counts the attempts, retries included.</summary>
    private sealed class AttemptRecorder : DbTransactionInterceptor
    {
        private readonly ConcurrentQueue<long> _startedAt = new();

        public int Count => _startedAt.Count;

        public int After(long timestamp) => _startedAt.Count(t => t > timestamp);

        public override ValueTask<InterceptionResult<DbTransaction>> TransactionStartingAsync(
            DbConnection connection, TransactionStartingEventData eventData, InterceptionResult<DbTransaction> result, CancellationToken cancellationToken = default)
        {
            _startedAt.Enqueue(Stopwatch.GetTimestamp());
            return ValueTask.FromResult(result);
        }
    }

    private sealed record EfWriteOutcome(long Key, long StartedAt, Exception? Error);

    /// <summary>Rows with an AUTO_INCREMENT id and a client-generated request key: a write applied twice is two rows with one key.</summary>
    private sealed class EfRetryItems(DbContextOptions<EfRetryItems> options) : DbContext(options)
    {
        public const string Table = "efretry_items";

        public const string CreateTableSql =
            $"CREATE TABLE {Table} (id BIGINT AUTO_INCREMENT PRIMARY KEY, request_key BIGINT NOT NULL, INDEX ix_{Table}_key (request_key)) ENGINE=InnoDB";

        public DbSet<EfRetryItem> Items => Set<EfRetryItem>();

        protected override void OnModelCreating(ModelBuilder modelBuilder) =>
            modelBuilder.Entity<EfRetryItem>(e =>
            {
                e.ToTable(Table);
                e.Property(i => i.Id).HasColumnName("id");
                e.Property(i => i.RequestKey).HasColumnName("request_key");
            });
    }

    private sealed class EfRetryItem
    {
        public long Id { get; set; }

        public long RequestKey { get; set; }
    }
}

[CollectionDefinition("failover-" + TopologyConfig.MariaDb)]
public sealed class MariaDbFailoverCollection;

[CollectionDefinition("failover-" + TopologyConfig.MySql)]
public sealed class MySqlFailoverCollection;

[Collection("failover-" + TopologyConfig.MariaDb), Trait("Flavor", TopologyConfig.MariaDb)]
public sealed class MariaDbFailoverTests(ITestOutputHelper output) : FailoverTests(TopologyConfig.MariaDb, output);

[Collection("failover-" + TopologyConfig.MySql), Trait("Flavor", TopologyConfig.MySql)]
public sealed class MySqlFailoverTests(ITestOutputHelper output) : FailoverTests(TopologyConfig.MySql, output);
