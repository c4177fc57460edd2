using System.Globalization;

namespace ReplicaRouting.ConsistencyChecker;

/// <summary>What happened in one <see cref="OrderStory.RunAsync"/>: counted, never assumed.</summary>
public sealed class OrderStoryResult
{
    private OrderStoryResult(
        int pairs, int stale, int replicaReads, int tokens, double readP50, double readP99,
        IReadOnlyDictionary<RoutingReason, int> readReasons, IReadOnlyDictionary<RoutingReason, int> staleReasons, TimeSpan elapsed)
    {
        Pairs = pairs;
        Stale = stale;
        ReplicaReads = replicaReads;
        Tokens = tokens;
        ReadP50Milliseconds = readP50;
        ReadP99Milliseconds = readP99;
        ReadReasons = readReasons;
        StaleReasons = staleReasons;
        Elapsed = elapsed;
    }

    /// <summary>Gets how many write→read pairs ran.</summary>
    public int Pairs { get; }

    /// <summary>Gets how many reads did not find the order just placed.</summary>
    public int Stale { get; }

    /// <summary>Gets how many reads a replica answered.</summary>
    public int ReplicaReads { get; }

    /// <summary>Gets the share of reads a replica answered, 0 to 1.</summary>
    public double ReplicaShare => Pairs == 0 ? 0 : (double)ReplicaReads / Pairs;

    /// <summary>Gets how many writes left their session with a consistency token (none under <see cref="ReadConsistency.Eventual"/>).</summary>
    public int Tokens { get; }

    /// <summary>Gets the median read time in milliseconds (the read command only, including any GTID wait and fallback).</summary>
    public double ReadP50Milliseconds { get; }

    /// <summary>Gets the 99th percentile read time in milliseconds (nearest rank).</summary>
    public double ReadP99Milliseconds { get; }

    /// <summary>Gets how many reads were routed for each reason (the final decision: after a timed-out wait, <see cref="RoutingReason.CausalWaitTimedOut"/>).</summary>
    public IReadOnlyDictionary<RoutingReason, int> ReadReasons { get; }

    /// <summary>Gets the routing reasons of the stale reads only (empty when none was stale).</summary>
    public IReadOnlyDictionary<RoutingReason, int> StaleReasons { get; }

    /// <summary>Gets how long the whole run took.</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>
    /// The machine-readable summary, exactly
    /// <c>RESULT flavor=… mode=… pairs=… stale=… replica_share=… read_p50_ms=… read_p99_ms=…</c>
    /// (invariant culture, two decimals for the share and the times; see <see cref="ResultLine.Format"/>).
    /// </summary>
    /// <param name="flavor"><c>mariadb</c> or <c>mysql</c>.</param>
    /// <param name="mode">One of <see cref="OrderStory.Modes"/>.</param>
    /// <returns>The line, without a line break.</returns>
    /// <exception cref="ArgumentException">An unknown flavor or mode.</exception>
    public string ToResultLine(string flavor, string mode)
    {
        if (!OrderStory.Modes.Contains(mode))
            throw new ArgumentException($"Unknown mode '{mode}': expected one of {string.Join(", ", OrderStory.Modes)}.", nameof(mode));

        return ResultLine.Format(flavor, mode, Pairs, Stale, ReplicaShare, ReadP50Milliseconds, ReadP99Milliseconds);
    }

    /// <summary>A one-line human summary, with the reasons histogram.</summary>
    /// <returns>The summary.</returns>
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"pairs={Pairs} stale={Stale} replica_share={ReplicaShare:F2} tokens={Tokens} p50={ReadP50Milliseconds:F2}ms p99={ReadP99Milliseconds:F2}ms " +
        $"reasons=[{Describe(ReadReasons)}] stale_reasons=[{Describe(StaleReasons)}]");

    /// <summary>A histogram as <c>Reason=count</c> pairs, most frequent first.</summary>
    /// <param name="counts">The counts.</param>
    /// <returns>The text, e.g. <c>CausalRead=1990 CausalWaitTimedOut=10</c>.</returns>
    public static string Describe(IReadOnlyDictionary<RoutingReason, int> counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        return string.Join(" ", counts.OrderByDescending(c => c.Value).ThenBy(c => c.Key).Select(c => $"{c.Key}={c.Value}"));
    }

    internal static OrderStoryResult From(IReadOnlyList<ReadOutcome> reads, TimeSpan elapsed)
    {
        var times = reads.Select(r => r.Elapsed.TotalMilliseconds).Order().ToArray();
        return new OrderStoryResult(
            pairs: reads.Count,
            stale: reads.Count(r => !r.Found),
            replicaReads: reads.Count(r => r.Decision.Target == RouteTarget.Replica),
            tokens: reads.Count(r => r.WriteHadToken),
            readP50: ResultLine.Percentile(times, 0.50),
            readP99: ResultLine.Percentile(times, 0.99),
            readReasons: Histogram(reads),
            staleReasons: Histogram(reads.Where(r => !r.Found)),
            elapsed);
    }

    private static Dictionary<RoutingReason, int> Histogram(IEnumerable<ReadOutcome> reads) =>
        reads.GroupBy(r => r.Decision.Reason).ToDictionary(g => g.Key, g => g.Count());
}
