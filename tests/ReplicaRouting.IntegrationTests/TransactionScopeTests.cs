using System.Transactions;
using Dapper;
using MySqlConnector;
using ReplicaRouting.IntegrationTests.Infrastructure;

namespace ReplicaRouting.IntegrationTests;

/// <summary>
/// Ambient transactions (<see cref="TransactionScope"/>) and read-only transactions: everything in a transaction runs where
/// the transaction is, as on MySqlConnector's one connection. Runs once per flavor.
/// </summary>
public abstract class TransactionScopeTests(TopologyFixture topology) : IDisposable
{
    private readonly ReplicaRoutingDataSource _dataSource = topology.CreateDataSource(o => o.Consistency = ReadConsistency.ReadYourWrites);
    private readonly ReplicaControl _replicas = new(topology);

    public void Dispose()
    {
        _dataSource.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task A_connection_opened_in_a_scope_runs_everything_in_the_scopes_transaction_on_the_primary()
    {
        var name = "scope-" + Guid.NewGuid().ToString("N");
        using (new TransactionScope(TransactionScopeAsyncFlowOption.Enabled))
        {
            await using var connection = await _dataSource.OpenConnectionAsync();
            await connection.ExecuteAsync("INSERT INTO items (name, written_by) VALUES (@name, 1)", new { name });
            Assert.Equal(1, await connection.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM items WHERE name = @name", new { name }));
            Assert.Equal(new RoutingDecision(RouteTarget.Primary, RoutingReason.Transaction, topology.Config.PrimaryEndpoint), connection.LastRoutingDecision);
            Assert.Equal(topology.PrimaryServerId, await connection.ExecuteScalarAsync<long>("SELECT @@server_id"));
        }

        // Not completed: rolled back, as with MySqlConnector.
        await using var admin = await topology.OpenAdminAsync(topology.Config.PrimaryEndpoint);
        Assert.Equal(0, await admin.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM items WHERE name = @name", new { name }));
    }

    [Fact]
    public async Task A_completed_scope_commits_and_the_session_reads_its_write_under_lag()
    {
        var name = "scope-" + Guid.NewGuid().ToString("N");
        using var session = _dataSource.BeginSession();
        await using (await _replicas.PauseApplyAsync())
        {
            using (var scope = new TransactionScope(TransactionScopeAsyncFlowOption.Enabled))
            {
                await using var connection = await _dataSource.OpenConnectionAsync();
                await connection.ExecuteAsync("INSERT INTO items (name, written_by) VALUES (@name, 1)", new { name });
                scope.Complete();
            }

            // The write committed with the scope, after its connection closed: the session reads the primary for a while.
            await using var reader = await _dataSource.OpenConnectionAsync();
            Assert.Equal(1, await reader.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM items WHERE name = @name", new { name }));
            Assert.Equal(RouteTarget.Primary, reader.LastRoutingDecision!.Value.Target);
        }
    }

    [Fact]
    public async Task EnlistTransaction_joins_the_primary_like_MySqlConnector()
    {
        var name = "enlist-" + Guid.NewGuid().ToString("N");
        await using var connection = await _dataSource.OpenConnectionAsync();
        using (var scope = new TransactionScope(TransactionScopeAsyncFlowOption.Enabled))
        {
            connection.EnlistTransaction(Transaction.Current);
            await connection.ExecuteAsync("INSERT INTO items (name, written_by) VALUES (@name, 1)", new { name });
            scope.Complete();
        }

        await using var admin = await topology.OpenAdminAsync(topology.Config.PrimaryEndpoint);
        Assert.Equal(1, await admin.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM items WHERE name = @name", new { name }));
    }

    [Fact]
    public async Task A_read_only_transaction_after_a_write_runs_on_the_primary_says_so_and_refuses_writes_as_the_server_does()
    {
        using var session = _dataSource.BeginSession();
        await using var plain = new MySqlConnection(topology.Config.ConnectionString(topology.Config.PrimaryEndpoint));
        await plain.OpenAsync();
        await using var routed = await _dataSource.OpenConnectionAsync();
        await routed.ExecuteAsync("INSERT INTO items (name, written_by) VALUES ('ro-after-write', 1)");
        await plain.ExecuteAsync("INSERT INTO items (name, written_by) VALUES ('ro-after-write', 1)");

        await using var routedTransaction = await routed.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, isReadOnly: true);
        await using var plainTransaction = await plain.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, isReadOnly: true);
        Assert.Equal(1L, await routed.ExecuteScalarAsync<long>("SELECT 1", transaction: routedTransaction));
        Assert.Equal(new RoutingDecision(RouteTarget.Primary, RoutingReason.ReadOnlyTransaction, topology.Config.PrimaryEndpoint), routed.LastRoutingDecision);

        const string write = "INSERT INTO items (name, written_by) VALUES ('ro-write', 1)";
        var expected = await Assert.ThrowsAsync<MySqlException>(() => plain.ExecuteAsync(write, transaction: plainTransaction));
        var actual = await Assert.ThrowsAsync<MySqlException>(() => routed.ExecuteAsync(write, transaction: routedTransaction));
        Assert.Equal(expected.ErrorCode, actual.ErrorCode);   // 1792, a write in a read-only transaction
    }
}

[Collection(TopologyConfig.MariaDb), Trait("Flavor", TopologyConfig.MariaDb)]
public sealed class MariaDbTransactionScopeTests(MariaDbTopology topology) : TransactionScopeTests(topology);

[Collection(TopologyConfig.MySql), Trait("Flavor", TopologyConfig.MySql)]
public sealed class MySqlTransactionScopeTests(MySqlTopology topology) : TransactionScopeTests(topology);
