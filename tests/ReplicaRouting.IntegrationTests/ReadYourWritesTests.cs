using Dapper;
using ReplicaRouting.IntegrationTests.Infrastructure;

namespace ReplicaRouting.IntegrationTests;

/// <summary>Read-your-writes on real replicas with real lag (stopped apply threads). Runs once per flavor.</summary>
public abstract class ReadYourWritesTests(TopologyFixture topology) : IDisposable
{
    private readonly ReplicaRoutingDataSource _dataSource = topology.CreateDataSource(o => o.Consistency = ReadConsistency.ReadYourWrites);
    private readonly ReplicaControl _replicas = new(topology);

    public void Dispose()
    {
        _dataSource.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task A_read_after_a_write_waits_on_the_replica_and_sees_the_row()
    {
        using var session = _dataSource.BeginSession();
        await using var connection = await _dataSource.OpenConnectionAsync();
        var name = Guid.NewGuid().ToString("N");
        await using (await _replicas.PauseApplyAsync(topology.Config.ReplicaEndpoints[0]))
        {
            await connection.ExecuteAsync("INSERT INTO items (name, written_by) VALUES (@name, @@server_id)", new { name });
            Assert.NotNull(session.Position);

            // A replica that has applied the write, or the primary after the wait times out: never a stale answer.
            for (var i = 0; i < 4; i++)
            {
                Assert.Equal(1, await connection.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM items WHERE name = @name", new { name }));
                Assert.Contains(connection.LastRoutingDecision!.Value.Reason, new[] { RoutingReason.CausalRead, RoutingReason.CausalWaitTimedOut });
            }
        }
    }
}

[Collection(TopologyConfig.MariaDb), Trait("Flavor", TopologyConfig.MariaDb)]
public sealed class MariaDbReadYourWritesTests(MariaDbTopology topology) : ReadYourWritesTests(topology);

[Collection(TopologyConfig.MySql), Trait("Flavor", TopologyConfig.MySql)]
public sealed class MySqlReadYourWritesTests(MySqlTopology topology) : ReadYourWritesTests(topology);
