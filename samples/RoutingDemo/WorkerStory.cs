using System.Globalization;
using ReplicaRouting.ConsistencyChecker;

/// <summary>
/// Part 4 of the demo: the lost order met by a background job. The shop (service A) queues a confirmation job per order in
/// a table row that holds the request's consistency token; a second instance (the worker, its own data source, as a
/// separate process would have) runs each job in a session restored from that token and reads the order. Run twice: with
/// the token in the row, and with the request handing on none, which shows how many jobs the token saved.
/// </summary>
internal static class WorkerStory
{
    /// <summary>The scenarios, as they appear in result lines: the token carried, and not.</summary>
    public static IReadOnlyList<string> Scenarios { get; } = ["worker-token", "worker-no-token"];

    // The library's default read-your-writes strategy (GTID waits), the same for the shop and the worker.
    private const string Mode = "web-wait-for-gtid";

    public static async Task<IEnumerable<string>> RunAsync(
        TopologyConfig topology, DirectoryInfo keyRing, int jobs, int users, TimeSpan stopped, TimeSpan running, CancellationToken cancellationToken)
    {
        var injector = new LagInjector(topology.Flavor, topology.ReplicaEndpoints.Select(topology.AdminConnectionString));
        var primary = topology.ConnectionString(topology.PrimaryEndpoint);

        Console.WriteLine();
        Console.WriteLine($"== {topology.Flavor}: {jobs} orders per scenario, {users} users; the worker runs 8 jobs at a time, polling its queue every 50 ms");
        Console.WriteLine($"{"scenario",-18} {"jobs",6} {"stale",6} {"tokens",6} {"replica share",13} {"delay p50 ms",12} {"delay p99 ms",12} {"run s",6} {"stops",6}  job reads by routing reason");
        Console.WriteLine(new string('-', 140));

        await using var worker = await WebShop.StartAsync(topology, Mode, keyRing, partnerUrl: null,
            new Dictionary<string, string?> { ["Shop:Confirmations:Worker"] = "true" }, cancellationToken);
        await WebStory.WaitForTableOnReplicasAsync(topology, cancellationToken);

        var results = new List<(string Scenario, JobStoryResult Result)>();
        foreach (var scenario in Scenarios)
        {
            var settings = new Dictionary<string, string?>
            {
                ["Shop:Confirmations:Enqueue"] = "true",
                ["Shop:Confirmations:CarryToken"] = (scenario == "worker-token").ToString(),
            };
            await using var shop = await WebShop.StartAsync(topology, Mode, keyRing, partnerUrl: null, settings, cancellationToken);

            // One job before the clock starts, without lag: JIT, EF's model and queries, pools, the worker's first poll.
            await JobStory.RunAsync(shop.BaseAddress, primary, orders: 1, users: 1, cancellationToken);

            var (result, report) = await Lagged.RunAsync(
                injector, stopped, running, token => JobStory.RunAsync(shop.BaseAddress, primary, jobs, users, token), cancellationToken);
            results.Add((scenario, result));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{scenario,-18} {result.Jobs,6} {result.Stale,6} {result.WithToken,6} {result.ReplicaShare,13:F2} {result.DelayP50Milliseconds,12:F1} {result.DelayP99Milliseconds,12:F1} " +
                $"{result.Elapsed.TotalSeconds,6:F1} {report.Stops,6}  {OrderStoryResult.Describe(result.Reasons)}"));
        }

        var carried = results[0].Result;
        var forgotten = results[1].Result;
        Console.WriteLine(carried.Stale == 0
            ? string.Create(CultureInfo.InvariantCulture, $"-> with the token in the queue row: no job missed its order ({carried.ReplicaShare:P0} of them read it on a replica).")
            : $"-> with the token in the queue row: UNEXPECTED: {carried.Stale} of {carried.Jobs} jobs did not find their order.");
        Console.WriteLine($"-> without it: {forgotten.Stale} of {forgotten.Jobs} jobs did not find the order the request had just placed.");
        return results.Select(r => r.Result.ToResultLine(r.Scenario, topology.Flavor));
    }
}
