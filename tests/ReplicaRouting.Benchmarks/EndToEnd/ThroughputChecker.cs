using System.Diagnostics;

namespace ReplicaRouting.Benchmarks.EndToEnd;

/// <summary>One side of a pair at one concurrency: medians over the rounds.</summary>
internal sealed record ThroughputSide(string Operation, double OpsPerSecond, double AllocatedPerOp, ReadTally? Reads);

/// <summary>The outcome of one pair at one concurrency, a side per <see cref="Pair.Sides"/>, and each side's rate in every round.</summary>
internal sealed record ThroughputResult(IReadOnlyList<ThroughputSide> Sides, IReadOnlyList<IReadOnlyList<double>> RoundRates)
{
    /// <summary>The median of the per-round ratios routed/baseline.</summary>
    public double Ratio((int Routed, int Baseline) comparison) =>
        ThroughputChecker.Median([.. RoundRates[comparison.Routed].Select((rate, round) => rate / RoundRates[comparison.Baseline][round])]);
}

/// <summary>
/// Throughput at concurrency N: N tasks, each on its own connections, each doing K operations; ops/s = N·K / wall time.
/// The sides' phases alternate over several rounds, in order on even rounds and in reverse order on odd ones (ABBA for a
/// pair), so drift (replication backlog, the servers' caches) hits every side alike; each ratio is the median of the
/// per-round ratios routed/baseline. The write→read pauses are part of the wall time (the users think between requests).
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
            var names = pair.Sides.Select(side => side.Operation).ToArray();
            var operations = names.Select(Pair.Operation).ToArray();
            if (pair.NeedsCausalPreparation)
            {
                foreach (var lane in lanes)
                    await lane.PrepareCausalAsync();
            }

            // Open every lane's connections and warm every side; then size K so one phase of the first baseline lasts about `phase`.
            foreach (var operation in operations)
                await RunPhaseAsync(lanes, operation, 5);
            var probe = await RunPhaseAsync(lanes, operations[pair.Routed.Count], 20);
            var perOperation = probe.Elapsed.TotalSeconds / 20;
            var count = Math.Clamp((int)(phase.TotalSeconds / perOperation), 20, 100_000);

            var rates = names.Select(_ => new List<double>()).ToArray();
            var allocations = names.Select(_ => new List<double>()).ToArray();
            var total = (double)concurrency * count;
            for (var round = 0; round < rounds; round++)
            {
                for (var step = 0; step < operations.Length; step++)
                {
                    var side = round % 2 == 0 ? step : operations.Length - 1 - step;
                    var measured = await RunPhaseAsync(lanes, operations[side], count);
                    rates[side].Add(total / measured.Elapsed.TotalSeconds);
                    allocations[side].Add(measured.Allocated / total);
                }
            }

            // The medians sort their lists: the per-round rates are kept in round order for the ratios.
            var sides = names.Select((name, i) => new ThroughputSide(name, Median([.. rates[i]]), Median(allocations[i]), bench.TallyOrNull(name))).ToList();
            return new ThroughputResult(sides, rates);
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
