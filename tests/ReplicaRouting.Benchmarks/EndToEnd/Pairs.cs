namespace ReplicaRouting.Benchmarks.EndToEnd;

/// <summary>
/// A routed operation measured against one or more baselines doing the same work, all interleaved in one run (so drift hits
/// every side alike). Each baseline gives one BENCH line per concurrency: the pair's name, the baseline's suffix, the level.
/// </summary>
/// <param name="Name">The name in the BENCH lines (and in <c>--pairs</c>).</param>
/// <param name="Routed">The measured side (for the BenchmarkDotNet pairs, also its method name).</param>
/// <param name="Baselines">What it is compared with, in order.</param>
/// <param name="Concurrencies">The concurrency levels of its throughput runs; none: concurrency 1 only.</param>
internal sealed record Pair(string Name, string Routed, IReadOnlyList<Baseline> Baselines, IReadOnlyList<int> Concurrencies)
{
    private static readonly int[] Reads = [8, 64];
    private static readonly int[] SpreadReads = [8, 16, 64];
    private static readonly int[] WriteReads = [16];

    /// <summary>In the order they run: reads first, writes last (their replication backlog would slow later reads).</summary>
    public static readonly Pair[] All =
    [
        Single("select1", nameof(Lane.RoutedSelect1), nameof(Lane.RawSelect1), Reads),
        Single("pk_read", nameof(Lane.RoutedPkRead), nameof(Lane.RawPkRead), Reads),

        // Not a routed pair: both sides are plain MySqlConnector. The first alternates its reads over the two replicas
        // (round robin, as the routed data source does), the second reads the first replica only: what spreading reads costs
        // by itself, the floor under every pair that routes over both replicas.
        Single("floor_pk_read_two_replicas", nameof(Lane.RawPkReadTwoReplicas), nameof(Lane.RawPkRead), SpreadReads),
        Single("pk_read_two_replicas", nameof(Lane.RoutedPkReadTwoReplicas), nameof(Lane.RawPkReadTwoReplicas), SpreadReads),

        Single("causal_read_caught_up", nameof(Lane.RoutedCausalKnown), nameof(Lane.RawPkRead), Reads),
        Single("causal_read_wait_vs_two_round_trips", nameof(Lane.RoutedCausalWait), nameof(Lane.RawWaitThenRead), []),
        Single("insert", nameof(Lane.RoutedInsert), nameof(Lane.RawInsert), Reads),
        Single("insert_eventual", nameof(Lane.RoutedInsertEventual), nameof(Lane.RawInsert), Reads),

        // Units of work (open, writes, close): where read-your-writes pays for the GTID, once per unit.
        Single("unit_of_work", nameof(Lane.RoutedUnitOfWork), nameof(Lane.RawUnitOfWork), Reads),
        Single("single_write", nameof(Lane.RoutedSingleWrite), nameof(Lane.RawSingleWrite), Reads),

        // Not a routed pair: both sides are plain MySqlConnector. The first adds the capture statement to the unit of work,
        // so the ratio is the floor under unit_of_work on this server: what reading the GTID costs with no ReplicaRouting code.
        Single("floor_unit_of_work_plus_capture_statement", nameof(Lane.RawUnitOfWorkWithCapture), nameof(Lane.RawUnitOfWork), Reads),

        // The routed unit of work against that floor, interleaved in one pair: what ReplicaRouting adds to the statements.
        Single("unit_of_work_vs_floor", nameof(Lane.RoutedUnitOfWork), nameof(Lane.RawUnitOfWorkWithCapture), Reads),

        // A session writes a row and reads it back (issue 14): each routed variant against the same work on the primary and
        // against Eventual, both over the two replicas. Last: they write the most.
        .. WriteRead.Scenarios.SelectMany(scenario => WriteRead.Variants.Select(variant => new Pair(
            $"{scenario.Name}_{variant.Name}",
            WriteRead.Operation(scenario, variant.Name),
            [new("vs_primary", WriteRead.Operation(scenario, WriteRead.Primary)), new("vs_eventual", WriteRead.Operation(scenario, WriteRead.Eventual.Name))],
            WriteReads))),
    ];

    private static readonly Dictionary<string, Func<Lane, Task<long>>> Operations = new(StringComparer.Ordinal)
    {
        [nameof(Lane.RawSelect1)] = lane => lane.RawSelect1(),
        [nameof(Lane.RoutedSelect1)] = lane => lane.RoutedSelect1(),
        [nameof(Lane.RawPkRead)] = lane => lane.RawPkRead(),
        [nameof(Lane.RoutedPkRead)] = lane => lane.RoutedPkRead(),
        [nameof(Lane.RawPkReadTwoReplicas)] = lane => lane.RawPkReadTwoReplicas(),
        [nameof(Lane.RoutedPkReadTwoReplicas)] = lane => lane.RoutedPkReadTwoReplicas(),
        [nameof(Lane.RoutedCausalKnown)] = lane => lane.RoutedCausalKnown(),
        [nameof(Lane.RoutedCausalWait)] = lane => lane.RoutedCausalWait(),
        [nameof(Lane.RawWaitThenRead)] = lane => lane.RawWaitThenRead(),
        [nameof(Lane.RawInsert)] = lane => lane.RawInsert(),
        [nameof(Lane.RoutedInsert)] = lane => lane.RoutedInsert(),
        [nameof(Lane.RoutedInsertEventual)] = lane => lane.RoutedInsertEventual(),
        [nameof(Lane.RoutedUnitOfWork)] = lane => lane.RoutedUnitOfWork(),
        [nameof(Lane.RawUnitOfWork)] = lane => lane.RawUnitOfWork(),
        [nameof(Lane.RawUnitOfWorkWithCapture)] = lane => lane.RawUnitOfWorkWithCapture(),
        [nameof(Lane.RoutedSingleWrite)] = lane => lane.RoutedSingleWrite(),
        [nameof(Lane.RawSingleWrite)] = lane => lane.RawSingleWrite(),
    };

    static Pair()
    {
        foreach (var scenario in WriteRead.Scenarios)
        {
            Operations[WriteRead.Operation(scenario, WriteRead.Primary)] = lane => lane.RawWriteRead(scenario);
            foreach (var variant in WriteRead.Variants.Append(WriteRead.Eventual))
                Operations[WriteRead.Operation(scenario, variant.Name)] = lane => lane.RoutedWriteRead(scenario, variant);
        }
    }

    public static Func<Lane, Task<long>> Operation(string name) =>
        Operations.TryGetValue(name, out var operation) ? operation : throw new ArgumentOutOfRangeException(nameof(name), name, "No such operation.");

    public bool NeedsCausalPreparation => Routed is nameof(Lane.RoutedCausalKnown) or nameof(Lane.RoutedCausalWait);

    /// <summary>The BENCH line name of one baseline at one level (<c>c1</c>, <c>c16_throughput</c>).</summary>
    public string LineName(Baseline baseline, string level) => baseline.Suffix.Length == 0 ? $"{Name}_{level}" : $"{Name}_{baseline.Suffix}_{level}";

    private static Pair Single(string name, string routed, string raw, int[] concurrencies) => new(name, routed, [new("", raw)], concurrencies);
}

/// <summary>One side a pair is compared with.</summary>
/// <param name="Suffix">Added to the pair's name in its BENCH lines; empty for a pair with a single baseline.</param>
/// <param name="Operation">The operation (for the BenchmarkDotNet pairs, also its method name).</param>
internal sealed record Baseline(string Suffix, string Operation);
