using Dapper;
using ReplicaRouting.IntegrationTests.Infrastructure;

namespace ReplicaRouting.IntegrationTests;

/// <summary>
/// Issue 14 on real replicas: the sessionless default, adaptive causal routing and monotonic reads
/// (<see cref="ReadConsistency.Causal"/>). Tables are prefixed <c>causal_</c>. Runs once per flavor.
/// </summary>
public abstract class CausalTests(TopologyFixture topology) : IDisposable
{
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
