using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Dapper;
using MySqlConnector;
using ReplicaRouting;
using ReplicaRouting.ConsistencyChecker;

/// <summary>
/// Part 7 of the demo: the MariaDB Galera cluster (<c>RR_SERVERS_SET=galera</c>, 3361-3363). The lost-order story on it
/// (eventual vs read-your-writes, no injected lag: Galera applies after certification, asynchronously), then the writer
/// killed under load: the cluster keeps its primary component, the data source follows it to the next member.
/// </summary>
internal static class GaleraPart
{
    private const string Flavor = "mariadb-galera";

    /// <summary>Runs the part; returns the RESULT lines and whether it completed. The cluster is left healthy.</summary>
    public static async Task<(List<string> ResultLines, bool Completed)> RunAsync(int pairs, int concurrency, CancellationToken cancellationToken)
    {
        Console.WriteLine();
        Console.WriteLine("Part 7: MariaDB Galera (three members, 3361-3363). The data source is configured with member 1 as primary and 2, 3 as");
        Console.WriteLine("replicas; its monitor recognises the cluster from wsrep_* status and chooses ONE writer (member 1 while it is Synced).");
        var lines = new List<string>();
        GaleraLab lab;
        try
        {
            lab = new GaleraLab();
            await GaleraLab.StartAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or DirectoryNotFoundException)
        {
            Console.Error.WriteLine();
            Console.Error.WriteLine($"==  GALERA PART NOT RUN: {ex.Message}");
            Console.Error.WriteLine("==  Its RESULT lines are MISSING, not passed.");
            Console.Error.WriteLine();
            return (lines, false);
        }

        try
        {
            lines.AddRange(await LostOrderAsync(lab, pairs, concurrency, cancellationToken));
            lines.Add(await FailoverAsync(lab, cancellationToken));
            return (lines, true);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            Console.Error.WriteLine($"==  GALERA PART FAILED: {ex.GetType().Name}: {ex.Message}. Missing RESULT lines are MISSING, not passed.");
            return (lines, false);
        }
        finally
        {
            await GaleraLab.StartAsync(CancellationToken.None);   // a killed member rejoins: left healthy
            Console.WriteLine("  galera: cluster healthy again (left as found).");
        }
    }

    private static async Task<IEnumerable<string>> LostOrderAsync(GaleraLab lab, int pairs, int concurrency, CancellationToken cancellationToken)
    {
        var config = lab.Config;
        await OrderStory.CreateOrdersTableAsync(config.ConnectionString(config.PrimaryEndpoint), cancellationToken);
        Console.WriteLine();
        Console.WriteLine($"== {Flavor}: the lost order, {pairs} pairs per mode, {concurrency} users (reads may go to members 2 and 3)");
        var results = new List<string>();
        foreach (var mode in new[] { "eventual", "wait-for-gtid" })
        {
            await using var dataSource = Build(config, o => OrderStory.ConfigureMode(o, mode));
            await dataSource.RefreshTopologyAsync(cancellationToken);
            var result = await OrderStory.RunAsync(dataSource, new OrderStoryOptions { Pairs = pairs, Concurrency = concurrency, UseToken = true }, cancellationToken);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {mode,-14} stale {result.Stale} of {result.Pairs}, replica share {result.ReplicaShare:F2}, read p50 {result.ReadP50Milliseconds:F2} ms, p99 {result.ReadP99Milliseconds:F2} ms; {OrderStoryResult.Describe(result.ReadReasons)}"));
            results.Add(result.ToResultLine(Flavor, mode));
        }

        return results;
    }

