// The demo, run by ./build.sh demo (which starts the local topologies first; RR_* variables point it elsewhere).
//   Part 1: a small workload on each topology, printing which server answered each statement and why; then the topology
//           as the monitor sees it, and the audit of the servers against the operational checklist.
//   Part 2: the "lost order" story under REAL injected lag, in three modes, counting the orders users could not see.
//   Part 3: the same story through the sample shop (ASP.NET Core + EF Core) on real Kestrel, with browser-like HttpClients
//           carrying the token in a cookie, and a second service reading the order with the token propagated in a header.
//   Part 4: the token handed from the web request to a background job through a queue row: the shop queues a confirmation
//           job per order holding the request's token, a worker instance restores it and reads the order; with and without it.
//   Part 5: a real failover under load on the disposable failover set: the primary is killed, a replica promoted by SQL;
//           measures detection, recovery, failed reads and lost acknowledged writes (FailoverChecker).
//   Part 6: MySQL Group Replication (the gr set): the lost order with the secondaries' appliers delayed, and a failover the
//           group does by itself (GroupReplicationPart); --gr-only runs it alone.
// --compare-topologies N: only the same write->read pair N times on MySQL async replicas (shared set), semi-sync replicas
//           (failover set) and Group Replication (gr set), with plain MySqlConnector; prints COMPARE lines (docs/clusters.md).
// Arguments: --pairs N (write→read pairs per mode, default 2000), --web-pairs N (orders per web mode, default 500),
//            --jobs N (orders, hence jobs, per worker scenario, default 300), --concurrency N (simulated users, default 16),
//            --failover-runs N (failover runs per flavor, default 1), --worker-only (part 4 alone), --failover-only (part 5 alone).
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Dapper;
using ReplicaRouting;
using ReplicaRouting.ConsistencyChecker;

var pairs = 2000;
var webPairs = 500;
var jobs = 300;
var concurrency = 16;
var failoverRuns = 1;
var failoverOnly = false;
var groupReplicationOnly = false;
var compareSamples = 0;
var workerOnly = false;
for (var i = 0; i < args.Length; i++)
{
    if (args[i] == "--")
        continue;   // ./build.sh demo -- --pairs 300 passes the separator through
    if (args[i] == "--failover-only")
    {
        failoverOnly = true;
        continue;
    }

    if (args[i] == "--gr-only")
    {
        groupReplicationOnly = true;
        continue;
    }

    if (args[i] == "--compare-topologies" && i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var samples) && samples > 0)
    {
        compareSamples = samples;
        i++;
        continue;
    }

    if (args[i] == "--worker-only")
    {
        workerOnly = true;
        continue;
    }

    if (args[i] is "--pairs" or "--web-pairs" or "--jobs" or "--concurrency" or "--failover-runs" && i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var value) && value > 0)
    {
        if (args[i] == "--pairs")
            pairs = value;
        else if (args[i] == "--web-pairs")
            webPairs = value;
        else if (args[i] == "--jobs")
            jobs = value;
        else if (args[i] == "--failover-runs")
            failoverRuns = value;
        else
            concurrency = Math.Min(value, OrderStoryOptions.MaxConcurrency);
        i++;
        continue;
    }

    Console.Error.WriteLine($"Unexpected argument '{args[i]}'. Usage: RoutingDemo [--pairs N] [--web-pairs N] [--jobs N] [--concurrency N] [--failover-runs N] [--worker-only] [--failover-only] [--gr-only] [--compare-topologies N]");
    return 2;
}

// Lag windows: the apply thread of each replica is stopped, then runs, in turn; the replicas are out of phase. The stopped
// window stays below the 1 s causal wait cap, so a GTID wait can always succeed on a replica.
var stoppedWindow = TimeSpan.FromMilliseconds(300);
var runningWindow = TimeSpan.FromMilliseconds(150);

// Ctrl+C or SIGTERM ends the run cleanly: the lag injector restarts the replicas' apply threads before the demo exits.
using var interrupted = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    interrupted.Cancel();
};
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    interrupted.Cancel();
});

var clock = Stopwatch.StartNew();
var flavors = (Env("RR_FLAVORS") ?? "mariadb,mysql").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
var topologies = flavors.Select(TopologyConfig.Load).ToArray();

