using System.Diagnostics;

namespace ReplicaRouting.Benchmarks.EndToEnd;

/// <summary>The outcome of one pair at one concurrency: medians over the rounds.</summary>
internal sealed record ThroughputResult(string Name, double Ratio, double RoutedOpsPerSecond, double RawOpsPerSecond, double RoutedAllocatedPerOp, double RawAllocatedPerOp);

/// <summary>
/// Throughput at concurrency N: N tasks, each on its own connections, each doing K operations; ops/s = N·K / wall time.
/// Routed and plain phases alternate (ABBA) over several rounds, so drift (replication backlog, the servers' caches)
/// hits both sides alike; the ratio is the median of the per-round ratios routed/raw.
/// </summary>
internal static class ThroughputChecker
{
    public static async Task<ThroughputResult> RunAsync(string flavor, Pair pair, int concurrency, int rounds, TimeSpan phase)
    {
        await using var bench = Workbench.Create(flavor);
        var lanes = new Lane[concurrency];
        for (var i = 0; i < concurrency; i++)
            lanes[i] = new Lane(bench);
        try
        {
            var routed = Pair.Operation(pair.Routed);
            var raw = Pair.Operation(pair.Raw);
            if (pair.NeedsCausalPreparation)
            {
                foreach (var lane in lanes)
                    await lane.PrepareCausalAsync();
            }

            // Open every lane's connections and warm both paths; then size K so one phase lasts about `phase`.
            await RunPhaseAsync(lanes, routed, 5);
            await RunPhaseAsync(lanes, raw, 5);
            var probe = await RunPhaseAsync(lanes, raw, 20);
            var perOperation = probe.Elapsed.TotalSeconds / 20;
            var operations = Math.Clamp((int)(phase.TotalSeconds / perOperation), 20, 100_000);

            var ratios = new List<double>();
            var routedRates = new List<double>();
            var rawRates = new List<double>();
            var routedAllocations = new List<double>();
            var rawAllocations = new List<double>();
            for (var round = 0; round < rounds; round++)
            {
                Phase routedPhase, rawPhase;
                if (round % 2 == 0)
                {
                    rawPhase = await RunPhaseAsync(lanes, raw, operations);
                    routedPhase = await RunPhaseAsync(lanes, routed, operations);
                }
                else
                {
                    routedPhase = await RunPhaseAsync(lanes, routed, operations);
                    rawPhase = await RunPhaseAsync(lanes, raw, operations);
                }

                var total = (double)concurrency * operations;
                var routedRate = total / routedPhase.Elapsed.TotalSeconds;
                var rawRate = total / rawPhase.Elapsed.TotalSeconds;
                ratios.Add(routedRate / rawRate);
                routedRates.Add(routedRate);
                rawRates.Add(rawRate);
                routedAllocations.Add(routedPhase.Allocated / total);
                rawAllocations.Add(rawPhase.Allocated / total);
            }

            return new ThroughputResult($"{pair.Name}_c{concurrency}_throughput", Median(ratios), Median(routedRates), Median(rawRates), Median(routedAllocations), Median(rawAllocations));
        }
        finally
        {
            foreach (var lane in lanes)
                await lane.DisposeAsync();
        }
    }

    internal static double Median(List<double> values)
    {
        values.Sort();
        var middle = values.Count / 2;
        return values.Count % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
    }

    private static async Task<Phase> RunPhaseAsync(Lane[] lanes, Func<Lane, Task<long>> operation, int operations)
    {
        var tasks = new Task[lanes.Length];
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var stopwatch = Stopwatch.StartNew();
        for (var i = 0; i < lanes.Length; i++)
        {
            var lane = lanes[i];
            tasks[i] = Task.Run(async () =>
            {
                for (var n = 0; n < operations; n++)
                    await operation(lane);
            });
        }

        await Task.WhenAll(tasks);
        stopwatch.Stop();
        return new Phase(stopwatch.Elapsed, GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore);
    }

    private readonly record struct Phase(TimeSpan Elapsed, long Allocated);
}
