using System.Diagnostics;

namespace ReplicaRouting.Benchmarks.EndToEnd;

/// <summary>
/// One side of a pair at concurrency 1: the median latency of its interleaved samples, and their quartiles (on a machine
/// where the reply sometimes finds the awaiting thread still spinning and sometimes parked, latencies have two modes, and
/// the quartiles show how far apart they are).
/// </summary>
internal sealed record LatencySide(string Operation, double MedianMicroseconds, (double P25, double P75) Quartiles, double AllocatedPerOp, ReadTally? Reads);

/// <summary>The outcome of one pair at concurrency 1, a side per <see cref="Pair.Sides"/>.</summary>
internal sealed record LatencyResult(int Samples, IReadOnlyList<LatencySide> Sides)
{
    /// <summary>The routed side's median over the baseline's.</summary>
    public double Ratio((int Routed, int Baseline) comparison) => Sides[comparison.Routed].MedianMicroseconds / Sides[comparison.Baseline].MedianMicroseconds;
}

/// <summary>
/// Concurrency 1, one operation at a time, the sides in turn (in order on even samples, in reverse order on odd ones) on one
/// worker's connections, each operation timed on its own. On a small machine that also runs the servers, back-to-back
/// BenchmarkDotNet runs of the sides drift apart by more than the effect being measured; alternating operation by
/// operation exposes every side to the same conditions, so the ratio of the medians is the overhead. A write→read
/// operation's pause is not part of its time.
/// </summary>
internal static class LatencyChecker
{
    public static async Task<LatencyResult> RunAsync(string flavor, Pair pair, TimeSpan budget, int maxSamples)
    {
        await using var bench = Workbench.Create(flavor);
        var lane = new Lane(bench);
        try
        {
            var names = pair.Sides.Select(side => side.Operation).ToArray();
            var operations = names.Select(Pair.Operation).ToArray();
            if (pair.NeedsCausalPreparation)
                await lane.PrepareCausalAsync();

            // Warm up: 50 rounds, or a second's worth for the operations that pause.
            var warmUp = Stopwatch.StartNew();
            for (var i = 0; i < 50 && warmUp.Elapsed < TimeSpan.FromSeconds(1); i++)
            {
                foreach (var operation in operations)
                    await operation(lane);
            }

            var times = names.Select(_ => new List<double>(maxSamples)).ToArray();
            var bytes = new long[names.Length];
            var clock = Stopwatch.StartNew();
            for (var sample = 0; sample < maxSamples && clock.Elapsed < budget; sample++)
            {
                for (var step = 0; step < operations.Length; step++)
                {
                    var side = sample % 2 == 0 ? step : operations.Length - 1 - step;
                    var (microseconds, allocated) = await TimeAsync(operations[side], lane);
                    times[side].Add(microseconds);
                    bytes[side] += allocated;
                }
            }

            var samples = times[0].Count;
            var sides = names.Select((name, i) => new LatencySide(
                name, ThroughputChecker.Median(times[i]), Quartiles(times[i]), (double)bytes[i] / samples, bench.TallyOrNull(name))).ToList();
            return new LatencyResult(samples, sides);
        }
        finally
        {
            await lane.DisposeAsync();
        }
    }

    /// <summary>The 25th and 75th percentiles of values already sorted (by <see cref="ThroughputChecker.Median"/>).</summary>
    private static (double P25, double P75) Quartiles(List<double> sorted) => (sorted[sorted.Count / 4], sorted[sorted.Count * 3 / 4]);

    /// <summary>
    /// Times one operation, less the lane's pauses; the bytes every thread allocated meanwhile (I/O completions included) are
    /// read outside the timing.
    /// </summary>
    private static async Task<(double Microseconds, long Allocated)> TimeAsync(Func<Lane, Task<long>> operation, Lane lane)
    {
        var before = GC.GetTotalAllocatedBytes(precise: true);
        var paused = lane.Paused;
        var start = Stopwatch.GetTimestamp();
        await operation(lane);
        var elapsed = Stopwatch.GetElapsedTime(start) - (lane.Paused - paused);
        return (elapsed.TotalMicroseconds, GC.GetTotalAllocatedBytes(precise: true) - before);
    }
}
