namespace ReplicaRouting.Benchmarks.EndToEnd;

/// <summary>A routed operation and the plain MySqlConnector operation that does the same work on the same server.</summary>
/// <param name="Name">The name in the BENCH line.</param>
/// <param name="Routed">The routed side (also the BenchmarkDotNet method name).</param>
/// <param name="Raw">The plain side (also the BenchmarkDotNet method name).</param>
/// <param name="Concurrent">Whether the pair is also measured at concurrency 8 and 64.</param>
internal sealed record Pair(string Name, string Routed, string Raw, bool Concurrent)
{
    /// <summary>In the order they run: reads first, writes last (their replication backlog would slow later reads).</summary>
    public static readonly Pair[] All =
    [
        new("select1", nameof(Lane.RoutedSelect1), nameof(Lane.RawSelect1), Concurrent: true),
        new("pk_read", nameof(Lane.RoutedPkRead), nameof(Lane.RawPkRead), Concurrent: true),
        new("causal_read_caught_up", nameof(Lane.RoutedCausalKnown), nameof(Lane.RawPkRead), Concurrent: true),
        new("causal_read_wait_vs_two_round_trips", nameof(Lane.RoutedCausalWait), nameof(Lane.RawWaitThenRead), Concurrent: false),
        new("insert", nameof(Lane.RoutedInsert), nameof(Lane.RawInsert), Concurrent: true),
        new("insert_eventual", nameof(Lane.RoutedInsertEventual), nameof(Lane.RawInsert), Concurrent: true),

        // Units of work (open, writes, close): where read-your-writes pays for the GTID, once per unit.
        new("unit_of_work", nameof(Lane.RoutedUnitOfWork), nameof(Lane.RawUnitOfWork), Concurrent: true),
        new("single_write", nameof(Lane.RoutedSingleWrite), nameof(Lane.RawSingleWrite), Concurrent: true),

        // Not a routed pair: both sides are plain MySqlConnector. The first adds the capture statement to the unit of work,
        // so the ratio is the floor under unit_of_work on this server: what reading the GTID costs with no ReplicaRouting code.
        new("floor_unit_of_work_plus_capture_statement", nameof(Lane.RawUnitOfWorkWithCapture), nameof(Lane.RawUnitOfWork), Concurrent: true),

        // The routed unit of work against that floor, interleaved in one pair: what ReplicaRouting adds to the statements.
        new("unit_of_work_vs_floor", nameof(Lane.RoutedUnitOfWork), nameof(Lane.RawUnitOfWorkWithCapture), Concurrent: true),
    ];

    public static Func<Lane, Task<long>> Operation(string name) => name switch
    {
        nameof(Lane.RawSelect1) => lane => lane.RawSelect1(),
        nameof(Lane.RoutedSelect1) => lane => lane.RoutedSelect1(),
        nameof(Lane.RawPkRead) => lane => lane.RawPkRead(),
        nameof(Lane.RoutedPkRead) => lane => lane.RoutedPkRead(),
        nameof(Lane.RoutedCausalKnown) => lane => lane.RoutedCausalKnown(),
        nameof(Lane.RoutedCausalWait) => lane => lane.RoutedCausalWait(),
        nameof(Lane.RawWaitThenRead) => lane => lane.RawWaitThenRead(),
        nameof(Lane.RawInsert) => lane => lane.RawInsert(),
        nameof(Lane.RoutedInsert) => lane => lane.RoutedInsert(),
        nameof(Lane.RoutedInsertEventual) => lane => lane.RoutedInsertEventual(),
        nameof(Lane.RoutedUnitOfWork) => lane => lane.RoutedUnitOfWork(),
        nameof(Lane.RawUnitOfWork) => lane => lane.RawUnitOfWork(),
        nameof(Lane.RawUnitOfWorkWithCapture) => lane => lane.RawUnitOfWorkWithCapture(),
        nameof(Lane.RoutedSingleWrite) => lane => lane.RoutedSingleWrite(),
        nameof(Lane.RawSingleWrite) => lane => lane.RawSingleWrite(),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "No such operation."),
    };

    public bool NeedsCausalPreparation => Routed is nameof(Lane.RoutedCausalKnown) or nameof(Lane.RoutedCausalWait);
}
