using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ReplicaRouting.IntegrationTests.Infrastructure;
using ReplicaRouting.Samples.Shop;
using Xunit.Abstractions;

namespace ReplicaRouting.IntegrationTests;

/// <summary>
/// Issue 13: the token handed from a web request to a background job through a queue row, under real lag. The sample shop
/// queues a confirmation job per order (a row holding the request's token); a second shop instance, with its own data
/// source as a separate worker process would have, runs each job in a session restored from that token and reads the
/// order. The replicas' apply threads are stopped and started in short windows while it runs (the demo's part 4 at a
/// smaller scale). How many jobs would miss their order without the token depends on timing: it is printed, not asserted.
/// </summary>
public abstract class WorkerTokenTests(TopologyFixture topology, ITestOutputHelper output) : IDisposable
{
    private const int Orders = 40;
    private static readonly TimeSpan Stopped = TimeSpan.FromMilliseconds(300);
    private static readonly TimeSpan Running = TimeSpan.FromMilliseconds(150);

    private readonly DirectoryInfo _keyRing = TestWebApp.CreateKeyRing();
    private readonly RecordingLoggerFactory _log = new();

    public void Dispose()
    {
        _keyRing.Delete(recursive: true);
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task A_job_restored_from_the_token_in_its_queue_row_reads_what_the_request_wrote_under_lag()
    {
        var (result, stops) = await RunAsync(carryToken: true);

        Assert.True(stops > 0, "no lag was injected; the test could not fail");
        Assert.Equal(Orders, result.Jobs);
        Assert.Equal(Orders, result.WithToken);
        Assert.Equal(0, result.Stale);

        // Every job's read was routed by the token's position (on a replica that has it, or on the primary), never as a
        // plain read that knows nothing of the request's write.
        Assert.DoesNotContain(RoutingReason.Read, result.Reasons.Keys);
    }

    [Fact]
    public async Task A_job_handed_no_token_reads_as_a_plain_read()
    {
        var (result, stops) = await RunAsync(carryToken: false);

        Assert.True(stops > 0, "no lag was injected");
        Assert.Equal(Orders, result.Jobs);
        Assert.Equal(0, result.WithToken);
        Assert.All(result.Reasons.Keys, reason => Assert.Contains(reason, new[] { RoutingReason.Read, RoutingReason.NoReplicaAvailable }));
    }

    private async Task<(JobStoryResult Result, int Stops)> RunAsync(bool carryToken)
    {
        await using var worker = await StartShopAsync(new() { ["Shop:Confirmations:Worker"] = "true" });
        await using var shop = await StartShopAsync(new()
        {
            ["Shop:Confirmations:Enqueue"] = "true",
            ["Shop:Confirmations:CarryToken"] = carryToken.ToString(),
        });
        await topology.WaitForReplicasAsync();   // the shop's tables reach the replicas before any lag
        var primary = topology.Config.ConnectionString(topology.Config.PrimaryEndpoint);
        var injector = new LagInjector(topology.Flavor, topology.Config.ReplicaEndpoints.Select(topology.Config.AdminConnectionString));

        var (result, lag) = await Lagged.RunAsync(
            injector, Stopped, Running, token => JobStory.RunAsync(shop.BaseAddress, primary, Orders, users: 8, token), CancellationToken.None);
        output.WriteLine(result.ToResultLine(carryToken ? "worker-token" : "worker-no-token", topology.Flavor));
        output.WriteLine($"job reads by routing reason: {OrderStoryResult.Describe(result.Reasons)}; apply threads stopped {lag.Stops} times");
        return (result, lag.Stops);
    }

    private async Task<ShopHost> StartShopAsync(Dictionary<string, string?> confirmations)
    {
        var config = topology.Config;
        var settings = new Dictionary<string, string?>(confirmations)
        {
            ["ReplicaRouting:Primary"] = config.ConnectionString(config.PrimaryEndpoint),
            ["Shop:KeysDirectory"] = _keyRing.FullName,
        };
        for (var i = 0; i < config.ReplicaEndpoints.Count; i++)
            settings[$"ReplicaRouting:Replicas:{i}"] = config.ConnectionString(config.ReplicaEndpoints[i]);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        return await ShopHost.StartAsync(settings, builder =>
        {
            builder.Logging.ClearProviders();
            builder.Services.AddSingleton<ILoggerFactory>(_log);
        }, timeout.Token);
    }
}

[Collection(TopologyConfig.MariaDb), Trait("Flavor", TopologyConfig.MariaDb)]
public sealed class MariaDbWorkerTokenTests(MariaDbTopology topology, ITestOutputHelper output) : WorkerTokenTests(topology, output);

[Collection(TopologyConfig.MySql), Trait("Flavor", TopologyConfig.MySql)]
public sealed class MySqlWorkerTokenTests(MySqlTopology topology, ITestOutputHelper output) : WorkerTokenTests(topology, output);