    /// <summary>Writers and readers through one data source; member 1 (the writer) SIGKILLed; what the data source did.</summary>
    private static async Task<string> FailoverAsync(GaleraLab lab, CancellationToken cancellationToken)
    {
        var config = lab.Config;
        await lab.AdminScalarAsync(1, "CREATE TABLE IF NOT EXISTS galera_failover_orders (id BIGINT PRIMARY KEY, written_by BIGINT NOT NULL) ENGINE=InnoDB; TRUNCATE galera_failover_orders", cancellationToken);
        await using var dataSource = Build(config, configure: null);
        await dataSource.RefreshTopologyAsync(cancellationToken);
        Console.WriteLine();
        Console.WriteLine($"== {Flavor}: failover. 4 writers, 4 readers, monitor at its default interval; member 1 (the writer) is SIGKILLed.");
        Console.WriteLine("detect_ms: kill -> the data source's writer is another member. recover_ms: kill -> first write acknowledged by another member");
        Console.WriteLine("(the cluster needs no promotion: the surviving members keep the primary component).");

        var acked = new ConcurrentBag<(long Id, long Server, long StartedAt)>();
        int failedWrites = 0, failedReads = 0, reads = 0;
        long nextId = 0, firstAckElsewhere = 0;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var writers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var id = Interlocked.Increment(ref nextId);
                var startedAt = Stopwatch.GetTimestamp();
                try
                {
                    await using var connection = await dataSource.OpenConnectionAsync(stop.Token);
                    var server = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                        "INSERT INTO galera_failover_orders (id, written_by) VALUES (@id, @@server_id); SELECT @@server_id", new { id }, cancellationToken: stop.Token));
                    acked.Add((id, server, startedAt));
                    if (server != 3361)
                        Interlocked.CompareExchange(ref firstAckElsewhere, Stopwatch.GetTimestamp(), 0);
                }
                catch (Exception ex) when (ex is MySqlException or PrimaryUnavailableException or CommitOutcomeUnknownException or InvalidOperationException)
                {
                    Interlocked.Increment(ref failedWrites);
                    await Task.Delay(5, CancellationToken.None);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    return;
                }
            }
        }, CancellationToken.None)).ToList();
        var readers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await using var connection = await dataSource.OpenConnectionAsync(stop.Token);
                    await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT COUNT(*) FROM galera_failover_orders WHERE id < 0", cancellationToken: stop.Token));
                    Interlocked.Increment(ref reads);
                }
                catch (Exception ex) when (ex is MySqlException or PrimaryUnavailableException or InvalidOperationException)
                {
                    // A read of the data source's own fresh write runs on the writer: while it dies, such reads fail (counted).
                    Interlocked.Increment(ref failedReads);
                    await Task.Delay(5, CancellationToken.None);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    return;
                }
            }
        }, CancellationToken.None)).ToList();

        await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        var killAt = Stopwatch.GetTimestamp();
        await GaleraLab.KillAsync(1, cancellationToken);
        var killDoneAt = Stopwatch.GetTimestamp();
        long detectedAt = 0;
        while (detectedAt == 0 && Stopwatch.GetElapsedTime(killAt) < TimeSpan.FromSeconds(60))
        {
            if (dataSource.Topology.Primary is { } writer && writer.Endpoint != config.Nodes[0])
                detectedAt = Stopwatch.GetTimestamp();
            else
                await Task.Delay(1, cancellationToken);
        }

        while (Interlocked.Read(ref firstAckElsewhere) == 0 && Stopwatch.GetElapsedTime(killAt) < TimeSpan.FromSeconds(60))
            await Task.Delay(1, cancellationToken);
        await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        await stop.CancelAsync();
        await Task.WhenAll(writers.Concat(readers));
        if (detectedAt == 0 || firstAckElsewhere == 0)
            throw new TimeoutException($"The data source did not follow the cluster within 60 s: {dataSource.Topology}");

        // Every acknowledged write must be in the cluster (read on member 2 once it has applied everything: wsrep_sync_wait),
        // and none may have been taken by member 1 after it was killed, nor by member 3 (never the writer here).
        var rows = (await lab.AdminScalarAsync(2, "SET SESSION wsrep_sync_wait=1; SELECT GROUP_CONCAT(id) FROM galera_failover_orders", cancellationToken) as string ?? "")
            .Split(',', StringSplitOptions.RemoveEmptyEntries).Select(long.Parse).ToHashSet();
        var ackList = acked.ToList();
        var lost = ackList.Count(a => !rows.Contains(a.Id));
        var wrongNode = ackList.Count(a => a.Server == 3363 || (a.Server == 3361 && a.StartedAt > killDoneAt));
        static double Ms(long from, long to) => (to - from) * 1000.0 / Stopwatch.Frequency;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {ackList.Count} writes acknowledged ({ackList.Count(a => a.Server == 3361)} by member 1, {ackList.Count(a => a.Server == 3362)} by member 2), {failedWrites} failed during the switch; " +
            $"{reads} reads, {failedReads} failed; snapshot after: {dataSource.Topology}"));
        return string.Create(CultureInfo.InvariantCulture,
            $"RESULT flavor={Flavor} scenario=failover detect_ms={Ms(killAt, detectedAt):F0} recover_ms={Ms(killAt, firstAckElsewhere):F0} failed_reads={failedReads} " +
            $"lost_acked_writes={lost} writes_to_non_primary={wrongNode} failed_writes={failedWrites}");
    }

    private static ReplicaRoutingDataSource Build(TopologyConfig config, Action<ReplicaRoutingOptions>? configure)
    {
        var builder = new ReplicaRoutingDataSourceBuilder().UsePrimary(config.ConnectionString(config.PrimaryEndpoint));
        foreach (var replica in config.ReplicaEndpoints)
            builder.AddReplica(config.ConnectionString(replica));
        return builder.Configure(o => configure?.Invoke(o)).Build();
    }
}
