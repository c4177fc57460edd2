using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Dapper;
using MySqlConnector;

namespace ReplicaRouting.ConsistencyChecker;

/// <summary>How <see cref="FailoverChecker.RunAsync"/> loads and paces the scenario.</summary>
public sealed record FailoverCheckerOptions
{
    /// <summary>Writer tasks, each inserting rows one after another and recording every acknowledged one.</summary>
    public int Writers { get; init; } = 4;

    /// <summary>Reader tasks, each reading a table of known content over and over.</summary>
    public int Readers { get; init; } = 4;

    /// <summary>Each reader's and writer's pause between two operations (think time; also keeps two cores from drowning).</summary>
    public TimeSpan Pause { get; init; } = TimeSpan.FromMilliseconds(2);

    /// <summary>Load before the kill.</summary>
    public TimeSpan WarmUp { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long the "operator" leaves the cluster without a primary once the data source has noticed, before promoting.</summary>
    public TimeSpan Outage { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Load after the first write acknowledged by the new primary.</summary>
    public TimeSpan AfterRecovery { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Further options of the data source (the monitor is always on; everything else stays at its default unless set here).</summary>
    public Action<ReplicaRoutingOptions>? Configure { get; init; }

    /// <summary>Where progress lines go, or <see langword="null"/> for none.</summary>
    public TextWriter? Log { get; init; }
}

/// <summary>What one run of <see cref="FailoverChecker.RunAsync"/> measured. Nothing here is estimated.</summary>
/// <param name="Flavor"><c>mariadb</c> or <c>mysql</c>.</param>
/// <param name="DetectMilliseconds">
/// From the start of the kill command until the data source knew there was no primary: its snapshot showed none, or a write
/// failed fast with <see cref="PrimaryUnavailableException"/>, whichever came first. An upper bound: it includes the time the
/// kill command took to deliver SIGKILL (<c>KillCommandMilliseconds</c> is the whole command).
/// </param>
/// <param name="RecoverMilliseconds">From the promotion SQL completing until the first write acknowledged through the data source.</param>
/// <param name="FailedReads">Reads that threw, over the whole run.</param>
/// <param name="LostAckedWrites">Acknowledged inserts missing on the new primary afterwards.</param>
/// <param name="WritesToReadOnly">
/// Acknowledged inserts that a read-only node took (<c>@@read_only</c> was on where the row was written) or that a node took
/// which was neither the primary before the kill nor the promoted one.
/// </param>
/// <param name="ReadOnlyErrors">Writes refused by a node as read-only (1290/1792/1836): sent to a node that was not writable.</param>
public sealed record FailoverResult(
    string Flavor,
    double DetectMilliseconds,
    double RecoverMilliseconds,
    int FailedReads,
    int LostAckedWrites,
    int WritesToReadOnly,
    int ReadOnlyErrors)
{
    /// <summary>Gets when the snapshot showed no primary, in ms after the kill command started (null: never seen).</summary>
    public double? DetectBySnapshotMilliseconds { get; init; }

    /// <summary>Gets when a write first failed with <see cref="PrimaryUnavailableException"/>, in ms after the kill command started (null: none).</summary>
    public double? DetectByWriteMilliseconds { get; init; }

    /// <summary>Gets when the snapshot first showed a primary again, in ms after the promotion SQL completed (null: never seen).</summary>
    public double? NewPrimarySeenMilliseconds { get; init; }

    /// <summary>Gets how long the kill command took (script start to port closed).</summary>
    public double KillCommandMilliseconds { get; init; }

    /// <summary>Gets the node promoted (2 or 3).</summary>
    public int PromotedNode { get; init; }

    /// <summary>Gets all reads, and how many returned wrong data (must be 0).</summary>
    public int Reads { get; init; }

    /// <summary>Gets reads that returned a wrong answer (must be 0).</summary>
    public int WrongReads { get; init; }

    /// <summary>Gets reads a replica answered while the data source knew of no primary.</summary>
    public int ReplicaReadsWithoutPrimary { get; init; }

    /// <summary>Gets writes acknowledged.</summary>
    public int AckedWrites { get; init; }

    /// <summary>Gets failed writes by exception type.</summary>
    public IReadOnlyDictionary<string, int> FailedWrites { get; init; } = new Dictionary<string, int>();

    /// <summary>Gets the first message seen per exception type of failed reads and writes ("read " + type for reads).</summary>
    public IReadOnlyDictionary<string, string> FirstErrors { get; init; } = new Dictionary<string, string>();

    /// <summary>The machine-readable line.</summary>
    /// <returns><c>RESULT flavor=… scenario=failover detect_ms=… recover_ms=… failed_reads=… lost_acked_writes=… writes_to_read_only=… read_only_errors=…</c>.</returns>
    public string ToResultLine() => string.Create(CultureInfo.InvariantCulture,
        $"RESULT flavor={Flavor} scenario=failover detect_ms={DetectMilliseconds:F0} recover_ms={RecoverMilliseconds:F0} failed_reads={FailedReads} " +
        $"lost_acked_writes={LostAckedWrites} writes_to_read_only={WritesToReadOnly} read_only_errors={ReadOnlyErrors}");

    /// <summary>The details behind the result line, for people.</summary>
    /// <returns>One line.</returns>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"detect by snapshot {Ms(DetectBySnapshotMilliseconds)}, by a failed write {Ms(DetectByWriteMilliseconds)} (kill command {KillCommandMilliseconds:F0} ms); " +
        $"node {PromotedNode} promoted, seen as the primary after {Ms(NewPrimarySeenMilliseconds)}; reads {Reads} (failed {FailedReads}, wrong {WrongReads}, {ReplicaReadsWithoutPrimary} served by replicas while no primary was known); " +
        $"writes acknowledged {AckedWrites}, failed: {(FailedWrites.Count == 0 ? "none" : string.Join(", ", FailedWrites.Select(f => $"{f.Key} {f.Value}")))}" +
        $"{string.Concat(FirstErrors.Where(e => e.Key != nameof(PrimaryUnavailableException)).Select(e => $"; first {e.Key}: {e.Value}"))}");

    private static string Ms(double? value) => value is { } ms ? ms.ToString("F0", CultureInfo.InvariantCulture) + " ms" : "never";
}

/// <summary>
/// The failover scenario under load, on the failover set of <c>servers.sh</c> (rebuilt first): writers and readers run through
/// ONE <see cref="ReplicaRoutingDataSource"/> (topology monitor on, default interval); the primary (node 1) is killed with
/// SIGKILL; once the data source has noticed, the most advanced replica is promoted by SQL and the other one repointed to it.
/// Measures how fast the data source noticed, how fast writes came back after the promotion, and what went wrong on the way.
/// </summary>
/// <remarks>Leaves the failover set failed over (node 1 dead): reset it afterwards (<see cref="FailoverLab.ResetAsync"/>).</remarks>
public static class FailoverChecker
{
    /// <summary>Rows of the table readers read; every answer must count exactly this many.</summary>
    public const int SeedRows = 100;

    private static readonly TimeSpan HangDetector = TimeSpan.FromSeconds(30);

    /// <summary>Runs the scenario once on <paramref name="flavor"/>'s failover set.</summary>
    /// <param name="flavor"><c>mariadb</c> or <c>mysql</c>.</param>
    /// <param name="options">Load and pacing; defaults when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Abandons the run (the set is then in no known state).</param>
    /// <returns>What was measured.</returns>
    /// <exception cref="TimeoutException">A step did not happen within 30 s (the monitor never noticed, writes never came back...).</exception>
    public static async Task<FailoverResult> RunAsync(string flavor, FailoverCheckerOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new FailoverCheckerOptions();
        var log = options.Log ?? TextWriter.Null;
        var lab = FailoverLab.Create(flavor);
        var config = lab.Config;

        var clock = Stopwatch.StartNew();
        await FailoverLab.ResetAsync(flavor, cancellationToken);
        await lab.AdminScalarAsync(1,
            "CREATE TABLE failover_orders (id BIGINT PRIMARY KEY, writer INT NOT NULL, written_by BIGINT NOT NULL, read_only_at_write BIGINT NOT NULL) ENGINE=InnoDB; " +
            "CREATE TABLE failover_seed (id INT PRIMARY KEY, name VARCHAR(50) NOT NULL) ENGINE=InnoDB; " +
            "INSERT INTO failover_seed (id, name) VALUES " + string.Join(",", Enumerable.Range(1, SeedRows).Select(i => string.Create(CultureInfo.InvariantCulture, $"({i}, 'seed-{i}')"))),
            cancellationToken);
        await lab.WaitForReplicasAsync(1, [2, 3], cancellationToken);
        var replicaIds = new[] { await lab.ServerIdAsync(2, cancellationToken), await lab.ServerIdAsync(3, cancellationToken) };
        log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {flavor}: failover set rebuilt in {clock.Elapsed.TotalSeconds:F1} s ({string.Join(", ", config.Nodes)}, node 1 primary)"));

        var builder = new ReplicaRoutingDataSourceBuilder().UsePrimary(config.ConnectionString(config.Nodes[0]));
        foreach (var replica in config.Nodes.Skip(1))
            builder.AddReplica(config.ConnectionString(replica));
        await using var dataSource = builder.Configure(o =>
        {
            options.Configure?.Invoke(o);
            o.TopologyMonitor = true;
        }).Build();
        await using (await dataSource.OpenConnectionAsync(cancellationToken))
        {
            // opening starts the monitor
        }

        await WaitAsync(() => dataSource.Topology is { Primary.Endpoint: var p } t && p == config.Nodes[0]
            && t.Nodes.Skip(1).All(n => n is { Role: NodeRole.Replica, State: NodeState.Healthy }), "the monitor to see the set as built", cancellationToken);

        var load = new Load(dataSource, options, replicaIds);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var tasks = Enumerable.Range(1, options.Writers).Select(w => Task.Run(() => load.WriteAsync(w, stop.Token), CancellationToken.None))
            .Concat(Enumerable.Range(1, options.Readers).Select(_ => Task.Run(() => load.ReadAsync(stop.Token), CancellationToken.None)))
            .ToList();
        try
        {
            await Task.Delay(options.WarmUp, cancellationToken);

            // The kill, and the data source noticing it (its snapshot, or a write refused at once).
            long? snapshotSawNoPrimaryAt = null;
            long? snapshotSawNewPrimaryAt = null;
            string? newPrimarySnapshot = null;
            using var watching = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var watcher = Task.Run(async () =>
            {
                while (!watching.IsCancellationRequested && dataSource.Topology.Primary is not null)
                    await Task.Delay(1, CancellationToken.None);
                if (dataSource.Topology.Primary is null)
                    snapshotSawNoPrimaryAt = Stopwatch.GetTimestamp();
                while (!watching.IsCancellationRequested && dataSource.Topology.Primary is null)
                    await Task.Delay(1, CancellationToken.None);
                if (dataSource.Topology.Primary is not null)
                {
                    snapshotSawNewPrimaryAt = Stopwatch.GetTimestamp();
                    newPrimarySnapshot = Describe(dataSource.Topology);
                }
            }, CancellationToken.None);

            var killAt = Stopwatch.GetTimestamp();
            load.KillAt = killAt;
            await lab.KillAsync(1, cancellationToken);
            var killCommand = Stopwatch.GetElapsedTime(killAt);
            await WaitAsync(() => snapshotSawNoPrimaryAt is not null || load.FirstPrimaryUnavailableAt is not null, "the data source to notice the dead primary", cancellationToken);
            var detectAt = Math.Min(snapshotSawNoPrimaryAt ?? long.MaxValue, load.FirstPrimaryUnavailableAt ?? long.MaxValue);
            var detect = Elapsed(killAt, detectAt);
            await WaitAsync(() => snapshotSawNoPrimaryAt is not null, "the snapshot to show no primary", cancellationToken);
            log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {flavor}: primary killed; the data source noticed after {detect:F0} ms ({Describe(dataSource.Topology)})"));

            // The outage, as long as an operator takes; then the most advanced replica is promoted, the other one repointed.
            await Task.Delay(options.Outage, cancellationToken);
            var promoted = await lab.MostAdvancedReplicaAsync([2, 3], cancellationToken);
            await lab.PromoteAsync(promoted, applyReceived: true, cancellationToken);
            var promotedAt = Stopwatch.GetTimestamp();
            load.PromotedAt = promotedAt;
            // Without the lab's semi-sync OFF/ON switch on the new primary: on MySQL it stalls every statement there for ~0.5 s,
            // the monitor's probe included, which is the lab's doing, not the application's (the primary turns semi-sync on by
            // itself after its first commit). Acknowledged writes of the OLD primary are what semi-sync protects here.
            await lab.RepointAsync(promoted == 2 ? 3 : 2, promoted, switchSemiSyncOn: false, cancellationToken);
            await WaitAsync(() => load.FirstAckAfterPromotionAt is not null, "a write acknowledged by the new primary", cancellationToken);
            var recover = Elapsed(promotedAt, load.FirstAckAfterPromotionAt!.Value);
            await WaitAsync(() => newPrimarySnapshot is not null, "the snapshot to show the new primary", cancellationToken);
            log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {flavor}: node {promoted} promoted; first write acknowledged {recover:F0} ms later; snapshot with the new primary: {newPrimarySnapshot}"));

            await Task.Delay(options.AfterRecovery, cancellationToken);
            await stop.CancelAsync();
            await Task.WhenAll(tasks);
            await watching.CancelAsync();
            await watcher;

            // Every acknowledged insert must be on the new primary, and none may have been taken by a read-only node.
            var promotedEndpoint = lab.Endpoint(promoted);
            var rows = await RowsAsync(config.AdminConnectionString(promotedEndpoint), cancellationToken);
            var acked = load.Acked.ToList();
            var lost = acked.Count(a => !rows.ContainsKey(a.Id));
            var toReadOnly = acked.Count(a => (rows.TryGetValue(a.Id, out var readOnly) && readOnly)
                || (a.Node != config.Nodes[0] && a.Node != promotedEndpoint)
                || (a.Node == config.Nodes[0] && a.StartedAt > killAt + (long)(killCommand.TotalSeconds * Stopwatch.Frequency)));

            return new FailoverResult(flavor, detect, recover, load.FailedReads, lost, toReadOnly, load.ReadOnlyErrors)
            {
                DetectBySnapshotMilliseconds = snapshotSawNoPrimaryAt is { } s ? Elapsed(killAt, s) : null,
                DetectByWriteMilliseconds = load.FirstPrimaryUnavailableAt is { } w ? Elapsed(killAt, w) : null,
                NewPrimarySeenMilliseconds = snapshotSawNewPrimaryAt is { } n ? Elapsed(promotedAt, n) : null,
                KillCommandMilliseconds = killCommand.TotalMilliseconds,
                PromotedNode = promoted,
                Reads = load.Reads,
                WrongReads = load.WrongReads,
                ReplicaReadsWithoutPrimary = load.ReplicaReadsWithoutPrimary,
                AckedWrites = acked.Count,
                FailedWrites = load.FailedWrites.ToDictionary(f => f.Key, f => f.Value),
                FirstErrors = load.FirstErrors.ToDictionary(f => f.Key, f => f.Value),
            };
        }
        finally
        {
            await stop.CancelAsync();
            try
            {
                await Task.WhenAll(tasks);
            }
            catch (OperationCanceledException)
            {
                // stopped
            }
        }
    }

    private static string Describe(TopologySnapshot snapshot) =>
        $"#{snapshot.Generation} primary={snapshot.Primary?.Endpoint ?? "none"}: " +
        string.Join(", ", snapshot.Nodes.Select(n => $"{n.Endpoint} {n.Role}/{n.State}" + (n.LastError is { } error ? $" ({(error.Length > 60 ? error[..59] + "…" : error)})" : "")));

    private static double Elapsed(long from, long to) => (to - from) * 1000.0 / Stopwatch.Frequency;

    /// <summary>Id → whether the row was written while its node was read-only.</summary>
    private static async Task<Dictionary<long, bool>> RowsAsync(string adminConnectionString, CancellationToken cancellationToken)
    {
        await using var connection = new MySqlConnection(adminConnectionString + ";Pooling=false");
        await connection.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<(long Id, long ReadOnly)>(new CommandDefinition(
            "SELECT id, read_only_at_write FROM failover_orders", cancellationToken: cancellationToken));
        return rows.ToDictionary(r => r.Id, r => r.ReadOnly != 0);
    }

    private static async Task WaitAsync(Func<bool> condition, string what, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(HangDetector.TotalSeconds * Stopwatch.Frequency);
        while (!condition())
        {
            if (Stopwatch.GetTimestamp() > deadline)
                throw new TimeoutException($"Waited {HangDetector.TotalSeconds:0} s for {what}; it did not happen.");
            await Task.Delay(1, cancellationToken);
        }
    }

    private sealed record Ack(long Id, long StartedAt, long EndedAt, string Node);

    /// <summary>The writers' and readers' shared record of what happened.</summary>
    private sealed class Load(ReplicaRoutingDataSource dataSource, FailoverCheckerOptions options, long[] replicaIds)
    {
        private const string InsertSql = "INSERT INTO failover_orders (id, writer, written_by, read_only_at_write) VALUES (@id, @writer, @@server_id, @@global.read_only)";
        private const string ReadSql = "SELECT COUNT(*), CAST(@@server_id AS SIGNED) FROM failover_seed";
        private long _firstPrimaryUnavailableAt;
        private long _firstAckAfterPromotionAt;
        private int _reads;
        private int _failedReads;
        private int _wrongReads;
        private int _replicaReadsWithoutPrimary;
        private int _readOnlyErrors;

        public ConcurrentBag<Ack> Acked { get; } = [];

        public ConcurrentDictionary<string, int> FailedWrites { get; } = new();

        public ConcurrentDictionary<string, string> FirstErrors { get; } = new();

        private long _killAt = long.MaxValue;
        private long _promotedAt = long.MaxValue;

        public long KillAt
        {
            get => Interlocked.Read(ref _killAt);
            set => Interlocked.Exchange(ref _killAt, value);
        }

        public long PromotedAt
        {
            get => Interlocked.Read(ref _promotedAt);
            set => Interlocked.Exchange(ref _promotedAt, value);
        }

        public long? FirstPrimaryUnavailableAt => Interlocked.Read(ref _firstPrimaryUnavailableAt) is var at and not 0 ? at : null;

        public long? FirstAckAfterPromotionAt => Interlocked.Read(ref _firstAckAfterPromotionAt) is var at and not 0 ? at : null;

        public int Reads => Volatile.Read(ref _reads);

        public int FailedReads => Volatile.Read(ref _failedReads);

        public int WrongReads => Volatile.Read(ref _wrongReads);

        public int ReplicaReadsWithoutPrimary => Volatile.Read(ref _replicaReadsWithoutPrimary);

        public int ReadOnlyErrors => Volatile.Read(ref _readOnlyErrors);

        public async Task WriteAsync(int writer, CancellationToken stop)
        {
            for (long sequence = 1; !stop.IsCancellationRequested; sequence++)
            {
                var id = (writer * 100_000_000L) + sequence;
                var started = Stopwatch.GetTimestamp();
                try
                {
                    await using var connection = await dataSource.OpenConnectionAsync(CancellationToken.None);
                    await connection.ExecuteAsync(InsertSql, new { id, writer });
                    var ended = Stopwatch.GetTimestamp();
                    Acked.Add(new Ack(id, started, ended, connection.LastRoutingDecision!.Value.Node));
                    if (started > PromotedAt)
                        Interlocked.CompareExchange(ref _firstAckAfterPromotionAt, ended, 0);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    var ended = Stopwatch.GetTimestamp();
                    FailedWrites.AddOrUpdate(ex.GetType().Name, 1, (_, n) => n + 1);
                    FirstErrors.TryAdd(ex.GetType().Name, Summary(ex));
                    if (ex is PrimaryUnavailableException && started > KillAt)
                        Interlocked.CompareExchange(ref _firstPrimaryUnavailableAt, ended, 0);
                    if (ex is MySqlException { Number: 1290 or 1792 or 1836 })
                        Interlocked.Increment(ref _readOnlyErrors);
                }

                await Pause(stop);
            }
        }

        public async Task ReadAsync(CancellationToken stop)
        {
            while (!stop.IsCancellationRequested)
            {
                var started = Stopwatch.GetTimestamp();
                var noPrimary = dataSource.Topology.Primary is null;
                try
                {
                    await using var connection = await dataSource.OpenConnectionAsync(CancellationToken.None);
                    var (count, serverId) = await connection.QuerySingleAsync<(long, long)>(ReadSql);
                    if (count != SeedRows)
                        Interlocked.Increment(ref _wrongReads);
                    else if (noPrimary && dataSource.Topology.Primary is null && replicaIds.Contains(serverId) && started > KillAt)
                        Interlocked.Increment(ref _replicaReadsWithoutPrimary);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    Interlocked.Increment(ref _failedReads);
                    FirstErrors.TryAdd("read " + ex.GetType().Name, Summary(ex));
                }

                Interlocked.Increment(ref _reads);
                await Pause(stop);
            }
        }

        private static string Summary(Exception exception) =>
            exception is MySqlException { Number: > 0 } mysql ? $"error {mysql.Number}: {mysql.Message}"
            : exception.InnerException is { } inner ? $"{exception.Message} ({inner.GetType().Name}: {inner.Message})"
            : exception.Message;

        private async Task Pause(CancellationToken stop)
        {
            try
            {
                await Task.Delay(options.Pause, stop);
            }
            catch (OperationCanceledException)
            {
                // stopping
            }
        }
    }
}
