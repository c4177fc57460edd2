using System.Globalization;
using ReplicaRouting.ConsistencyChecker;

/// <summary>
/// Part 5 of the demo: a real failover under load on the disposable failover set (<c>RR_SERVERS_SET=failover</c>), through
/// <see cref="FailoverChecker"/>, once or more per flavor; the set is rebuilt before every run and once more at the end, so
/// that it is left healthy.
/// </summary>
internal static class FailoverPart
{
    // The targets, printed next to what was measured (never used to change a number).
    private const double DetectTargetMs = 1500;
    private const double RecoverTargetMs = 1000;

    /// <summary>Runs the part; returns the RESULT lines and whether every run completed.</summary>
    public static async Task<(List<string> ResultLines, bool Completed)> RunAsync(IReadOnlyList<string> flavors, int runs, CancellationToken cancellationToken)
    {
        var options = new FailoverCheckerOptions();
        Console.WriteLine();
        Console.WriteLine("Part 5: failover. The failover set (MariaDB 3331-3333, MySQL 3341-3343, semi-sync on every node) is rebuilt; through ONE data");
        Console.WriteLine($"source (topology monitor on, default 1 s interval) {options.Writers} writers insert rows and record each acknowledged one, {options.Readers} readers read");
        Console.WriteLine("a table of known content. Node 1 (the primary) is killed with SIGKILL; once the data source has noticed and the cluster has");
        Console.WriteLine($"been without a primary for {options.Outage.TotalSeconds:0.#} s, the most advanced replica is promoted by SQL and the other one repointed to it.");
        Console.WriteLine("detect_ms: kill command start -> the data source knows there is no primary (its snapshot, or a write refused at once).");
        Console.WriteLine("recover_ms: promotion SQL done -> first write acknowledged through the same data source.");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Targets: detect <= {DetectTargetMs:0} ms, recover <= {RecoverTargetMs:0} ms, 0 acknowledged writes lost, 0 writes taken by a read-only node."));

        var lines = new List<string>();
        var completed = true;
        try
        {
            foreach (var flavor in flavors)
            {
                Console.WriteLine();
                Console.WriteLine($"== {flavor}");
                for (var run = 1; run <= runs; run++)
                {
                    try
                    {
                        var result = await FailoverChecker.RunAsync(flavor, options with { Log = Console.Out }, cancellationToken);
                        Console.WriteLine("  " + result.Describe());
                        Console.WriteLine("  " + Verdict(result));
                        lines.Add(result.ToResultLine());
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                    {
                        completed = false;
                        Console.Error.WriteLine();
                        Console.Error.WriteLine($"==  FAILOVER RUN FAILED ({flavor}, run {run}): {ex.GetType().Name}: {ex.Message}");
                        Console.Error.WriteLine($"==  No RESULT line for this run: it is MISSING, not passed.");
                        Console.Error.WriteLine();
                    }
                }
            }
        }
        finally
        {
            // Leave the failover set healthy for whatever runs next (tests reset it anyway).
            foreach (var flavor in flavors)
            {
                try
                {
                    await FailoverLab.ResetAsync(flavor, CancellationToken.None);
                    Console.WriteLine($"  {flavor}: failover set rebuilt (left healthy).");
                }
                catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or DirectoryNotFoundException)
                {
                    Console.Error.WriteLine($"  {flavor}: could not rebuild the failover set at the end: {ex.Message}");
                }
            }
        }

        return (lines, completed);
    }

    private static string Verdict(FailoverResult result)
    {
        static string Mark(bool met) => met ? "met" : "MISSED";
        return string.Create(CultureInfo.InvariantCulture,
            $"-> detect {result.DetectMilliseconds:F0} ms ({Mark(result.DetectMilliseconds <= DetectTargetMs)}), " +
            $"recover {result.RecoverMilliseconds:F0} ms ({Mark(result.RecoverMilliseconds <= RecoverTargetMs)}), " +
            $"lost acknowledged writes {result.LostAckedWrites} ({Mark(result.LostAckedWrites == 0)}), " +
            $"writes taken by a read-only node {result.WritesToReadOnly} ({Mark(result.WritesToReadOnly == 0)}), " +
            $"wrong reads {result.WrongReads} ({Mark(result.WrongReads == 0)})");
    }
}
