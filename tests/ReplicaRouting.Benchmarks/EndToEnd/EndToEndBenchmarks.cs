using BenchmarkDotNet.Attributes;

namespace ReplicaRouting.Benchmarks.EndToEnd;

/// <summary>
/// Concurrency 1 on the local topology: each routed operation next to the plain MySqlConnector one (see <see cref="Pair"/>).
/// Runs in process; <see cref="Flavor"/> is set by the program before the run.
/// </summary>
[MemoryDiagnoser]
public class EndToEndBenchmarks
{
    private Workbench? _bench;
    private Lane? _lane;

    internal static string Flavor { get; set; } = "mariadb";

    private Lane Lane => _lane!;

    [GlobalSetup]
    public void Setup()
    {
        _bench = Workbench.Create(Flavor);
        _lane = new Lane(_bench);
        _lane.PrepareCausalAsync().GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _lane?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _bench?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Workbench.WaitForReplicaAsync(BenchTopology.Load(Flavor), TimeSpan.FromSeconds(120)).GetAwaiter().GetResult();
    }

    // Declared in run order: reads first, writes last.
    [Benchmark]
    public Task<long> RawSelect1() => Lane.RawSelect1();

    [Benchmark]
    public Task<long> RoutedSelect1() => Lane.RoutedSelect1();

    [Benchmark]
    public Task<long> RawPkRead() => Lane.RawPkRead();

    [Benchmark]
    public Task<long> RoutedPkRead() => Lane.RoutedPkRead();

    [Benchmark]
    public Task<long> RoutedCausalKnown() => Lane.RoutedCausalKnown();

    [Benchmark]
    public Task<long> RoutedCausalWait() => Lane.RoutedCausalWait();

    [Benchmark]
    public Task<long> RawWaitThenRead() => Lane.RawWaitThenRead();

    [Benchmark]
    public Task<long> RawInsert() => Lane.RawInsert();

    [Benchmark]
    public Task<long> RoutedInsert() => Lane.RoutedInsert();

    [Benchmark]
    public Task<long> RoutedInsertEventual() => Lane.RoutedInsertEventual();

    [Benchmark]
    public Task<long> RawUnitOfWork() => Lane.RawUnitOfWork();

    [Benchmark]
    public Task<long> RoutedUnitOfWork() => Lane.RoutedUnitOfWork();

    [Benchmark]
    public Task<long> RawUnitOfWorkWithCapture() => Lane.RawUnitOfWorkWithCapture();

    [Benchmark]
    public Task<long> RawSingleWrite() => Lane.RawSingleWrite();

    [Benchmark]
    public Task<long> RoutedSingleWrite() => Lane.RoutedSingleWrite();
}
