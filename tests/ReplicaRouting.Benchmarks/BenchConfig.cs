using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Perfolizer.Horology;

namespace ReplicaRouting.Benchmarks;

/// <summary>
/// BenchmarkDotNet configurations. Both run in process (the end-to-end benchmarks share the program's topology settings,
/// and no project is generated under this repository's warnings-as-errors props). <c>--quick</c>: 2 warm-up and 5 measured
/// iterations of 80 ms, no overhead evaluation, nothing printed but errors. Full: 5 warm-up and 15 measured iterations of
/// 250 ms, BenchmarkDotNet's tables on stderr and GitHub markdown under artifacts/benchmarks.
/// </summary>
internal static class BenchConfig
{
    public static IConfig Create(bool quick, string artifactsPath)
    {
        var job = quick
            ? Job.Default.WithToolchain(InProcessEmitToolchain.DontLogOutput)
                .WithLaunchCount(1).WithWarmupCount(2).WithIterationCount(5)
                .WithIterationTime(TimeInterval.FromMilliseconds(80)).WithEvaluateOverhead(false)
                .WithId("Quick")
            : Job.Default.WithToolchain(InProcessEmitToolchain.Instance)
                .WithLaunchCount(1).WithWarmupCount(5).WithIterationCount(15)
                .WithIterationTime(TimeInterval.FromMilliseconds(250))
                .WithId("Full");

        var config = ManualConfig.CreateEmpty()
            .AddJob(job)
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddColumnProvider(DefaultColumnProviders.Instance)
            .AddLogger(new StandardErrorLogger(errorsOnly: quick))
            .WithArtifactsPath(artifactsPath)
            .WithOptions(ConfigOptions.DisableLogFile);
        return quick ? config : config.AddExporter(MarkdownExporter.GitHub);
    }

    /// <summary>Mean and median in nanoseconds, and bytes allocated per operation, of one benchmark method.</summary>
    public static IReadOnlyDictionary<string, Measured> Read(Summary summary)
    {
        var results = new Dictionary<string, Measured>(StringComparer.Ordinal);
        foreach (var report in summary.Reports)
        {
            var name = report.BenchmarkCase.Descriptor.WorkloadMethod.Name;
            if (report.ResultStatistics is not { } statistics)
                throw new InvalidOperationException($"{name} produced no measurements (it failed; run without --quick to see why).");
            var allocated = report.GcStats.GetBytesAllocatedPerOperation(report.BenchmarkCase) ?? -1;
            results[name] = new Measured(statistics.Mean, statistics.Median, allocated);
        }

        return results;
    }

    /// <summary>BenchmarkDotNet's log on stderr, so that stdout carries only the BENCH lines.</summary>
    private sealed class StandardErrorLogger(bool errorsOnly) : ILogger
    {
        public string Id => nameof(StandardErrorLogger);

        public int Priority => 0;

        public void Write(LogKind logKind, string text)
        {
            if (!errorsOnly || logKind == LogKind.Error)
                Console.Error.Write(text);
        }

        public void WriteLine()
        {
            if (!errorsOnly)
                Console.Error.WriteLine();
        }

        public void WriteLine(LogKind logKind, string text)
        {
            if (!errorsOnly || logKind == LogKind.Error)
                Console.Error.WriteLine(text);
        }

        public void Flush() => Console.Error.Flush();
    }
}

/// <summary>One benchmark method's result.</summary>
internal readonly record struct Measured(double MeanNanoseconds, double MedianNanoseconds, long AllocatedBytes);
