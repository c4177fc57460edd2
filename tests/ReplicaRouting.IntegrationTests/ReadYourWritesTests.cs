using System.Diagnostics;
using Dapper;
using Microsoft.Extensions.Time.Testing;
using MySqlConnector;
using ReplicaRouting.IntegrationTests.Infrastructure;
using ReplicaRouting.Internal;

namespace ReplicaRouting.IntegrationTests;

/// <summary>Read-your-writes on real replicas with real lag (stopped apply threads). Runs once per flavor.</summary>
public abstract class ReadYourWritesTests(TopologyFixture topology) : IDisposable
{
    private const string Insert = "INSERT INTO items (name, written_by) VALUES (@name, @@server_id)";
    private const string CountByName = "SELECT COUNT(*) FROM items WHERE name = @name";

    private readonly RecordingLoggerFactory _log = new();
    private readonly ReplicaControl _replicas = new(topology);
    private readonly List<ReplicaRoutingDataSource> _dataSources = [];

    public void Dispose()
    {
        foreach (var dataSource in _dataSources)
            dataSource.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task A_read_after_a_write_waits_on_the_replica_and_sees_the_row()
    {
        var dataSource = DataSource();
        using var session = dataSource.BeginSession();
        await using var connection = await dataSource.OpenConnectionAsync();
        var name = NewName();
        await using (await _replicas.PauseApplyAsync(topology.Config.ReplicaEndpoints[0]))
        {
            await connection.ExecuteAsync(Insert, new { name });
            Assert.Null(session.Position);   // read when a read needs it, not behind the write (nothing may observe it there)

            // A replica that has applied the write, or the primary after the wait times out: never a stale answer.
            for (var i = 0; i < 4; i++)
            {
                Assert.Equal(1, await connection.ExecuteScalarAsync<int>(CountByName, new { name }));
                Assert.Contains(connection.LastRoutingDecision!.Value.Reason, new[] { RoutingReason.CausalRead, RoutingReason.CausalWaitTimedOut });
            }

            Assert.NotNull(session.Position);
        }
    }

    [Fact]
    public async Task A_replica_known_to_have_the_position_is_read_without_a_wait()
    {
        var dataSource = DataSource();
        using var session = dataSource.BeginSession();
        await using var connection = await dataSource.OpenConnectionAsync();
        await connection.ExecuteAsync(Insert, new { name = NewName() });
        await topology.WaitForReplicasAsync();

        for (var i = 0; i < 2; i++)   // one wait per replica teaches the data source where the position is
            await connection.ExecuteScalarAsync<long>("SELECT @@server_id");
        var waitsBefore = dataSource.Configuration.Replicas.Sum(r => r.CausalWaits);

        for (var i = 0; i < 10; i++)
        {
            Assert.True(topology.IsReplica(await connection.ExecuteScalarAsync<long>("SELECT @@server_id")));
            Assert.Equal(RoutingReason.CausalRead, connection.LastRoutingDecision!.Value.Reason);
        }

        Assert.Equal(waitsBefore, dataSource.Configuration.Replicas.Sum(r => r.CausalWaits));
    }

    [Fact]
    public async Task A_wait_that_times_out_is_answered_by_the_primary_correctly()
    {
        var dataSource = DataSource(o => o.CausalReadTimeout = TimeSpan.FromMilliseconds(200));
        using var session = dataSource.BeginSession();
        await using var connection = await dataSource.OpenConnectionAsync();
        var name = NewName();
        await using (await _replicas.PauseApplyAsync())
        {
            await connection.ExecuteAsync(Insert, new { name });
            var stopwatch = Stopwatch.StartNew();
            Assert.Equal(1, await connection.ExecuteScalarAsync<int>(CountByName, new { name }));
            Assert.Equal(new RoutingDecision(RouteTarget.Primary, RoutingReason.CausalWaitTimedOut, topology.Config.PrimaryEndpoint), connection.LastRoutingDecision);

            // A stopped replica does not hold the read: the wait returns at the cap (20 s here only detects a hang).
            Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(20), $"the read took {stopwatch.Elapsed}");
            var rows = (await connection.QueryAsync<string>("SELECT name FROM items WHERE name = @name", new { name })).ToList();
            Assert.Equal([name], rows);
        }
    }

