using System.Diagnostics;
using System.Globalization;
using System.Net;
using Dapper;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using ReplicaRouting.AspNetCore.Internal;
using ReplicaRouting.IntegrationTests.Infrastructure;
using ReplicaRouting.Internal;
using Xunit.Abstractions;

namespace ReplicaRouting.IntegrationTests;

/// <summary>
/// Issue 12, findings 2 and 4: a replayed token must not exhaust the primary. Healthy users write while 40% of the traffic
/// replays one token, with replicas behind (stopped apply threads, a few seconds per phase) or with a position the primary
/// lacks. Phases alternate calm / flood in one run (four of each, so that each p99 is taken over 1,600 writes and a drift
/// of the machine's load hits both alike); the latency figures are printed, never asserted, ending with one
/// <c>FLOOD flavor=… scenario=… p99_ratio=…</c> line to quote: the assertions are the structural bounds (caps never
/// exceeded, one primary check per interval, writes never shed, no token sent back).
/// </summary>
public abstract class TokenFloodTests(TopologyFixture topology, ITestOutputHelper output) : IDisposable
{
    private const string Table = "flood_items";
    private const double HealthyRate = 100;   // writes per second, in every phase
    private const double FloodRate = 70;      // replayed-token reads per second in flood phases: 41% of the traffic
    private const int PhasePairs = 4;         // calm, flood, calm, flood, …: 4 × 4 s × 100/s = 1,600 writes per kind of phase
    private static readonly TimeSpan Phase = TimeSpan.FromSeconds(4);

    // The primary's Application Name, its pool's name in the meter: no other pool of the process may share it (the other
    // flavor's suite runs in parallel), see FloodMeter.
    private readonly string _primaryPool = $"rr-flood-{topology.Flavor}-{Guid.NewGuid():N}";

    private readonly ReplicaControl _replicas = new(topology);
    private readonly RecordingLoggerFactory _log = new();
    private readonly DirectoryInfo _keyRing = TestWebApp.CreateKeyRing();

