using System.Globalization;
using ReplicaRouting;
using ReplicaRouting.ConsistencyChecker;

/// <summary>
/// Part 6 of the demo: MySQL Group Replication (the gr set, <c>RR_SERVERS_SET=gr</c>, 3351-3353). The lost-order story with
/// the secondaries' appliers delayed for real (global read locks held in turn), then a failover the group does by itself.
/// The data source is configured with the three members; it learns roles from the group.
/// </summary>
internal static class GroupReplicationPart
{
    /// <summary>Runs the part; returns the RESULT lines and whether every run completed.</summary>
    public static async Task<(List<string> ResultLines, bool Completed)> RunAsync(int pairs, int concurrency, TimeSpan held, TimeSpan released, CancellationToken cancellationToken)
    {
        var lines = new List<string>();
        Console.WriteLine();
        Console.WriteLine("Part 6: MySQL Group Replication (three members, single-primary; the group elects its primary, the data source follows it).");
        if (Environment.GetEnvironmentVariable("RR_GR_MYSQL_NODES") is not { Length: > 0 })
        {
            Console.Error.WriteLine();
            Console.Error.WriteLine("==  The Group Replication set is not running (RR_GR_MYSQL_NODES is not set): part 6 is MISSING, not passed.");
            Console.Error.WriteLine("==  Start it with: RR_SERVERS_SET=gr scripts/servers/servers.sh start && eval \"$(RR_SERVERS_SET=gr scripts/servers/servers.sh env)\"");
            Console.Error.WriteLine();
            return (lines, true);
        }

        var lab = GroupReplicationLab.Create();
        var completed = true;
        try
        {
            await GroupReplicationLab.StartAsync(cancellationToken);
            lines.AddRange(await LostOrderAsync(lab, pairs, concurrency, held, released, cancellationToken));

            Console.WriteLine();
            Console.WriteLine("Failover by the group: 4 writers through one data source (monitor on, default 1 s interval); member 1 (the primary) is killed");
            Console.WriteLine("with SIGKILL; nobody promotes anything: the group expels it (about 5 s of silence) and elects a primary; the data source follows.");
            Console.WriteLine("detect_ms: kill -> the data source knows there is no primary. elected_ms: kill -> a survivor names the new primary.");
            Console.WriteLine("followed_ms: election seen -> the data source's snapshot names it. recover_ms: kill -> first write acknowledged by the new primary.");
            var result = await GroupFailoverChecker.RunAsync(log: Console.Out, cancellationToken: cancellationToken);
            Console.WriteLine("  " + result.Describe());
            lines.Add(result.ToResultLine());
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            completed = false;
            Console.Error.WriteLine();
            Console.Error.WriteLine($"==  GROUP REPLICATION PART FAILED: {ex.GetType().Name}: {ex.Message}");
            Console.Error.WriteLine("==  Its RESULT lines are MISSING, not passed.");
            Console.Error.WriteLine();
        }
        finally
        {
            try
            {
                await GroupReplicationLab.StartAsync(CancellationToken.None);   // member 1 rejoins and is elected again
                Console.WriteLine("  gr set: member 1 rejoined and was elected again (left healthy).");
            }
            catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or DirectoryNotFoundException)
            {
                Console.Error.WriteLine($"  gr set: could not bring it back at the end: {ex.Message}");
            }
        }

        return (lines, completed);
    }

    private static async Task<List<string>> LostOrderAsync(GroupReplicationLab lab, int pairs, int concurrency, TimeSpan held, TimeSpan released, CancellationToken cancellationToken)
    {
        var config = lab.Config;
        await OrderStory.CreateOrdersTableAsync(config.ConnectionString(config.PrimaryEndpoint), cancellationToken);
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"The lost order on the group: {pairs} pairs per mode, {concurrency} users; each secondary's applier is held by a global read lock {held.TotalMilliseconds:0} ms, then applies {released.TotalMilliseconds:0} ms (out of phase)."));
        Console.WriteLine($"{"mode",-20} {"pairs",6} {"stale",6} {"replica share",13} {"read p50 ms",11} {"read p99 ms",11} {"locks",6}  reads by routing reason");
        Console.WriteLine(new string('-', 120));
        var lines = new List<string>();
        foreach (var mode in OrderStory.Modes)
        {
            var builder = new ReplicaRoutingDataSourceBuilder()
                .UsePrimary(config.ConnectionString(config.PrimaryEndpoint))
                .Configure(o => OrderStory.ConfigureMode(o, mode));
            foreach (var member in config.ReplicaEndpoints)
                builder.AddReplica(config.ConnectionString(member));
            await using var dataSource = builder.Build();
            await dataSource.RefreshTopologyAsync(cancellationToken);

            using var delaying = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var delays = lab.DelayAppliersAsync(held, released, delaying.Token);
            OrderStoryResult result;
            try
            {
                result = await OrderStory.RunAsync(dataSource, new OrderStoryOptions { Pairs = pairs, Concurrency = concurrency, UseToken = true }, cancellationToken);
            }
            finally
            {
                await delaying.CancelAsync();
            }

            var locks = await delays;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{mode,-20} {result.Pairs,6} {result.Stale,6} {result.ReplicaShare,13:F2} {result.ReadP50Milliseconds,11:F2} {result.ReadP99Milliseconds,11:F2} {locks,6}  {OrderStoryResult.Describe(result.ReadReasons)}"));
            lines.Add(result.ToResultLine("mysql-gr", mode));
        }

        return lines;
    }
}
