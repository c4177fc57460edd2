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
        new("insert_capture", nameof(Lane.RoutedInsertCapture), nameof(Lane.RawInsert), Concurrent: true),
        new("insert_no_capture", nameof(Lane.RoutedInsertNoCapture), nameof(Lane.RawInsert), Concurrent: true),

        // Not a routed pair: both sides are plain MySqlConnector. The "routed" side sends the insert plus the capture
        // statement as one batch, so the ratio is the floor under insert_capture on this server: what the second statement
        // costs with no ReplicaRouting code running.
        new("floor_plain_insert_plus_capture_statement", nameof(Lane.RawInsertWithCaptureStatement), nameof(Lane.RawInsert), Concurrent: true),

        // The routed capture against that floor, interleaved in one pair: what ReplicaRouting adds to the two statements.
        new("insert_capture_vs_floor", nameof(Lane.RoutedInsertCapture), nameof(Lane.RawInsertWithCaptureStatement), Concurrent: true),
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
        nameof(Lane.RoutedInsertCapture) => lane => lane.RoutedInsertCapture(),
        nameof(Lane.RoutedInsertNoCapture) => lane => lane.RoutedInsertNoCapture(),
        nameof(Lane.RawInsertWithCaptureStatement) => lane => lane.RawInsertWithCaptureStatement(),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "No such operation."),
    };

    public bool NeedsCausalPreparation => Routed is nameof(Lane.RoutedCausalKnown) or nameof(Lane.RoutedCausalWait);
}