var resultLines = new List<string>();
if (compareSamples > 0)
{
    (string Name, Func<TopologyConfig> Config)[] compared =
    [
        ("async", () => TopologyConfig.Load(TopologyConfig.MySql)),
        ("semi-sync", () => TopologyConfig.LoadFailoverSet(TopologyConfig.MySql)),
        ("group", () => TopologyConfig.LoadClusterSet(GroupReplicationLab.Set, TopologyConfig.MySql)),
    ];
    foreach (var (name, config) in compared)
    {
        TopologyComparison.ReadMode[] modes = name == "group"
            ? [TopologyComparison.ReadMode.NoWait, TopologyComparison.ReadMode.GtidWait, TopologyComparison.ReadMode.GroupBefore, TopologyComparison.ReadMode.GroupAfter]
            : [TopologyComparison.ReadMode.NoWait, TopologyComparison.ReadMode.GtidWait];
        foreach (var mode in modes)
        {
            try
            {
                Console.WriteLine(await TopologyComparison.RunAsync(name, config(), compareSamples, mode, interrupted.Token));
            }
            catch (Exception ex) when (ex is InvalidOperationException or MySqlConnector.MySqlException)
            {
                Console.Error.WriteLine($"COMPARE topology={name} read={mode} MISSING: {ex.Message}");
            }
        }
    }

    return 0;
}

if (groupReplicationOnly)
{
    var (groupLines, groupCompleted) = await GroupReplicationPart.RunAsync(pairs, concurrency, stoppedWindow, runningWindow, interrupted.Token);
    Console.WriteLine();
    foreach (var line in groupLines)
        Console.WriteLine(line);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Demo (Group Replication only) finished in {clock.Elapsed.TotalSeconds:F1} s."));
    return groupCompleted ? 0 : 1;
}

if (failoverOnly)
{
    var (failoverLines, failoverCompleted) = await RunFailoverPartAsync(flavors, failoverRuns, interrupted.Token);
    if (failoverLines is null)
        return 130;
    Console.WriteLine();
    foreach (var line in failoverLines)
        Console.WriteLine(line);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Demo (failover only) finished in {clock.Elapsed.TotalSeconds:F1} s."));
    return failoverCompleted ? 0 : 1;
}

if (workerOnly)
{
    var keys = Directory.CreateTempSubdirectory("rr-demo-keys-");
    try
    {
        resultLines.AddRange(await RunWorkerPartAsync(topologies, keys, jobs, concurrency, stoppedWindow, runningWindow, interrupted.Token));
    }
    catch (OperationCanceledException) when (interrupted.IsCancellationRequested)
    {
        Console.Error.WriteLine("Interrupted; the replicas' apply threads were restarted.");
        return 130;
    }
    finally
    {
        keys.Delete(recursive: true);
    }

    Console.WriteLine();
    foreach (var line in resultLines)
        Console.WriteLine(line);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Demo (worker only) finished in {clock.Elapsed.TotalSeconds:F1} s."));
    return 0;
}

Console.WriteLine("Part 1: where each statement runs (consistency: Eventual, a plain read/write split)");
foreach (var topology in topologies)
    await ShowRoutingAsync(topology);

Console.WriteLine();
Console.WriteLine($"Part 2: the lost order. {concurrency} users each place an order (one request), then read it back at once (the next");
Console.WriteLine("request, after a redirect; only the consistency token travels between them). A read that cannot find the order is STALE.");
Console.WriteLine($"Lag is real: each replica's apply thread is stopped {stoppedWindow.TotalMilliseconds:0} ms, then runs {runningWindow.TotalMilliseconds:0} ms, replicas out of phase.");

// Part 3's two services share one Data Protection key ring, so the partner accepts the shop's protected token.
var keyRing = Directory.CreateTempSubdirectory("rr-demo-keys-");
try
{
    foreach (var topology in topologies)
        resultLines.AddRange(await RunStoryAsync(topology, pairs, concurrency, stoppedWindow, runningWindow, interrupted.Token));

    Console.WriteLine();
    Console.WriteLine($"Part 3: the lost order through the sample shop (ASP.NET Core + EF Core, real Kestrel on 127.0.0.1). {concurrency} users, each");
    Console.WriteLine("a browser-like HttpClient with its own cookie jar: POST /orders, follow the 302 to the order page (a 404 \"No such order\"");
    Console.WriteLine("is STALE; read p50/p99 time that GET), then GET /orders/{id}/partner: the shop asks a second service (same database, same");
    Console.WriteLine("key ring) with the token propagated in a header; \"-partner\" rows count the times that service could not see the order.");
    Console.WriteLine("Same lag windows as part 2.");
    foreach (var topology in topologies)
        resultLines.AddRange(await WebStory.RunAsync(topology, keyRing, webPairs, concurrency, stoppedWindow, runningWindow, interrupted.Token));

    resultLines.AddRange(await RunWorkerPartAsync(topologies, keyRing, jobs, concurrency, stoppedWindow, runningWindow, interrupted.Token));
}
catch (OperationCanceledException) when (interrupted.IsCancellationRequested)
{
    Console.Error.WriteLine("Interrupted; the replicas' apply threads were restarted.");
    return 130;
}
finally
{
    try
    {
        keyRing.Delete(recursive: true);
    }
    catch (IOException)
    {
        // A temporary directory left behind is not worth failing the demo for.
    }
}

