namespace ReplicaRouting.Benchmarks.EndToEnd;

/// <summary>
/// One or more routed operations measured against one or more baselines doing the same work, all interleaved in one run
/// (so drift hits every side alike). Each routed side against each baseline gives one BENCH line per level: the pair's
/// name, the sides' suffixes (where a pair has several), the level.
/// </summary>
/// <param name="Name">The name in the BENCH lines (and in <c>--pairs</c>).</param>
/// <param name="Routed">The measured sides (for the BenchmarkDotNet pairs, the operation is also its method name).</param>
/// <param name="Baselines">What each is compared with, in order.</param>
/// <param name="Concurrencies">The concurrency levels of its throughput runs; none: concurrency 1 only.</param>
internal sealed record Pair(string Name, IReadOnlyList<Side> Routed, IReadOnlyList<Side> Baselines, IReadOnlyList<int> Concurrencies)
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

        // A session writes a row and reads it back (issue 14): every routed variant against the same work on the primary and
        // against Eventual, over the two replicas, all in one run per scenario. Last: they write the most.
        .. WriteRead.Scenarios.Select(scenario => new Pair(
            scenario.Name,
            [.. WriteRead.Variants.Select(variant => new Side(variant.Name, WriteRead.Operation(scenario, variant.Name)))],
            [new("vs_primary", WriteRead.Operation(scenario, WriteRead.Primary)), new("vs_eventual", WriteRead.Operation(scenario, WriteRead.Eventual.Name))],
            WriteReads)),
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

    /// <summary>Every side in the order the checkers take them: the routed ones, then the baselines.</summary>
    public IReadOnlyList<Side> Sides => [.. Routed, .. Baselines];

    /// <summary>Each routed side against each baseline, as indexes into <see cref="Sides"/>.</summary>
    public IEnumerable<(int Routed, int Baseline)> Comparisons =>
        from routed in Enumerable.Range(0, Routed.Count)
        from baseline in Enumerable.Range(Routed.Count, Baselines.Count)
        select (routed, baseline);

    public bool NeedsCausalPreparation => Routed.Any(side => side.Operation is nameof(Lane.RoutedCausalKnown) or nameof(Lane.RoutedCausalWait));

    /// <summary>The BENCH line name of one comparison at one level (<c>c1</c>, <c>c16_throughput</c>).</summary>
    public string LineName((int Routed, int Baseline) comparison, string level) =>
        string.Join('_', new[] { Name, Sides[comparison.Routed].Suffix, Sides[comparison.Baseline].Suffix, level }.Where(part => part.Length > 0));

    private static Pair Single(string name, string routed, string raw, int[] concurrencies) => new(name, [new("", routed)], [new("", raw)], concurrencies);
}

/// <summary>One side of a pair.</summary>
/// <param name="Suffix">Added to the pair's name in its BENCH lines; empty where the pair has one side of its kind.</param>
/// <param name="Operation">The operation (for the BenchmarkDotNet pairs, also its method name).</param>
internal sealed record Side(string Suffix, string Operation);
