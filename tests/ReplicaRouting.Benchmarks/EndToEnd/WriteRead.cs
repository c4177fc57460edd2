namespace ReplicaRouting.Benchmarks.EndToEnd;

/// <summary>
/// The write→read pairs (issue 14): a unit of work (one routing session, on the connection the worker holds, as a request
/// using Dapper does) writes a new row, optionally pauses, and reads that row back one or more times on the same
/// connection. Every read checks that it saw the row: a read that did not is stale, and is counted, never hidden.
/// </summary>
internal static class WriteRead
{
    /// <summary>The baseline that does the same work on the primary with plain MySqlConnector.</summary>
    public const string Primary = "primary";

    /// <summary>What a read may see after the session's write, and how often it reads.</summary>
    public static readonly Scenario[] Scenarios =
    [
        new("write_read_immediate", TimeSpan.Zero, Reads: 1),
        new("write_read_after_5ms", TimeSpan.FromMilliseconds(5), Reads: 1),
        new("write_read_after_50ms", TimeSpan.FromMilliseconds(50), Reads: 1),
        new("write_read_burst", TimeSpan.Zero, Reads: 10),
    ];

    /// <summary>The baseline that splits reads without read-your-writes.</summary>
    public static readonly Variant Eventual = new("eventual", o => o.Consistency = ReadConsistency.Eventual);

    /// <summary>The routed configurations measured: read-your-writes under each causal read policy, and causal consistency.</summary>
    public static readonly Variant[] Variants =
    [
        new("ryw_adaptive", o => (o.Consistency, o.CausalReadPolicy) = (ReadConsistency.ReadYourWrites, CausalReadPolicy.Adaptive)),
        new("ryw_wait", o => (o.Consistency, o.CausalReadPolicy) = (ReadConsistency.ReadYourWrites, CausalReadPolicy.Wait)),
        new("ryw_fast", o => (o.Consistency, o.CausalReadPolicy) = (ReadConsistency.ReadYourWrites, CausalReadPolicy.Fast)),
        new("causal", o => (o.Consistency, o.CausalReadPolicy) = (ReadConsistency.Causal, CausalReadPolicy.Adaptive)),
    ];

    /// <summary>The operation name of one side (a routed variant, <see cref="Eventual"/> or <see cref="Primary"/>) in one scenario.</summary>
    public static string Operation(Scenario scenario, string side) => $"{scenario.Name}.{side}";

    /// <param name="Name">The scenario part of the pair names.</param>
    /// <param name="Pause">The time between the write and the first read (not part of the measured latency).</param>
    /// <param name="Reads">How many reads of the new row follow the write.</param>
    internal sealed record Scenario(string Name, TimeSpan Pause, int Reads);

    /// <param name="Name">The variant part of the pair names.</param>
    /// <param name="Configure">The options of its data source (over the primary and both replicas).</param>
    internal sealed record Variant(string Name, Action<ReplicaRoutingOptions> Configure);
}

/// <summary>Reads of one side of the write→read pairs: how many, how many a replica served, how many missed the write.</summary>
internal sealed class ReadTally
{
    private long _reads;
    private long _replicaReads;
    private long _stale;

    public long Reads => Interlocked.Read(ref _reads);

    public long Stale => Interlocked.Read(ref _stale);

    public double ReplicaShare => Reads == 0 ? 0 : (double)Interlocked.Read(ref _replicaReads) / Reads;

    public void Record(bool sawWrite, bool onReplica)
    {
        Interlocked.Increment(ref _reads);
        if (onReplica)
            Interlocked.Increment(ref _replicaReads);
        if (!sawWrite)
            Interlocked.Increment(ref _stale);
    }
}
