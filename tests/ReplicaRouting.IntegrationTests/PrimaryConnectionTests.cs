using Dapper;
using MySqlConnector;
using ReplicaRouting.IntegrationTests.Infrastructure;

namespace ReplicaRouting.IntegrationTests;

/// <summary>
/// <see cref="ReplicaRoutingConnection.GetPrimaryConnection"/>: the escape hatch to MySqlConnector's own type, for
/// <see cref="MySqlBulkCopy"/> and <see cref="MySqlBulkLoader"/>, with the session's bookkeeping kept. Runs once per flavor.
/// </summary>
public abstract class PrimaryConnectionTests(TopologyFixture topology) : IDisposable
{
    private readonly ReplicaRoutingDataSource _dataSource = topology.CreateDataSource(
        o => { o.Consistency = ReadConsistency.ReadYourWrites; o.CausalReadTimeout = TimeSpan.FromMilliseconds(300); },
        extraConnectionOptions: "AllowLoadLocalInfile=true");

    private readonly ReplicaControl _replicas = new(topology);

    public void Dispose()
    {
        _dataSource.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task Rows_bulk_copied_through_the_primary_connection_are_read_back_by_the_session_under_lag()
    {
        var name = "bulk-" + Guid.NewGuid().ToString("N");
        var table = new System.Data.DataTable();
        table.Columns.Add("name", typeof(string));
        table.Columns.Add("written_by", typeof(long));
        for (var i = 0; i < 50; i++)
            table.Rows.Add(name, i);

        string token;
        await using (await _replicas.PauseApplyAsync())
        {
            using (var session = _dataSource.BeginSession())
            await using (var connection = await _dataSource.OpenConnectionAsync())
            {
                var primary = await connection.GetPrimaryConnectionAsync();
                var bulkCopy = new MySqlBulkCopy(primary) { DestinationTableName = "items" };
                bulkCopy.ColumnMappings.Add(new MySqlBulkCopyColumnMapping(0, "name"));
                bulkCopy.ColumnMappings.Add(new MySqlBulkCopyColumnMapping(1, "written_by"));
                var result = await bulkCopy.WriteToServerAsync(table);
                Assert.Equal(50, result.RowsInserted);

                // The connection stays on the primary, where whatever ran through the escape hatch happened.
                Assert.Equal(50, await connection.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM items WHERE name = @name", new { name }));
                Assert.Equal(RouteTarget.Primary, connection.LastRoutingDecision!.Value.Target);
                token = session.Token!.ToString();
            }

            // The next unit of work carries the bulk copy's position: it waits for it (here: times out) or reads the primary.
            using (_dataSource.BeginSession(token))
            await using (var connection = await _dataSource.OpenConnectionAsync())
            {
                Assert.Equal(50, await connection.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM items WHERE name = @name", new { name }));
                Assert.Equal(RoutingReason.CausalWaitTimedOut, connection.LastRoutingDecision!.Value.Reason);
            }
        }
    }
}

[Collection(TopologyConfig.MariaDb), Trait("Flavor", TopologyConfig.MariaDb)]
public sealed class MariaDbPrimaryConnectionTests(MariaDbTopology topology) : PrimaryConnectionTests(topology);

[Collection(TopologyConfig.MySql), Trait("Flavor", TopologyConfig.MySql)]
public sealed class MySqlPrimaryConnectionTests(MySqlTopology topology) : PrimaryConnectionTests(topology);