    public void Dispose()
    {
        _keyRing.Delete(recursive: true);
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task Replayed_tokens_under_lag_stay_within_the_caps_and_writes_are_never_shed()
    {
        await CreateTableAsync();
        const int waitCap = 40, fallbackCap = 4;
        await using var dataSource = CreateDataSource(o =>
        {
            o.MaxConcurrentCausalWaits = waitCap;
            o.MaxConcurrentPrimaryFallbacks = fallbackCap;
        });
        using var meter = NewMeter(dataSource);

        var report = await RunPhasesAsync(dataSource, meter, "lag", async () =>
        {
            // Written while the replicas do not apply: every replica read of this token must wait for it.
            using var session = dataSource.BeginSession();
            await using (var connection = await dataSource.OpenConnectionAsync())
                await connection.ExecuteAsync($"INSERT INTO {Table} (name) VALUES ('token')");
            return session.Token!.ToString();
        });

        Assert.Equal(0, report.WriteFailures);
        Assert.True(report.FloodReads > 0 && report.PeakWaits > 0, "the flood never waited on a replica; the test could not fail");
        Assert.InRange(report.PeakWaits, 0, waitCap);
        Assert.InRange(report.PeakFallbacks, 0, fallbackCap);
        Assert.Equal(report.RefusedReads, report.ShedFallbacks);   // every refusal is counted, none is a write
    }

    [Fact]
    public async Task Replayed_tokens_the_primary_lacks_cost_one_check_per_interval()
    {
        await CreateTableAsync();
        await using var dataSource = CreateDataSource(configure: null);
        using var meter = NewMeter(dataSource);
        var lacking = await PositionThePrimaryLacksAsync();

        var runsBefore = dataSource.Cluster.PrimaryPositionRefresh.Runs;
        var started = Stopwatch.StartNew();
        var report = await RunPhasesAsync(dataSource, meter, "missing-position",
            () => Task.FromResult(new ConsistencyToken(dataSource.ClusterId, lacking, DateTimeOffset.UtcNow).ToString()));
        var checks = dataSource.Cluster.PrimaryPositionRefresh.Runs - runsBefore;
        output.WriteLine($"primary position checks: {checks} in {started.Elapsed.TotalSeconds:0.0} s (interval {RoutingDefaults.RejectedPositionMemory.TotalSeconds} s)");

        Assert.Equal(0, report.WriteFailures);
        Assert.True(report.FloodReads > 0);
        Assert.InRange(checks, 1, 1 + (long)(started.Elapsed / RoutingDefaults.RejectedPositionMemory));
        Assert.Equal(0, report.RefusedReads);
    }

    [Fact]
    public async Task A_replayed_token_the_primary_lacks_is_checked_once_and_no_response_carries_a_token()
    {
        await OrderStory.CreateOrdersTableAsync(topology.Config.AdminConnectionString(topology.Config.PrimaryEndpoint));
        await using var app = await TestWebApp.StartAsync(topology, _keyRing);
        var dataSource = app.Services.GetRequiredService<ReplicaRoutingDataSource>();
        var protector = app.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector(ConsistencyTokenProtector.Purpose).ToTimeLimitedDataProtector();
        var lacking = await PositionThePrimaryLacksAsync();
        var replayed = protector.Protect(new ConsistencyToken(dataSource.ClusterId, lacking, DateTimeOffset.UtcNow).ToString(), DateTimeOffset.UtcNow.AddMinutes(5));
        var positionSql = topology.Flavor == TopologyConfig.MariaDb ? "SELECT @@gtid_binlog_pos" : "SELECT @@global.gtid_executed";
        using var meter = new FloodMeter(dataSource.ClusterId, _primaryPool, (int)TopologyConfig.Split(topology.Config.PrimaryEndpoint).Port, positionSql);

        var started = Stopwatch.StartNew();
        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(async client =>
        {
            using var http = new HttpClient(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = app.BaseAddress };
            var seen = new List<(HttpStatusCode Status, bool SentToken)>();
            for (var i = 0; i < 15; i++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/orders/999999999999", UriKind.Relative));
                if (i % 2 == 0)
                    request.Headers.Add("X-Consistency-Token", replayed);
                else
                    request.Headers.Add("Cookie", "rr-consistency=" + replayed);
                using var response = await http.SendAsync(request);
                seen.Add((response.StatusCode, response.Headers.Contains("X-Consistency-Token") || response.Headers.Contains("Set-Cookie")));
            }

            return seen;
        }));
        var all = responses.SelectMany(r => r).ToList();
        var allowedChecks = 1 + (long)(started.Elapsed / RoutingDefaults.RejectedPositionMemory);
        output.WriteLine($"{all.Count} requests replaying a token the primary lacks: {meter.Statements} reads of the primary's position, " +
            $"{all.Count(r => r.SentToken)} responses with a token, {app.Log.Entries.Count(e => e.EventId is 1205 or 1206)} log lines (1205/1206)");

        Assert.All(all, r => Assert.Equal(HttpStatusCode.NotFound, r.Status));   // answered from a replica without waiting: "missing"
        Assert.DoesNotContain(all, r => r.SentToken);
        Assert.InRange(meter.Statements, 1, allowedChecks);
        Assert.InRange(app.Log.Entries.Count(e => e.EventId is 1205 or 1206), 1, 2 * allowedChecks);
    }

