using System.Diagnostics;
using System.Globalization;
using BenchmarkDotNet.Running;
using ReplicaRouting.Benchmarks;
using ReplicaRouting.Benchmarks.EndToEnd;
using ReplicaRouting.Benchmarks.HotPath;

// ./build.sh bench [--quick] [--flavor mariadb|mysql] [--only hot|e2e|throughput|allocations] [--pairs name,name]
// stdout: one BENCH line per hot-path benchmark and per pair; everything else goes to stderr.
var quick = args.Contains("--quick");
var flavor = Option("--flavor") ?? "mariadb";
var only = Option("--only");
var pairs = Option("--pairs") is { } names
    ? Pair.All.Where(p => names.Split(',').Contains(p.Name)).ToArray()   // a subset of the end-to-end pairs, in their run order
    : Pair.All;
if (pairs.Length == 0)
    return Fail($"--pairs names none of: {string.Join(", ", Pair.All.Select(p => p.Name))}.");
if (flavor is not ("mariadb" or "mysql"))
    return Fail($"--flavor must be mariadb or mysql, not '{flavor}'.");

var artifacts = Path.Combine(Option("--artifacts") ?? Path.Combine("artifacts", "benchmarks"), flavor);
var config = BenchConfig.Create(quick, artifacts);
var clock = Stopwatch.StartNew();
Console.Error.WriteLine($"ReplicaRouting benchmarks: {(quick ? "quick" : "full")}, {flavor}, {Environment.ProcessorCount} cores, .NET {Environment.Version}");

if (only is null or "hot")
{
    Console.Error.WriteLine("Hot path (no server)...");
    foreach (var summary in BenchmarkRunner.Run([typeof(RoutingBenchmarks), typeof(TokenBenchmarks), typeof(GtidBenchmarks)], config))
    {
        foreach (var (name, measured) in BenchConfig.Read(summary))
            Bench($"name={name} ns={Format(measured.MeanNanoseconds, 1)} alloc_b={measured.AllocatedBytes}");
    }
}