var (failoverResultLines, failoverDone) = await RunFailoverPartAsync(flavors, failoverRuns, interrupted.Token);
if (failoverResultLines is null)
    return 130;
resultLines.AddRange(failoverResultLines);
var (groupResultLines, groupDone) = await GroupReplicationPart.RunAsync(pairs, concurrency, stoppedWindow, runningWindow, interrupted.Token);
resultLines.AddRange(groupResultLines);
failoverDone &= groupDone;

Console.WriteLine();
foreach (var line in resultLines)
    Console.WriteLine(line);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Demo finished in {clock.Elapsed.TotalSeconds:F1} s."));
return failoverDone ? 0 : 1;

static async Task<List<string>> RunWorkerPartAsync(
    TopologyConfig[] topologies, DirectoryInfo keyRing, int jobs, int users, TimeSpan stopped, TimeSpan running, CancellationToken cancellationToken)
{
    Console.WriteLine();
    Console.WriteLine($"Part 4: the token handed to a background job. {users} users place orders through the shop; each request queues a");
    Console.WriteLine("confirmation job in a table row holding its consistency token. A worker (a second shop instance with its own data source,");
    Console.WriteLine("as a separate process would have) takes the rows from the primary, restores each token (RunInSessionAsync) and reads the");
    Console.WriteLine("order: a job that cannot find it is STALE. Then the same with requests that hand on no token. Delay: queued → read.");
    Console.WriteLine("Same lag windows as part 2.");
    var lines = new List<string>();
    foreach (var topology in topologies)
        lines.AddRange(await WorkerStory.RunAsync(topology, keyRing, jobs, users, stopped, running, cancellationToken));
    return lines;
}

// Part 5; null lines when interrupted (the failover set is rebuilt all the same).
static async Task<(List<string>? Lines, bool Completed)> RunFailoverPartAsync(string[] flavors, int runs, CancellationToken cancellationToken)
{
    try
    {
        return await FailoverPart.RunAsync(flavors, runs, cancellationToken);
    }
    catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
    {
        Console.Error.WriteLine("Interrupted; the failover set was rebuilt.");
        return (null, false);
    }
}

static async Task ShowRoutingAsync(TopologyConfig topology)
{
    var builder = new ReplicaRoutingDataSourceBuilder()
        .UsePrimary(topology.ConnectionString(topology.PrimaryEndpoint))
        .Configure(o => o.Consistency = ReadConsistency.Eventual);
    foreach (var replica in topology.ReplicaEndpoints)
        builder.AddReplica(topology.ConnectionString(replica));
    await using var dataSource = builder.Build();

    Console.WriteLine();
    Console.WriteLine($"== {topology.Flavor}: primary {topology.PrimaryEndpoint}, replicas {string.Join(", ", topology.ReplicaEndpoints)}");
    Console.WriteLine($"{"statement",-62} {"answered by",-26} reason");
    Console.WriteLine(new string('-', 110));

    await using var connection = await dataSource.OpenConnectionAsync();
    await Show(connection, "CREATE TABLE IF NOT EXISTS demo_orders (id BIGINT AUTO_INCREMENT PRIMARY KEY, item VARCHAR(50))");
    await Show(connection, "INSERT INTO demo_orders (item) VALUES ('coffee')");
    await Show(connection, "SELECT COUNT(*) FROM demo_orders");
    await Show(connection, "SELECT COUNT(*) FROM demo_orders");
    await Show(connection, "SELECT id FROM demo_orders ORDER BY id DESC LIMIT 1 FOR UPDATE");
    await Show(connection, "-- ReplicaRouting:ReadFromPrimary\nSELECT COUNT(*) FROM demo_orders");
    await Show(connection, "SELECT LAST_INSERT_ID()");

    // Session state pins a logical connection to the primary until it closes; a read-only transaction may use a replica.
    await using var pinned = await dataSource.OpenConnectionAsync();
    await Show(pinned, "CREATE TEMPORARY TABLE demo_scratch (v INT)");
    await Show(pinned, "SELECT COUNT(*) FROM demo_scratch");
    await using var readOnly = await dataSource.OpenConnectionAsync();
    await Show(readOnly, "START TRANSACTION READ ONLY");
    await Show(readOnly, "SELECT COUNT(*) FROM demo_orders");
    await Show(readOnly, "COMMIT");

    Console.WriteLine();
    Console.WriteLine($"Topology as the monitor sees it: {await dataSource.RefreshTopologyAsync()}");
    var findings = await dataSource.AuditTopologyAsync();
    Console.WriteLine(findings.Count == 0
        ? "Audit against the operational checklist: nothing to report."
        : $"Audit against the operational checklist ({findings.Count} finding(s), most severe first):");
    foreach (var finding in findings)
        Console.WriteLine($"  {finding.Severity,-8} {(finding.Node.Length == 0 ? "cluster" : finding.Node),-16} {finding.Check,-22} {finding.Message}");
}