    /// <summary>
    /// Calm, flood, calm, flood, …: the same healthy writers throughout, the replayed token only in flood phases. In the
    /// <c>lag</c> scenario the replicas' apply threads are stopped during every phase.
    /// </summary>
    private async Task<FloodReport> RunPhasesAsync(ReplicaRoutingDataSource dataSource, FloodMeter meter, string scenario, Func<Task<string>> replayedToken)
    {
        var lagged = scenario == "lag";
        await RunPhaseAsync(dataSource, replayedToken: null);   // warm-up: pools, JIT and the servers' caches, unmeasured
        var report = new FloodReport();
        var calm = new List<double>();
        var flood = new List<double>();
        foreach (var flooding in Enumerable.Range(0, 2 * PhasePairs).Select(phase => phase % 2 == 1))
        {
            var pause = lagged ? await _replicas.PauseApplyAsync() : null;
            try
            {
                var token = flooding ? await replayedToken() : null;
                meter.ResetPhase();
                var phase = await RunPhaseAsync(dataSource, token);
                (flooding ? flood : calm).AddRange(phase.WriteLatencies);
                report.Add(phase, meter);
                output.WriteLine($"{(flooding ? "flood" : "calm "),-5} writes {phase.WriteLatencies.Count,4} p50/p99 {Percentile(phase.WriteLatencies, 50),7:0.0}/{Percentile(phase.WriteLatencies, 99),7:0.0} ms | " +
                    $"token reads {phase.FloodReads,4} (refused {phase.RefusedReads}) | peak primary connections in use {meter.Peak("db.client.connections.usage")}, " +
                    $"causal waits {meter.Peak("replicarouting.causal_waits.active")}, primary fallbacks {meter.Peak("replicarouting.primary_fallbacks.active")} | " +
                    $"shed: waits {meter.Total("replicarouting.shed:causal_wait")}, fallbacks {meter.Total("replicarouting.shed:primary_fallback")}");
            }
            finally
            {
                if (pause is not null)
                    await pause.DisposeAsync();
            }
        }

        // The line to quote: the healthy users' writes, every calm phase pooled against every flood phase of this one run.
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"FLOOD flavor={topology.Flavor} scenario={scenario} writes_calm={calm.Count} writes_flood={flood.Count} " +
            $"p50_calm_ms={Percentile(calm, 50):0.0} p50_flood_ms={Percentile(flood, 50):0.0} p99_calm_ms={Percentile(calm, 99):0.0} p99_flood_ms={Percentile(flood, 99):0.0} " +
            $"p99_ratio={Percentile(flood, 99) / Percentile(calm, 99):0.00} bound=1.50"));
        return report;
    }

    /// <summary>Open loop: requests start on schedule whatever the previous ones are doing, so queueing shows in the latencies.</summary>
    private static async Task<PhaseResult> RunPhaseAsync(ReplicaRoutingDataSource dataSource, string? replayedToken)
    {
        var result = new PhaseResult();
        var requests = new List<Task>();
        var clock = Stopwatch.StartNew();
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(10));
        long writes = 0, reads = 0;
        while (clock.Elapsed < Phase && await timer.WaitForNextTickAsync())
        {
            var due = clock.Elapsed.TotalSeconds;
            for (; writes < due * HealthyRate; writes++)
                requests.Add(Task.Run(() => HealthyWriteAsync(dataSource, result)));
            for (; replayedToken is not null && reads < due * FloodRate; reads++)
                requests.Add(Task.Run(() => ReplayedReadAsync(dataSource, replayedToken, result)));
        }

        await Task.WhenAll(requests);
        return result;
    }

    private static async Task HealthyWriteAsync(ReplicaRoutingDataSource dataSource, PhaseResult result)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var session = dataSource.BeginSession();
            await using var connection = await dataSource.OpenConnectionAsync();
            await connection.ExecuteAsync($"INSERT INTO {Table} (name) VALUES ('healthy')");
            await connection.CloseAsync();   // the write's GTID is read here: part of what the user waits for
            lock (result)
                result.WriteLatencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (Exception)
        {
            Interlocked.Increment(ref result.WriteFailures);
        }
    }

    private static async Task ReplayedReadAsync(ReplicaRoutingDataSource dataSource, string token, PhaseResult result)
    {
        Interlocked.Increment(ref result.FloodReads);
        try
        {
            using var session = dataSource.BeginSession(token);
            await using var connection = await dataSource.OpenConnectionAsync();
            await connection.ExecuteScalarAsync<long>($"SELECT COUNT(*) FROM {Table} WHERE id = 1");
        }
        catch (ReplicaRoutingOverloadedException)
        {
            Interlocked.Increment(ref result.RefusedReads);
        }
    }

    private ReplicaRoutingDataSource CreateDataSource(Action<ReplicaRoutingOptions>? configure) =>
        topology.CreateDataSource(
            o =>
            {
                o.Consistency = ReadConsistency.ReadYourWrites;
                o.CausalReadTimeout = TimeSpan.FromSeconds(1);
                configure?.Invoke(o);
            },
            build: b => b.UseLoggerFactory(_log).UsePrimary(topology.Config.ConnectionString(topology.Config.PrimaryEndpoint, $"Application Name={_primaryPool}")));

    /// <summary>Call it before the data source's first connection (the monitor is off, so building opens none).</summary>
    private FloodMeter NewMeter(ReplicaRoutingDataSource dataSource) =>
        new(dataSource.ClusterId, _primaryPool, (int)TopologyConfig.Split(topology.Config.PrimaryEndpoint).Port, "");

    private async Task CreateTableAsync()
    {
        await using var admin = await topology.OpenAdminAsync(topology.Config.PrimaryEndpoint);
        await admin.ExecuteAsync($"CREATE TABLE IF NOT EXISTS {Table} (id BIGINT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(100) NOT NULL) ENGINE=InnoDB");
        await admin.ExecuteAsync($"DELETE FROM {Table} WHERE id > 1000000");   // keep the table small across runs (ids are not reused)
        await topology.WaitForReplicasAsync();
    }

    /// <summary>A position of this primary's own timeline, far ahead of what it has executed (a forged or lost token).</summary>
    private async Task<GtidPosition> PositionThePrimaryLacksAsync()
    {
        var primary = GtidPosition.TryParse(topology.ServerFlavor, await topology.PrimaryPositionAsync(), out var p) ? p : throw new InvalidOperationException();
        var first = primary.ToString().Split(',')[0];
        if (primary is MariaDbGtidPosition)
        {
            var parts = first.Split('-');
            return MariaDbGtidPosition.Parse($"{parts[0]}-{parts[1]}-{ulong.Parse(parts[2], CultureInfo.InvariantCulture) + 1_000_000}");
        }

        var uuid = first[..first.IndexOf(':', StringComparison.Ordinal)];
        var last = ulong.Parse(first[(first.LastIndexOf('-') + 1)..], CultureInfo.InvariantCulture);
        return MySqlGtidSet.Parse($"{uuid}:1-{last + 1_000_000}");
    }

    private static double Percentile(List<double> values, int percentile)
    {
        if (values.Count == 0)
            return double.NaN;
        var sorted = values.Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(percentile / 100.0 * sorted.Count) - 1)];
    }

    private sealed class PhaseResult
    {
        public readonly List<double> WriteLatencies = [];
        public int WriteFailures;
        public int FloodReads;
        public int RefusedReads;
    }

    private sealed class FloodReport
    {
        public int WriteFailures { get; private set; }
        public int FloodReads { get; private set; }
        public int RefusedReads { get; private set; }
        public long PeakWaits { get; private set; }
        public long PeakFallbacks { get; private set; }
        public long ShedFallbacks { get; private set; }

        public void Add(PhaseResult phase, FloodMeter meter)
        {
            WriteFailures += phase.WriteFailures;
            FloodReads += phase.FloodReads;
            RefusedReads += phase.RefusedReads;
            PeakWaits = Math.Max(PeakWaits, meter.Peak("replicarouting.causal_waits.active"));
            PeakFallbacks = Math.Max(PeakFallbacks, meter.Peak("replicarouting.primary_fallbacks.active"));
            ShedFallbacks += meter.Total("replicarouting.shed:primary_fallback");
        }
    }
}

[Collection(TopologyConfig.MariaDb), Trait("Flavor", TopologyConfig.MariaDb)]
public sealed class MariaDbTokenFloodTests(MariaDbTopology topology, ITestOutputHelper output) : TokenFloodTests(topology, output);

[Collection(TopologyConfig.MySql), Trait("Flavor", TopologyConfig.MySql)]
public sealed class MySqlTokenFloodTests(MySqlTopology topology, ITestOutputHelper output) : TokenFloodTests(topology, output);