if (only is null or "e2e" or "throughput" or "allocations")
{
    var topology = BenchTopology.Load(flavor);
    Console.Error.WriteLine($"End to end against {flavor}: primary {topology.Primary}, replicas {string.Join(", ", topology.Replicas)}; creating {Workbench.Table}, {Workbench.WriteReadTable}...");
    await Workbench.CreateTableAsync(topology);

    if (only is null or "e2e")
    {
        Console.Error.WriteLine("Concurrency 1 (BenchmarkDotNet)...");
        EndToEndBenchmarks.Flavor = flavor;
        var measured = BenchConfig.Read(BenchmarkRunner.Run<EndToEndBenchmarks>(config));
        await Workbench.WaitForReplicaAsync(topology, TimeSpan.FromSeconds(120));

        // The pair line comes from alternating single operations (see LatencyChecker): BenchmarkDotNet runs the two sides one after
        // the other and waits on each Task synchronously, which on this machine moves both the time and the bytes (a blocked wait
        // allocates, a spin does not) by more than the difference being measured. Its figures are printed alongside.
        Console.Error.WriteLine("Concurrency 1 (interleaved ratios)...");
        foreach (var pair in pairs)
        {
            var latency = await LatencyChecker.RunAsync(flavor, pair, TimeSpan.FromSeconds(quick ? 3 : 15), quick ? 10_000 : 100_000);
            foreach (var comparison in pair.Comparisons)
            {
                var (routed, raw) = (latency.Sides[comparison.Routed], latency.Sides[comparison.Baseline]);
                var name = pair.LineName(comparison, "c1");
                Bench($"name={name} ratio={Format(latency.Ratio(comparison), 3)} routed_alloc_b={Format(routed.AllocatedPerOp, 0)} raw_alloc_b={Format(raw.AllocatedPerOp, 0)}{Reads(routed.Reads, raw.Reads)}");
                Console.Error.WriteLine($"  {name}: interleaved medians routed {Format(routed.MedianMicroseconds, 1)} µs, raw {Format(raw.MedianMicroseconds, 1)} µs "
                    + $"(quartiles routed {Format(routed.Quartiles.P25, 1)}–{Format(routed.Quartiles.P75, 1)} µs, raw {Format(raw.Quartiles.P25, 1)}–{Format(raw.Quartiles.P75, 1)} µs; {latency.Samples} samples each)"
                    + (measured.TryGetValue(routed.Operation, out var routedDotNet) && measured.TryGetValue(raw.Operation, out var rawDotNet)
                        ? $"; BenchmarkDotNet means routed {Format(routedDotNet.MeanNanoseconds / 1000, 1)} µs / {routedDotNet.AllocatedBytes} B, raw {Format(rawDotNet.MeanNanoseconds / 1000, 1)} µs / {rawDotNet.AllocatedBytes} B"
                        : ""));
            }
        }

        await Workbench.WaitForReplicaAsync(topology, TimeSpan.FromSeconds(120));
    }

    if (only is null or "throughput")
    {
        var rounds = quick ? 7 : 11;
        var phase = TimeSpan.FromMilliseconds(quick ? 300 : 1000);
        foreach (var concurrency in pairs.SelectMany(p => p.Concurrencies).Distinct().Order())
        {
            foreach (var pair in pairs.Where(p => p.Concurrencies.Contains(concurrency)))
            {
                Console.Error.WriteLine($"Throughput {pair.Name} at concurrency {concurrency}...");
                var result = await ThroughputChecker.RunAsync(flavor, pair, concurrency, rounds, phase);
                foreach (var comparison in pair.Comparisons)
                {
                    var (routed, raw) = (result.Sides[comparison.Routed], result.Sides[comparison.Baseline]);
                    Bench($"name={pair.LineName(comparison, $"c{concurrency}_throughput")} ratio={Format(result.Ratio(comparison), 3)} routed_alloc_b={Format(routed.AllocatedPerOp, 0)} raw_alloc_b={Format(raw.AllocatedPerOp, 0)}{Reads(routed.Reads, raw.Reads)}");
                    Console.Error.WriteLine($"  routed {Format(routed.OpsPerSecond, 0)} ops/s, raw {Format(raw.OpsPerSecond, 0)} ops/s (medians of {rounds} rounds)");
                }
            }

            await Workbench.WaitForReplicaAsync(topology, TimeSpan.FromSeconds(120));
        }
    }
}

if (only is "allocations")
{
    // Diagnostics, not part of `bench`: which types the routed side allocates more of, per operation (sampled).
    foreach (var pair in pairs)
    {
        Console.Error.WriteLine($"Allocation sources, {pair.Name} (routed minus plain, bytes per operation, sampled):");
        foreach (var (type, routed, raw) in (await AllocationSampler.CompareAsync(flavor, pair, quick ? 20_000 : 100_000)).Take(12))
            Console.Error.WriteLine($"  {Format(routed - raw, 0),6}  (routed {Format(routed, 0)}, plain {Format(raw, 0)})  {type}");
    }
}

Console.Error.WriteLine($"Done in {clock.Elapsed.TotalSeconds:F0} s.");
return 0;

string? Option(string name)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
}

// The write→read pairs' reads, counted over the whole run: how many, the share a replica served, how many missed the write.
static string Reads(ReadTally? routed, ReadTally? raw) =>
    (routed is null ? "" : $" routed_reads={routed.Reads} routed_replica_share={Format(routed.ReplicaShare, 3)} routed_stale={routed.Stale}")
    + (raw is null ? "" : $" raw_reads={raw.Reads} raw_replica_share={Format(raw.ReplicaShare, 3)} raw_stale={raw.Stale}");

static string Format(double value, int decimals) => value.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

static void Bench(string line)
{
    Console.Out.WriteLine("BENCH " + line);
    Console.Out.Flush();
}

static int Fail(string message)
{
    Console.Error.WriteLine(message);
    return 2;
}