static async Task Show(ReplicaRoutingConnection connection, string sql)
{
    await connection.ExecuteAsync(sql);
    var decision = connection.LastRoutingDecision!.Value;
    var shown = sql.Replace('\n', ' ');
    shown = shown.Length > 60 ? shown[..59] + "…" : shown;
    Console.WriteLine($"{shown,-62} {decision.Target.ToString().ToLowerInvariant() + " " + decision.Node,-26} {decision.Reason}");
}

static async Task<IEnumerable<string>> RunStoryAsync(
    TopologyConfig topology, int pairs, int concurrency, TimeSpan stopped, TimeSpan running, CancellationToken cancellationToken)
{
    await OrderStory.CreateOrdersTableAsync(topology.ConnectionString(topology.PrimaryEndpoint), cancellationToken);
    var injector = new LagInjector(topology.Flavor, topology.ReplicaEndpoints.Select(topology.AdminConnectionString));

    Console.WriteLine();
    Console.WriteLine($"== {topology.Flavor}: {pairs} pairs per mode, {concurrency} users");
    Console.WriteLine($"{"mode",-20} {"pairs",6} {"stale",6} {"replica share",13} {"read p50 ms",11} {"read p99 ms",11} {"run s",6} {"stops",6}  reads by routing reason");
    Console.WriteLine(new string('-', 130));

    var results = new List<(string Mode, OrderStoryResult Result)>();
    foreach (var mode in OrderStory.Modes)
    {
        var builder = new ReplicaRoutingDataSourceBuilder()
            .UsePrimary(topology.ConnectionString(topology.PrimaryEndpoint))
            .Configure(o => OrderStory.ConfigureMode(o, mode));
        foreach (var replica in topology.ReplicaEndpoints)
            builder.AddReplica(topology.ConnectionString(replica));
        await using var dataSource = builder.Build();

        // Lag runs for exactly as long as the story does; the injector restarts the apply threads and waits for catch-up.
        var (result, report) = await Lagged.RunAsync(
            injector, stopped, running,
            token => OrderStory.RunAsync(dataSource, new OrderStoryOptions { Pairs = pairs, Concurrency = concurrency, UseToken = true }, token),
            cancellationToken);
        results.Add((mode, result));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{mode,-20} {result.Pairs,6} {result.Stale,6} {result.ReplicaShare,13:F2} {result.ReadP50Milliseconds,11:F2} {result.ReadP99Milliseconds,11:F2} " +
            $"{result.Elapsed.TotalSeconds,6:F1} {report.Stops,6}  {OrderStoryResult.Describe(result.ReadReasons)}"));
        if (result.Stale > 0)
            Console.WriteLine($"{"",20}   stale reads by routing reason: {OrderStoryResult.Describe(result.StaleReasons)}");
    }

    Console.WriteLine(Verdict(results));
    return results.Select(r => r.Result.ToResultLine(topology.Flavor, r.Mode));
}

// Says what the numbers show; nothing here is assumed.
static string Verdict(List<(string Mode, OrderStoryResult Result)> results)
{
    var byMode = results.ToDictionary(r => r.Mode, r => r.Result);
    var eventual = byMode["eventual"];
    var sticky = byMode["primary-after-write"];
    var gtid = byMode["wait-for-gtid"];
    var lines = new List<string>
    {
        eventual.Stale > 0
            ? $"-> eventual: {eventual.Stale} of {eventual.Pairs} users could not see the order they had just placed."
            : $"-> eventual: no stale read this time (unexpected under injected lag).",
        sticky.Stale == 0 && gtid.Stale == 0
            ? "-> read-your-writes: no stale read in either mode."
            : $"-> read-your-writes: UNEXPECTED stale reads (primary-after-write {sticky.Stale}, wait-for-gtid {gtid.Stale}).",
        string.Create(CultureInfo.InvariantCulture,
            $"-> replicas served {gtid.ReplicaShare:P0} of the reads with wait-for-gtid, {sticky.ReplicaShare:P0} with primary-after-write."),
    };
    return string.Join(Environment.NewLine, lines);
}

static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;
