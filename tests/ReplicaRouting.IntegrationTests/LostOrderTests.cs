using ReplicaRouting.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace ReplicaRouting.IntegrationTests;

/// <summary>
/// The lost-order story as a test: users place an order and read it back at once in a NEW session restored from the
/// token, while the replicas' apply threads are really stopped and restarted. Counts, never timings, are asserted.
/// </summary>
public abstract class LostOrderTests(TopologyFixture topology, ITestOutputHelper output)
{
    private static readonly TimeSpan Stopped = TimeSpan.FromMilliseconds(300);
    private static readonly TimeSpan Running = TimeSpan.FromMilliseconds(150);

    [Fact]
    public async Task Wait_for_gtid_loses_no_order_in_2000_pairs_under_lag()
    {
        var (result, lag) = await RunAsync("wait-for-gtid", pairs: 2000);
        Assert.Equal(2000, result.Pairs);
        Assert.Equal(result.Pairs, result.Tokens);
        Assert.Equal(0, result.Stale);
        Assert.True(lag.Stops > 0, "no lag was injected");
        Assert.True(result.ReplicaReads > 0, "no read reached a replica");
    }

    [Fact]
    public async Task Primary_after_write_loses_no_order_under_lag()
    {
        var (result, lag) = await RunAsync("primary-after-write", pairs: 500);
        Assert.Equal(0, result.Stale);
        Assert.True(lag.Stops > 0, "no lag was injected");
    }

    [Fact]
    public async Task Eventual_loses_orders_under_lag_so_the_checker_can_fail()
    {
        var (result, lag) = await RunAsync("eventual", pairs: 300);
        Assert.True(result.Stale > 0, "a plain split under lag should show stale reads; the checker would not catch a broken mode");
        Assert.True(lag.Stops > 0, "no lag was injected");
    }

    private async Task<(OrderStoryResult Result, LagInjectionReport Lag)> RunAsync(string mode, int pairs)
    {
        var config = topology.Config;
        await OrderStory.CreateOrdersTableAsync(config.AdminConnectionString(config.PrimaryEndpoint));
        await topology.WaitForReplicasAsync();

        await using var dataSource = topology.CreateDataSource(o => OrderStory.ConfigureMode(o, mode));
        var injector = new LagInjector(topology.Flavor, config.ReplicaEndpoints.Select(config.AdminConnectionString));
        using var stopLag = new CancellationTokenSource();
        var lag = injector.RunAsync(Stopped, Running, stopLag.Token);
        OrderStoryResult result;
        try
        {
            result = await OrderStory.RunAsync(dataSource, new OrderStoryOptions { Pairs = pairs, Concurrency = 16 });
        }
        finally
        {
            await stopLag.CancelAsync();
        }

        var report = await lag;
        output.WriteLine(result.ToResultLine(topology.Flavor, mode));
        output.WriteLine(result.ToString());
        return (result, report);
    }
}

[Collection(TopologyConfig.MariaDb), Trait("Flavor", TopologyConfig.MariaDb)]
public sealed class MariaDbLostOrderTests(MariaDbTopology topology, ITestOutputHelper output) : LostOrderTests(topology, output);

[Collection(TopologyConfig.MySql), Trait("Flavor", TopologyConfig.MySql)]
public sealed class MySqlLostOrderTests(MySqlTopology topology, ITestOutputHelper output) : LostOrderTests(topology, output);
