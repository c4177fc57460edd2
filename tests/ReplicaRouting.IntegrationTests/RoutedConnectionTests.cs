using System.Data;
using System.Diagnostics;
using Dapper;
using MySqlConnector;
using ReplicaRouting.IntegrationTests.Infrastructure;

namespace ReplicaRouting.IntegrationTests;

/// <summary>The routed connection, through Dapper, on a real primary and two real replicas. Runs once per flavor.</summary>
public abstract class RoutedConnectionTests(TopologyFixture topology) : IDisposable
{
    private readonly ReplicaRoutingDataSource _dataSource = topology.CreateDataSource();

    public void Dispose()
    {
        _dataSource.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task Write_lands_on_the_primary_and_read_on_a_replica()
    {
        await using var connection = await _dataSource.OpenConnectionAsync();
        var name = Guid.NewGuid().ToString("N");

        await connection.ExecuteAsync("INSERT INTO items (name, written_by) VALUES (@name, @@server_id)", new { name });
        Assert.Equal(new RoutingDecision(RouteTarget.Primary, RoutingReason.Write, topology.Config.PrimaryEndpoint), connection.LastRoutingDecision);

        var readBy = await connection.ExecuteScalarAsync<long>("SELECT @@server_id");
        Assert.True(topology.IsReplica(readBy), $"read answered by server {readBy}, not a replica");
        Assert.Equal(RoutingReason.Read, connection.LastRoutingDecision!.Value.Reason);

        await topology.WaitForReplicasAsync();
        var writtenBy = await connection.ExecuteScalarAsync<long>("SELECT written_by FROM items WHERE name = @name", new { name });
        Assert.Equal(topology.PrimaryServerId, writtenBy);
    }

    [Fact]
    public async Task Reads_spread_over_both_replicas()
    {
        await using var connection = await _dataSource.OpenConnectionAsync();
        var answeredBy = new HashSet<long>();
        for (var i = 0; i < 20; i++)
            answeredBy.Add(await connection.ExecuteScalarAsync<long>("SELECT @@server_id"));

        Assert.Equal(topology.ReplicaServerIds.Order(), answeredBy.Order());
    }

    [Theory]
    [InlineData(ReplicaSelectionPolicy.RoundRobin)]
    [InlineData(ReplicaSelectionPolicy.Random)]
    [InlineData(ReplicaSelectionPolicy.LeastOutstanding)]
    public async Task Every_selection_policy_reads_only_replicas_and_uses_both(ReplicaSelectionPolicy policy)
    {
        await using var dataSource = topology.CreateDataSource(o => o.ReplicaSelection = policy);
        var answeredBy = new HashSet<long>();
        for (var i = 0; i < 60; i++)
        {
            await using var connection = await dataSource.OpenConnectionAsync();
            answeredBy.Add(await connection.ExecuteScalarAsync<long>("SELECT @@server_id"));
        }

        Assert.Equal(topology.ReplicaServerIds.Order(), answeredBy.Order());
    }

    [Fact]
    public async Task Sync_api_routes_like_the_async_one()
    {
        using var connection = _dataSource.OpenConnection();
        var name = Guid.NewGuid().ToString("N");
        Assert.Equal(1, connection.Execute("INSERT INTO items (name, written_by) VALUES (@name, @@server_id)", new { name }));
        Assert.Equal(RouteTarget.Primary, connection.LastRoutingDecision!.Value.Target);
        Assert.True(topology.IsReplica(connection.ExecuteScalar<long>("SELECT @@server_id")));
    }

    [Fact]
    public async Task Api_transaction_keeps_reads_on_the_primary_until_it_ends()
    {
        await using var connection = await _dataSource.OpenConnectionAsync();
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await connection.ExecuteAsync("INSERT INTO items (name, written_by) VALUES ('tx', @@server_id)", transaction: transaction);
            var readBy = await connection.ExecuteScalarAsync<long>("SELECT @@server_id", transaction: transaction);
            Assert.Equal(topology.PrimaryServerId, readBy);
            Assert.Equal(RoutingReason.Transaction, connection.LastRoutingDecision!.Value.Reason);
            await transaction.CommitAsync();
        }

        // The pin ends with the transaction (its end is known exactly): reads leave the primary again.
        Assert.True(topology.IsReplica(await connection.ExecuteScalarAsync<long>("SELECT @@server_id")));

        // Session state created inside the transaction outlives it, and so does its pin.
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await connection.ExecuteAsync("CREATE TEMPORARY TABLE tx_scratch (id INT)", transaction: transaction);
            await transaction.CommitAsync();
        }