    [Fact]
    public async Task Nothing_ever_waits_on_the_primary()
    {
        var dataSource = DataSource(replicaEndpoints: [TopologyConfig.ClosedEndpoint(), TopologyConfig.ClosedEndpoint()]);
        var primaryWaitsBefore = await PrimaryWaitCountAsync();
        using var session = dataSource.BeginSession();
        await using var connection = await dataSource.OpenConnectionAsync();
        var name = NewName();
        await connection.ExecuteAsync(Insert, new { name });
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>(CountByName, new { name }));
        Assert.Equal(RoutingReason.NoReplicaAvailable, connection.LastRoutingDecision!.Value.Reason);
        Assert.Equal(0, dataSource.Configuration.Primary.CausalWaits);
        Assert.Equal(primaryWaitsBefore, await PrimaryWaitCountAsync());
    }

    [Fact]
    public async Task A_token_carries_the_write_to_a_new_session_of_another_data_source()
    {
        var name = NewName();
        await using (await _replicas.PauseApplyAsync())
        {
            string token;
            var writer = DataSource();
            using (var session = writer.BeginSession())
            await using (var connection = await writer.OpenConnectionAsync())
            {
                await connection.ExecuteAsync(Insert, new { name });
                token = session.Token!.ToString();
            }

            var reader = DataSource(o => o.CausalReadTimeout = TimeSpan.FromMilliseconds(300));   // like another service
            using (reader.BeginSession(token))
            await using (var connection = await reader.OpenConnectionAsync())
            {
                Assert.Equal(1, await connection.ExecuteScalarAsync<int>(CountByName, new { name }));
                Assert.Equal(RoutingReason.CausalWaitTimedOut, connection.LastRoutingDecision!.Value.Reason);
            }

            // Without the token the same read is stale: the replicas really are behind.
            await using var plain = await reader.OpenConnectionAsync();
            Assert.Equal(0, await plain.ExecuteScalarAsync<int>("/* any replica */ " + CountByName, new { name }));
            Assert.Equal(RouteTarget.Replica, plain.LastRoutingDecision!.Value.Target);
        }
    }

    [Fact]
    public async Task Bad_tokens_are_ignored_with_a_log_line_and_never_throw()
    {
        var dataSource = DataSource();
        var valid = await ValidTokenAsync(dataSource);
        var otherFlavor = topology.ServerFlavor == ServerFlavor.MariaDb ? MySqlGtidSet.Parse("3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5") : (GtidPosition)MariaDbGtidPosition.Parse("0-1-5");
        var now = DateTimeOffset.UtcNow;
        (string Case, string? Text, int EventId)[] cases =
        [
            ("garbage", "not a token at all", EventIds.TokenMalformed),
            ("truncated", valid.ToString()[..^4], EventIds.TokenMalformed),
            ("oversized", valid.ToString() + new string('0', ConsistencyToken.MaxLength), EventIds.TokenMalformed),
            ("other flavor", new ConsistencyToken(valid.ClusterId, otherFlavor, now).ToString(), EventIds.TokenWrongFlavor),
            ("other cluster", new ConsistencyToken("another-cluster", valid.Position, now).ToString(), EventIds.TokenForeign),
            ("expired", new ConsistencyToken(valid.ClusterId, valid.Position, now.AddHours(-1)).ToString(), EventIds.TokenExpired),
            ("from the future", new ConsistencyToken(valid.ClusterId, valid.Position, now.AddHours(1)).ToString(), EventIds.TokenExpired),
        ];

        foreach (var (name, text, eventId) in cases)
        {
            _log.Entries.Clear();
            using var session = dataSource.BeginSession(text);
            Assert.True(session.Position is null, name);
            await using var connection = await dataSource.OpenConnectionAsync();
            Assert.True(topology.IsReplica(await connection.ExecuteScalarAsync<long>("SELECT @@server_id")), name);
            Assert.Equal(RoutingReason.Read, connection.LastRoutingDecision!.Value.Reason);
            Assert.True(_log.Contains(eventId), $"{name}: no log event {eventId}");
        }
    }

    [Fact]
    public async Task A_position_the_primary_does_not_have_is_dropped_after_one_check()
    {
        var dataSource = DataSource();
        var primary = GtidPosition.TryParse(topology.ServerFlavor, await topology.PrimaryPositionAsync(), out var p) ? p : throw new InvalidOperationException();
        GtidPosition future, lostTimeline;
        if (primary is MariaDbGtidPosition)
        {
            var first = primary.ToString().Split(',')[0].Split('-');   // domain-server-seq
            future = MariaDbGtidPosition.Parse($"{first[0]}-{first[1]}-{ulong.Parse(first[2]) + 1000}");
            lostTimeline = MariaDbGtidPosition.Parse("977-77-5");
        }
        else
        {
            var first = primary.ToString().Split(',')[0];
            var uuid = first[..first.IndexOf(':')];
            var last = ulong.Parse(first[(first.LastIndexOf('-') + 1)..]);
            future = MySqlGtidSet.Parse($"{uuid}:1-{last + 1000}");
            lostTimeline = MySqlGtidSet.Parse("aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa:1-3");
        }

        foreach (var position in new[] { future, lostTimeline })
        {
            _log.Entries.Clear();
            var waitsBefore = dataSource.Configuration.Replicas.Sum(r => r.CausalWaits);
            using var session = dataSource.BeginSession(new ConsistencyToken(dataSource.ClusterId, position, DateTimeOffset.UtcNow));
            await using var connection = await dataSource.OpenConnectionAsync();
            for (var i = 0; i < 3; i++)
            {
                Assert.True(topology.IsReplica(await connection.ExecuteScalarAsync<long>("SELECT @@server_id")));
                Assert.Equal(RoutingReason.Read, connection.LastRoutingDecision!.Value.Reason);
            }

            Assert.Null(session.Position);
            Assert.True(_log.Contains(EventIds.TokenPositionNotOnPrimary), position.ToString());
            Assert.Equal(waitsBefore, dataSource.Configuration.Replicas.Sum(r => r.CausalWaits));
        }
    }

    [Fact]
    public async Task Capturing_the_gtid_does_not_change_what_the_caller_sees()
    {
        var dataSource = DataSource();
        using var session = dataSource.BeginSession();
        await using var routed = await dataSource.OpenConnectionAsync();
        await using var raw = new MySqlConnection(topology.Config.ConnectionString(topology.Config.PrimaryEndpoint));
        await raw.OpenAsync();

        foreach (var connection in new System.Data.Common.DbConnection[] { routed, raw })
        {
            var label = connection.GetType().Name;
            Assert.Equal(2, await connection.ExecuteAsync("INSERT INTO items (name, written_by) VALUES (@a, 1), (@b, 1)", new { a = NewName(), b = NewName() }));
            Assert.Equal(0, await connection.ExecuteAsync("UPDATE items SET name = name WHERE id < 0"));
            Assert.Null(await connection.ExecuteScalarAsync(Insert, new { name = NewName() }));

            var name = NewName();
            var id = await connection.ExecuteScalarAsync<long>(Insert + "; SELECT LAST_INSERT_ID();", new { name });
            Assert.Equal(name, await connection.ExecuteScalarAsync<string>("-- ReplicaRouting:ReadFromPrimary\nSELECT name FROM items WHERE id = @id", new { id }));

            using (var grid = await connection.QueryMultipleAsync(Insert + "; SELECT 1 AS a; SELECT 'x' AS b", new { name = NewName() }))
            {
                Assert.Equal(1, await grid.ReadSingleAsync<int>());
                Assert.Equal("x", await grid.ReadSingleAsync<string>());
                Assert.True(grid.IsConsumed);
            }

            await using (var command = connection.CreateCommand())
            {
                command.CommandText = "INSERT INTO items (name, written_by) VALUES ('reader', 1)";
                await using var reader = await command.ExecuteReaderAsync();
                Assert.Equal(0, reader.FieldCount);
                Assert.False(await reader.ReadAsync());
                Assert.False(await reader.NextResultAsync());
                await reader.CloseAsync();
                Assert.Equal(1, reader.RecordsAffected);
            }

            var duplicate = await Assert.ThrowsAsync<MySqlException>(() => connection.ExecuteAsync("INSERT INTO items (id, name, written_by) VALUES (@id, 'dup', 1)", new { id }));
            Assert.True(duplicate.ErrorCode == MySqlErrorCode.DuplicateKeyEntry, label);

            if (topology.Flavor == TopologyConfig.MariaDb)
                Assert.Single(await connection.QueryAsync<long>("INSERT INTO items (name, written_by) VALUES ('returning', 1) RETURNING id"));
        }

        Assert.False(session.Token!.Position.IsEmpty);   // the routed connection is still open: the token reads its writes' GTID
    }

    [Fact]
    public async Task What_a_failed_multi_statement_write_committed_is_seen_by_the_next_read()
    {
        var dataSource = DataSource(o => o.CausalReadTimeout = TimeSpan.FromMilliseconds(300));
        using var session = dataSource.BeginSession();
        await using var connection = await dataSource.OpenConnectionAsync();
        var name = NewName();
        await using (await _replicas.PauseApplyAsync())
        {
            await Assert.ThrowsAsync<MySqlException>(() => connection.ExecuteAsync(Insert + "; INSERT INTO no_such_table VALUES (1)", new { name }));
            Assert.Equal(1, await connection.ExecuteScalarAsync<int>(CountByName, new { name }));
            Assert.Contains(connection.LastRoutingDecision!.Value.Reason, new[] { RoutingReason.CausalRead, RoutingReason.CausalWaitTimedOut });
            Assert.False(session.Snapshot.UnknownWrite);   // the GTID of what committed was read on the primary session that ran it
        }
    }

    [Fact]
    public async Task A_statement_that_writes_nothing_leaves_the_session_free_and_logs_nothing()
    {
        var dataSource = DataSource();   // fresh: knows nothing of the primary yet
        using var session = dataSource.BeginSession();
        await using var connection = await dataSource.OpenConnectionAsync();
        await connection.ExecuteAsync("CREATE TABLE IF NOT EXISTS items (id BIGINT PRIMARY KEY)");   // exists: no GTID
        await connection.ExecuteAsync("UPDATE items SET name = name WHERE id < 0");
        Assert.True(topology.IsReplica(await connection.ExecuteScalarAsync<long>("SELECT @@server_id")));
        Assert.NotEqual(RoutingReason.RecentWrite, connection.LastRoutingDecision!.Value.Reason);
        Assert.False(_log.Contains(EventIds.GtidCaptureUnavailable));
        Assert.False(session.Snapshot.UnknownWrite);
    }

    [Fact]
    public async Task A_transaction_is_captured_at_commit()
    {
        var dataSource = DataSource();
        var name = NewName();
        string token;
        await using (await _replicas.PauseApplyAsync())
        {
            using (var session = dataSource.BeginSession())
            await using (var connection = await dataSource.OpenConnectionAsync())
            {
                await using var transaction = await connection.BeginTransactionAsync();
                await connection.ExecuteAsync(Insert, new { name }, transaction);
                Assert.Null(session.Position);
                await transaction.CommitAsync();
                token = session.Token!.ToString();   // read on the transaction's primary session, after its COMMIT
                Assert.NotNull(session.Position);
            }

            using (dataSource.BeginSession(token))
            await using (var connection = await dataSource.OpenConnectionAsync())
                Assert.Equal(1, await connection.ExecuteScalarAsync<int>(CountByName, new { name }));
        }
    }

    [Fact]
    public async Task Sessions_are_independent_and_one_session_is_safe_under_concurrent_writes()
    {
        var dataSource = DataSource();
        var names = Enumerable.Range(0, 8).Select(_ => NewName()).ToArray();

        async Task<RoutingReason> Writer()
        {
            using var session = dataSource.BeginSession();
            await Task.WhenAll(names.Select(async name =>
            {
                await using var connection = await dataSource.OpenConnectionAsync();
                await connection.ExecuteAsync(Insert, new { name });
            }));
            await using var reader = await dataSource.OpenConnectionAsync();
            Assert.Equal(names.Length, await reader.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM items WHERE name IN @names", new { names }));
            return reader.LastRoutingDecision!.Value.Reason;
        }

        async Task<RoutingReason> Reader()
        {
            using var session = dataSource.BeginSession();
            await using var connection = await dataSource.OpenConnectionAsync();
            await connection.ExecuteScalarAsync<long>("SELECT @@server_id");
            return connection.LastRoutingDecision!.Value.Reason;
        }

        var reasons = await Task.WhenAll(Task.Run(Writer), Task.Run(Reader));
        Assert.Contains(reasons[0], new[] { RoutingReason.CausalRead, RoutingReason.CausalWaitTimedOut });
        Assert.Equal(RoutingReason.Read, reasons[1]);
    }

    [Fact]
    public async Task Primary_after_write_reads_the_primary_within_the_window_only()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var dataSource = DataSource(
            o => { o.ReadYourWrites = ReadYourWritesStrategy.PrimaryAfterWrite; o.PrimaryAfterWriteWindow = TimeSpan.FromSeconds(5); },
            build: b => b.UseTimeProvider(clock));
        string token;
        using (var session = dataSource.BeginSession())
        await using (var connection = await dataSource.OpenConnectionAsync())
        {
            await connection.ExecuteAsync(Insert, new { name = NewName() });
            Assert.Null(session.Position);   // no GTID capture in this strategy
            Assert.Equal(topology.PrimaryServerId, await connection.ExecuteScalarAsync<long>("SELECT @@server_id"));
            Assert.Equal(RoutingReason.RecentWrite, connection.LastRoutingDecision!.Value.Reason);
            token = session.Token!.ToString();
        }

        using (dataSource.BeginSession(token))
        await using (var connection = await dataSource.OpenConnectionAsync())
        {
            Assert.Equal(topology.PrimaryServerId, await connection.ExecuteScalarAsync<long>("SELECT @@server_id"));
            clock.Advance(TimeSpan.FromSeconds(6));
            Assert.True(topology.IsReplica(await connection.ExecuteScalarAsync<long>("SELECT @@server_id")));
            Assert.Equal(RoutingReason.Read, connection.LastRoutingDecision!.Value.Reason);
        }
    }

    [Fact]
    public async Task Read_from_any_replica_ignores_the_session()
    {
        var dataSource = DataSource();
        using var session = dataSource.BeginSession();
        await using var connection = await dataSource.OpenConnectionAsync();
        await connection.ExecuteAsync(Insert, new { name = NewName() });
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT @@server_id";
        command.RoutingHint = RoutingHint.ReadFromAnyReplica;
        Assert.True(topology.IsReplica(Convert.ToInt64(await command.ExecuteScalarAsync())));
        Assert.Equal(RoutingReason.Read, connection.LastRoutingDecision!.Value.Reason);
    }

    private ReplicaRoutingDataSource DataSource(Action<ReplicaRoutingOptions>? configure = null, IEnumerable<string>? replicaEndpoints = null, Action<ReplicaRoutingDataSourceBuilder>? build = null)
    {
        var dataSource = topology.CreateDataSource(
            o =>
            {
                o.Consistency = ReadConsistency.ReadYourWrites;
                configure?.Invoke(o);
            },
            replicaEndpoints: replicaEndpoints,
            build: b =>
            {
                b.UseLoggerFactory(_log);
                build?.Invoke(b);
            });
        _dataSources.Add(dataSource);
        return dataSource;
    }

    private async Task<ConsistencyToken> ValidTokenAsync(ReplicaRoutingDataSource dataSource)
    {
        using var session = dataSource.BeginSession();
        await using var connection = await dataSource.OpenConnectionAsync();
        await connection.ExecuteAsync(Insert, new { name = NewName() });
        return session.Token!;
    }

    /// <summary>MariaDB counts MASTER_GTID_WAIT calls; MySQL has no such counter (0 then).</summary>
    private async Task<long> PrimaryWaitCountAsync()
    {
        if (topology.Flavor != TopologyConfig.MariaDb)
            return 0;
        await using var admin = await topology.OpenAdminAsync(topology.Config.PrimaryEndpoint);
        return (await admin.QuerySingleAsync<(string Name, long Value)>("SHOW GLOBAL STATUS LIKE 'Master_gtid_wait_count'")).Value;
    }

    private static string NewName() => Guid.NewGuid().ToString("N");
}

[Collection(TopologyConfig.MariaDb), Trait("Flavor", TopologyConfig.MariaDb)]
public sealed class MariaDbReadYourWritesTests(MariaDbTopology topology) : ReadYourWritesTests(topology);

[Collection(TopologyConfig.MySql), Trait("Flavor", TopologyConfig.MySql)]
public sealed class MySqlReadYourWritesTests(MySqlTopology topology) : ReadYourWritesTests(topology);
