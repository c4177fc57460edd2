using System.Diagnostics;

namespace ReplicaRouting.Benchmarks.EndToEnd;

/// <summary>
/// The outcome of one pair at concurrency 1: median latencies of the interleaved samples, and their quartiles (on a
/// machine where the reply sometimes finds the awaiting thread still spinning and sometimes parked, latencies have two
/// modes, and the quartiles show how far apart they are).
/// </summary>
internal sealed record LatencyResult(
    string Name, double Ratio, double RoutedMedianMicroseconds, double RawMedianMicroseconds, int Samples, double RoutedAllocatedPerOp, double RawAllocatedPerOp,
    (double P25, double P75) RoutedQuartiles, (double P25, double P75) RawQuartiles);

/// <summary>
/// Concurrency 1, one operation at a time, alternating routed and plain (routed first on even samples, plain first on odd
/// ones) on one worker's connections, each operation timed on its own. On a small machine that also runs the servers,
/// back-to-back BenchmarkDotNet runs of the two sides drift apart by more than the effect being measured; alternating
/// operation by operation exposes both sides to the same conditions, so the ratio of the medians is the overhead.
/// </summary>
internal static class LatencyChecker
{
    public static async Task<LatencyResult> RunAsync(string flavor, Pair pair, TimeSpan budget, int maxSamples)
    {
        await using var bench = Workbench.Create(flavor);
        var lane = new Lane(bench);
        try
        {
            var routed = Pair.Operation(pair.Routed);
            var raw = Pair.Operation(pair.Raw);
            if (pair.NeedsCausalPreparation)
                await lane.PrepareCausalAsync();
            for (var i = 0; i < 50; i++)
            {
                await routed(lane);
                await raw(lane);
            }

            var routedTimes = new List<double>(maxSamples);
            var rawTimes = new List<double>(maxSamples);
            var routedBytes = new Allocated();
            var rawBytes = new Allocated();
            var clock = Stopwatch.StartNew();
            while (routedTimes.Count < maxSamples && clock.Elapsed < budget)
            {
                if (routedTimes.Count % 2 == 0)
                {
                    routedTimes.Add(await TimeAsync(routed, lane, routedBytes));
                    rawTimes.Add(await TimeAsync(raw, lane, rawBytes));
                }
                else
                {
                    rawTimes.Add(await TimeAsync(raw, lane, rawBytes));
                    routedTimes.Add(await TimeAsync(routed, lane, routedBytes));
                }
            }

            var routedMedian = ThroughputChecker.Median(routedTimes);
            var rawMedian = ThroughputChecker.Median(rawTimes);
            return new LatencyResult($"{pair.Name}_c1", routedMedian / rawMedian, routedMedian, rawMedian, routedTimes.Count,
                (double)routedBytes.Total / routedTimes.Count, (double)rawBytes.Total / rawTimes.Count,
                Quartiles(routedTimes), Quartiles(rawTimes));
        }
        finally
        {
            await lane.DisposeAsync();
        }
    }

    /// <summary>The 25th and 75th percentiles of values already sorted (by <see cref="ThroughputChecker.Median"/>).</summary>
    private static (double P25, double P75) Quartiles(List<double> sorted) => (sorted[sorted.Count / 4], sorted[sorted.Count * 3 / 4]);

    /// <summary>Times one operation; the bytes every thread allocated meanwhile (I/O completions included) are read outside the timing.</summary>
    private static async Task<double> TimeAsync(Func<Lane, Task<long>> operation, Lane lane, Allocated allocated)
    {
        var before = GC.GetTotalAllocatedBytes(precise: true);
        var start = Stopwatch.GetTimestamp();
        await operation(lane);
        var elapsed = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        allocated.Total += GC.GetTotalAllocatedBytes(precise: true) - before;
        return elapsed;
    }

    private sealed class Allocated
    {
        public long Total { get; set; }
    }
}