        Assert.Equal(topology.PrimaryServerId, await connection.ExecuteScalarAsync<long>("SELECT @@server_id"));
        Assert.Equal(RoutingReason.SessionState, connection.LastRoutingDecision!.Value.Reason);
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM tx_scratch"));
    }

    [Fact]
    public async Task Sql_text_transaction_sees_its_own_uncommitted_row()
    {
        await using var connection = await _dataSource.OpenConnectionAsync();
        var name = Guid.NewGuid().ToString("N");
        await connection.ExecuteAsync("START TRANSACTION");
        await connection.ExecuteAsync("INSERT INTO items (name, written_by) VALUES (@name, @@server_id)", new { name });
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM items WHERE name = @name", new { name }));
        Assert.Equal(RoutingReason.Transaction, connection.LastRoutingDecision!.Value.Reason);
        await connection.ExecuteAsync("ROLLBACK");
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM items WHERE name = @name", new { name }));
    }

    [Fact]
    public async Task Autocommit_off_pins_to_the_primary()
    {
        await using var connection = await _dataSource.OpenConnectionAsync();
        await connection.ExecuteAsync("SET autocommit = 0");
        Assert.Equal(topology.PrimaryServerId, await connection.ExecuteScalarAsync<long>("SELECT @@server_id"));
        Assert.Equal(RoutingReason.SessionState, connection.LastRoutingDecision!.Value.Reason);
        await connection.ExecuteAsync("ROLLBACK");
    }

    [Fact]
    public async Task Temporary_table_create_insert_select_works()
    {
        await using var connection = await _dataSource.OpenConnectionAsync();
        await connection.ExecuteAsync("CREATE TEMPORARY TABLE scratch (id INT PRIMARY KEY, v VARCHAR(10))");
        await connection.ExecuteAsync("INSERT INTO scratch VALUES (1, 'a'), (2, 'b')");
        var values = (await connection.QueryAsync<string>("SELECT v FROM scratch ORDER BY id")).ToList();
        Assert.Equal(["a", "b"], values);
        Assert.Equal(RouteTarget.Primary, connection.LastRoutingDecision!.Value.Target);
    }

    [Fact]
    public async Task Last_insert_id_after_an_insert_is_the_inserted_id()
    {
        await using var connection = await _dataSource.OpenConnectionAsync();
        var name = Guid.NewGuid().ToString("N");
        await connection.ExecuteAsync("INSERT INTO items (name, written_by) VALUES (@name, @@server_id)", new { name });
        var id = await connection.ExecuteScalarAsync<long>("SELECT LAST_INSERT_ID()");
        Assert.Equal(RoutingReason.SideEffectFunction, connection.LastRoutingDecision!.Value.Reason);
        Assert.Equal(name, await connection.ExecuteScalarAsync<string>("-- ReplicaRouting:ReadFromPrimary\nSELECT name FROM items WHERE id = @id", new { id }));
    }

    [Fact]
    public async Task Insert_with_last_insert_id_in_the_same_text_returns_the_id()
    {
        await using var connection = await _dataSource.OpenConnectionAsync();
        var id = await connection.ExecuteScalarAsync<long>("INSERT INTO items (name, written_by) VALUES ('lid2', @@server_id); SELECT LAST_INSERT_ID();");
        Assert.True(id > 0);
        Assert.Equal(RoutingReason.Write, connection.LastRoutingDecision!.Value.Reason);
    }

    [Fact]
    public async Task User_variables_survive_across_commands()
    {
        await using var dataSource = topology.CreateDataSource(extraConnectionOptions: "AllowUserVariables=true");
        await using var connection = await dataSource.OpenConnectionAsync();
        await connection.ExecuteAsync("SET @answer = 42");
        Assert.Equal(42, await connection.ExecuteScalarAsync<int>("SELECT @answer"));
        Assert.Equal(RoutingReason.SessionState, connection.LastRoutingDecision!.Value.Reason);
        await connection.ExecuteAsync("SELECT @counter := 7");
        Assert.Equal(7, await connection.ExecuteScalarAsync<int>("SELECT @counter"));
    }

    [Fact]
    public async Task Select_for_update_goes_to_the_primary()
    {
        await using var connection = await _dataSource.OpenConnectionAsync();
        var readBy = await connection.ExecuteScalarAsync<long>("SELECT @@server_id FROM items LIMIT 1 FOR UPDATE");
        Assert.Equal(topology.PrimaryServerId, readBy);
        Assert.Equal(RoutingReason.LockingRead, connection.LastRoutingDecision!.Value.Reason);
    }

    [Fact]
    public async Task Read_from_primary_hint_by_api_and_by_comment()
    {
        await using var connection = await _dataSource.OpenConnectionAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT @@server_id";
        command.RoutingHint = RoutingHint.ReadFromPrimary;
        Assert.Equal(topology.PrimaryServerId, Convert.ToInt64(await command.ExecuteScalarAsync()));
        Assert.Equal(RoutingReason.ReadFromPrimaryHint, connection.LastRoutingDecision!.Value.Reason);

        var viaComment = await connection.ExecuteScalarAsync<long>("-- ReplicaRouting:ReadFromPrimary\nSELECT @@server_id");
        Assert.Equal(topology.PrimaryServerId, viaComment);
        Assert.True(topology.IsReplica(await connection.ExecuteScalarAsync<long>("SELECT @@server_id")));
    }

    [Fact]
    public async Task Read_only_transaction_runs_on_one_replica_then_unpins()
    {
        await using var connection = await _dataSource.OpenConnectionAsync();
        await using (var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, isReadOnly: true))
        {
            var ids = new HashSet<long>();
            for (var i = 0; i < 6; i++)
                ids.Add(await connection.ExecuteScalarAsync<long>("SELECT @@server_id", transaction: transaction));
            var only = Assert.Single(ids);
            Assert.True(topology.IsReplica(only));
            Assert.Equal(RoutingReason.ReadOnlyTransaction, connection.LastRoutingDecision!.Value.Reason);
            await transaction.CommitAsync();
        }

        await connection.ExecuteAsync("START TRANSACTION READ ONLY");
        var first = await connection.ExecuteScalarAsync<long>("SELECT @@server_id");
        Assert.Equal(first, await connection.ExecuteScalarAsync<long>("SELECT @@server_id"));
        Assert.True(topology.IsReplica(first));
        await connection.ExecuteAsync("COMMIT");

        var ids2 = new HashSet<long>();
        for (var i = 0; i < 6; i++)
            ids2.Add(await connection.ExecuteScalarAsync<long>("SELECT @@server_id"));
        Assert.Equal(2, ids2.Count);
    }

    [Fact]
    public async Task Primary_consistency_sends_everything_to_the_primary()
    {
        await using var dataSource = topology.CreateDataSource(o => o.Consistency = ReadConsistency.Primary);
        await using var connection = await dataSource.OpenConnectionAsync();
        Assert.Equal(topology.PrimaryServerId, await connection.ExecuteScalarAsync<long>("SELECT @@server_id"));
        Assert.Equal(RoutingReason.ConsistencyPrimary, connection.LastRoutingDecision!.Value.Reason);
    }

    [Fact]
    public async Task Batch_is_routed_as_a_whole()
    {
        await using var connection = await _dataSource.OpenConnectionAsync();
        await using (var reads = connection.CreateBatch())
        {
            reads.BatchCommands.Add(new MySqlBatchCommand("SELECT @@server_id"));
            reads.BatchCommands.Add(new MySqlBatchCommand("SELECT 2"));
            await using var reader = await reads.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync());
            Assert.True(topology.IsReplica(reader.GetInt64(0)));
            Assert.True(await reader.NextResultAsync());
            Assert.True(await reader.ReadAsync());
            Assert.Equal(2, reader.GetInt32(0));
        }

        await using var mixed = connection.CreateBatch();
        mixed.BatchCommands.Add(new MySqlBatchCommand("INSERT INTO items (name, written_by) VALUES ('batch', @@server_id)"));
        mixed.BatchCommands.Add(new MySqlBatchCommand("SELECT @@server_id"));
        Assert.Equal(topology.PrimaryServerId, Convert.ToInt64(await mixed.ExecuteScalarAsync()));
        Assert.Equal(RoutingReason.Write, connection.LastRoutingDecision!.Value.Reason);
    }

    [Fact]
    public async Task Parameters_and_multiple_result_sets_come_back_unchanged()
    {
        await using var connection = await _dataSource.OpenConnectionAsync();
        using var grid = await connection.QueryMultipleAsync("SELECT @a AS a; SELECT @b AS b, @c AS c", new { a = 1, b = "two", c = (string?)null });
        Assert.Equal(1, await grid.ReadSingleAsync<int>());
        var second = await grid.ReadSingleAsync<(string B, string? C)>();
        Assert.Equal(("two", (string?)null), second);
    }

    [Fact]
    public async Task Dapper_opens_and_closes_a_closed_connection_itself()
    {
        await using var connection = _dataSource.CreateConnection();
        var states = new List<ConnectionState>();
        connection.StateChange += (_, e) => states.Add(e.CurrentState);
        var rows = (await connection.QueryAsync<long>("SELECT @@server_id")).ToList();
        Assert.Single(rows);
        Assert.Equal(ConnectionState.Closed, connection.State);
        Assert.Equal([ConnectionState.Connecting, ConnectionState.Open, ConnectionState.Closed], states);   // as MySqlConnection
    }

    // A long read the server really interrupts (error 1317) when killed; MySQL's SLEEP() just returns 1 instead.
    private const string SlowRead = "SELECT COUNT(*) FROM information_schema.COLLATIONS a, information_schema.COLLATIONS b, information_schema.COLLATIONS c, information_schema.COLLATIONS d";

    [Fact]
    public async Task Cancellation_stops_a_running_read()
    {
        await using var connection = await _dataSource.OpenConnectionAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var stopwatch = Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            connection.ExecuteScalarAsync<long>(new CommandDefinition(SlowRead, cancellationToken: cts.Token)));
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(15), "the long query was not cancelled");
        Assert.Equal(RouteTarget.Replica, connection.LastRoutingDecision!.Value.Target);
    }

    [Fact]
    public async Task Command_timeout_applies_on_the_routed_node()
    {
        await using var connection = await _dataSource.OpenConnectionAsync();
        var ex = await Assert.ThrowsAsync<MySqlException>(() => connection.ExecuteScalarAsync<long>(SlowRead, commandTimeout: 1));
        Assert.Equal(MySqlErrorCode.CommandTimeoutExpired, ex.ErrorCode);
    }

    [Fact]
    public async Task Prepared_commands_run_on_each_node()
    {
        await using var dataSource = topology.CreateDataSource(extraConnectionOptions: "IgnorePrepare=false");
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT @value + 1";
        command.Parameters.AddWithValue("@value", 41);
        await command.PrepareAsync();
        for (var i = 0; i < 4; i++)
            Assert.Equal(42L, Convert.ToInt64(await command.ExecuteScalarAsync()));
    }

    [Fact]
    public async Task Server_errors_reach_the_caller_unchanged()
    {
        await using var connection = await _dataSource.OpenConnectionAsync();
        var read = await Assert.ThrowsAsync<MySqlException>(() => connection.QueryAsync("SELECT * FROM no_such_table"));
        Assert.Equal(MySqlErrorCode.NoSuchTable, read.ErrorCode);
        var write = await Assert.ThrowsAsync<MySqlException>(() => connection.ExecuteAsync("INSERT INTO no_such_table VALUES (1)"));
        Assert.Equal(MySqlErrorCode.NoSuchTable, write.ErrorCode);
    }

    [Fact]
    public async Task No_write_through_the_wrapper_reaches_a_replica()
    {
        await using var connection = await _dataSource.OpenConnectionAsync();
        string[] writes =
        [
            "INSERT INTO items (name, written_by) VALUES ('w', @@server_id)",
            "/* a comment */ UPDATE items SET name = 'w2' WHERE name = 'w'",
            "REPLACE INTO items (id, name, written_by) VALUES (1, 'r', @@server_id)",
            "/*!40000 INSERT INTO items (name, written_by) VALUES ('x', @@server_id) */",
            "WITH t AS (SELECT 1 AS one) SELECT * FROM t; DELETE FROM items WHERE name = 'x'",
            "DELETE FROM items WHERE name = 'w2'",
        ];
        foreach (var sql in writes)
        {
            await connection.ExecuteAsync(sql);   // a replica would answer error 1290
            Assert.Equal(RouteTarget.Primary, connection.LastRoutingDecision!.Value.Target);
        }
    }

    [Fact]
    public async Task A_replica_that_is_down_is_skipped_and_both_down_fall_back_to_the_primary()
    {
        var deadEndpoint = TopologyConfig.ClosedEndpoint();
        await using (var oneDown = topology.CreateDataSource(replicaEndpoints: [deadEndpoint, topology.Config.ReplicaEndpoints[1]]))
        await using (var connection = await oneDown.OpenConnectionAsync())
        {
            var expected = await ServerIdOf(topology.Config.ReplicaEndpoints[1]);
            for (var i = 0; i < 6; i++)
                Assert.Equal(expected, await connection.ExecuteScalarAsync<long>("SELECT @@server_id"));
        }

        await using var allDown = topology.CreateDataSource(replicaEndpoints: [deadEndpoint, TopologyConfig.ClosedEndpoint()]);
        await using var fallback = await allDown.OpenConnectionAsync();
        Assert.Equal(topology.PrimaryServerId, await fallback.ExecuteScalarAsync<long>("SELECT @@server_id"));
        Assert.Equal(RoutingReason.NoReplicaAvailable, fallback.LastRoutingDecision!.Value.Reason);
    }

    private async Task<long> ServerIdOf(string endpoint)
    {
        await using var admin = await topology.OpenAdminAsync(endpoint);
        return await admin.ExecuteScalarAsync<long>("SELECT @@server_id");
    }
}

[Collection(TopologyConfig.MariaDb), Trait("Flavor", TopologyConfig.MariaDb)]
public sealed class MariaDbRoutedConnectionTests(MariaDbTopology topology) : RoutedConnectionTests(topology);

[Collection(TopologyConfig.MySql), Trait("Flavor", TopologyConfig.MySql)]
public sealed class MySqlRoutedConnectionTests(MySqlTopology topology) : RoutedConnectionTests(topology);
