using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using Dapper;
using MySqlConnector;

namespace ReplicaRouting.ConsistencyChecker;

/// <summary>How <see cref="CausalityCheck.RunAsync"/> loads the data source.</summary>
public sealed record CausalityCheckOptions
{
    /// <summary>Gets how many operations (units of work) run in total, over all users.</summary>
    public int Operations { get; init; } = 10_000;

    /// <summary>Gets how many simulated users run operations at the same time, each with its own history and token.</summary>
    public int Users { get; init; } = 32;

    /// <summary>
    /// Gets how many hot keys the users share: few keys means every user reads keys that others write (so monotonic reads
    /// are tested across users, not only on one's own writes).
    /// </summary>
    public int Keys { get; init; } = 32;

    /// <summary>Gets how many keys each read returns (the key just written, if any, plus random others).</summary>
    public int KeysPerRead { get; init; } = 3;

    /// <summary>Gets the seed of the users' random choices (the same seed gives the same key choices).</summary>
    public int Seed { get; init; } = 14;
}

/// <summary>
/// The consistency checker's engine: many users run units of work against a routed data source and every observation is
/// checked, Elle-style, against what the user had already written and read.
/// </summary>
/// <remarks>
/// <para>
/// The data is a table of hot keys whose version only grows (<c>UPDATE … SET v = v + 1</c>: the primary orders the versions
/// of a key). A user's operation is one unit of work: half of them first write a random key on one connection and learn
/// the version they made (read back on the primary in the same round trip); every operation then reads a few keys on a
/// NEW connection (the key just written and random others, so users read each other's keys). A version below the user's
/// own acknowledged write of that key is a read-your-writes violation; a version below the highest the user already read
/// of that key is a monotonic-read violation.
/// </para>
/// <para>
/// With <see cref="CheckMode.UsesSessions"/>, each operation runs in <see cref="ReplicaRoutingDataSource.BeginSession(string)"/>
/// restored from the previous operation's token text, as a web app carries it in a cookie. Failed operations (a fault
/// interrupted them) are counted as errors; what they did not acknowledge is not part of the history.
/// </para>
/// </remarks>
public static class CausalityCheck
{
    /// <summary>The table the checker writes and reads (in the connection strings' database).</summary>
    public const string TableName = "checker_kv";

    private const string WriteSql = "UPDATE checker_kv SET v = LAST_INSERT_ID(v + 1) WHERE k = @k; SELECT LAST_INSERT_ID()";
    private const string ReadSql = "SELECT k, v FROM checker_kv WHERE k IN @keys";
    private const int KeptViolations = 5;

    /// <summary>
    /// Creates <see cref="TableName"/> with keys <c>0 … keys-1</c> at version 0, on the primary, if missing (existing keys keep
    /// their versions: the check only compares versions it saw in one run). Let the replicas catch up before a run.
    /// </summary>
    /// <param name="primaryConnectionString">A plain connection string to the primary, for a user allowed to create tables.</param>
    /// <param name="keys">How many keys the run uses.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>A task that completes when the table and its keys exist on the primary.</returns>
    public static async Task CreateTableAsync(string primaryConnectionString, int keys, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(keys, 1);
        await using var connection = new MySqlConnection(primaryConnectionString);
        await connection.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "CREATE TABLE IF NOT EXISTS checker_kv (k INT PRIMARY KEY, v BIGINT NOT NULL) ENGINE=InnoDB; " +
            "INSERT IGNORE INTO checker_kv (k, v) VALUES " + string.Join(",", Enumerable.Range(0, keys).Select(k => string.Create(CultureInfo.InvariantCulture, $"({k}, 0)"))),
            cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Runs <see cref="CausalityCheckOptions.Operations"/> operations with <see cref="CausalityCheckOptions.Users"/> concurrent
    /// users on a new data source over <paramref name="topology"/> (node 1 the primary, the others replicas, the topology
    /// monitor on) configured by <paramref name="mode"/>, and checks every read.
    /// </summary>
    /// <param name="topology">The servers; <see cref="TableName"/> must exist (<see cref="CreateTableAsync"/>).</param>
    /// <param name="mode">The mode to run (its options, sessions or not, what it promises).</param>
    /// <param name="options">How much load.</param>
    /// <param name="keepRunningUntil">
    /// When given, the users go on past <see cref="CausalityCheckOptions.Operations"/> until it completes (so that every fault
    /// of a schedule happens while the check runs); <see cref="CausalityCheckResult.Operations"/> counts them all.
    /// </param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <returns>The counts of the run.</returns>
    public static async Task<CausalityCheckResult> RunAsync(
        TopologyConfig topology, CheckMode mode, CausalityCheckOptions options, Task? keepRunningUntil = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(topology);
        ArgumentNullException.ThrowIfNull(mode);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Operations, 1, nameof(options.Operations));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Users, 1, nameof(options.Users));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Keys, 1, nameof(options.Keys));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.KeysPerRead, 1, nameof(options.KeysPerRead));

        // A cluster id of its own: the waits are counted from the library's metrics, which other data sources share.
        var clusterId = "checker-" + Guid.NewGuid().ToString("N")[..12];
        var builder = new ReplicaRoutingDataSourceBuilder().UsePrimary(topology.ConnectionString(topology.PrimaryEndpoint));
        foreach (var replica in topology.ReplicaEndpoints)
            builder.AddReplica(topology.ConnectionString(replica));
        await using var dataSource = builder.Configure(o =>
        {
            mode.Configure(o);
            o.TopologyMonitor = true;
            o.ClusterId = clusterId;
        }).Build();

        var run = new Run(dataSource, mode, options, keepRunningUntil ?? Task.CompletedTask);
        using var waits = CountWaits(clusterId, run);
        var started = Stopwatch.GetTimestamp();
        var users = Enumerable.Range(0, Math.Min(options.Users, options.Operations))
            .Select(user => Task.Run(() => run.UserAsync(user, cancellationToken), CancellationToken.None))
            .ToArray();
        await Task.WhenAll(users);
        return run.Result(Stopwatch.GetElapsedTime(started));
    }

    /// <summary>Counts the GTID waits this data source sent (the library's <c>replicarouting.causal_waits</c>, its cluster only).</summary>
    private static MeterListener CountWaits(string clusterId, Run run)
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == "ReplicaRouting" && instrument.Name == "replicarouting.causal_waits")
                    l.EnableMeasurementEvents(instrument);
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "replicarouting.cluster" && Equals(tag.Value, clusterId))
                    run.AddWaits(value);
            }
        });
        listener.Start();
        return listener;
    }

    /// <summary>The shared record of one run: the operation counter, the counts and the read times.</summary>
    private sealed class Run(ReplicaRoutingDataSource dataSource, CheckMode mode, CausalityCheckOptions options, Task keepRunningUntil)
    {
        private readonly ConcurrentQueue<double> _readMilliseconds = new();
        private readonly ConcurrentQueue<string> _violations = new();
        private readonly ConcurrentDictionary<string, int> _errors = new();
        private readonly ConcurrentDictionary<string, string> _firstErrors = new();
        private int _next = -1;
        private long _operations;
        private long _writes;
        private long _reads;
        private long _primaryReads;
        private long _rywViolations;
        private long _monotonicViolations;
        private long _waits;

        public void AddWaits(long count) => Interlocked.Add(ref _waits, count);

        public async Task UserAsync(int user, CancellationToken cancellationToken)
        {
            var random = new Random(HashCode.Combine(options.Seed, user));
            var history = new History(options.Keys);
            string? token = null;
            while (Interlocked.Increment(ref _next) < options.Operations || !keepRunningUntil.IsCompleted)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var writeKey = random.Next(2) == 0 ? random.Next(options.Keys) : -1;
                var readKeys = ReadKeys(random, writeKey);
                try
                {
                    using var session = mode.UsesSessions ? dataSource.BeginSession(token) : null;
                    try
                    {
                        if (writeKey >= 0)
                        {
                            history.Wrote(writeKey, await WriteAsync(writeKey, cancellationToken));
                            Interlocked.Increment(ref _writes);
                        }

                        await ReadAsync(user, readKeys, history, cancellationToken);
                    }
                    finally
                    {
                        // Also when the read failed: the acknowledged write is history, so its token must travel on.
                        if (session is not null)
                            token = session.Token?.ToString();
                    }

                    Interlocked.Increment(ref _operations);
                }
                catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    // A fault interrupted the operation: what it did not acknowledge is not history. Pause a little so that an
                    // outage does not burn through the operations.
                    var kind = e.GetType().Name;
                    _errors.AddOrUpdate(kind, 1, (_, n) => n + 1);
                    _firstErrors.TryAdd(kind, e is MySqlException { Number: > 0 } m ? $"error {m.Number}: {m.Message}" : e.Message);
                    await Task.Delay(50, cancellationToken);
                }
            }
        }

        private int[] ReadKeys(Random random, int writeKey)
        {
            var keys = new HashSet<int>();
            if (writeKey >= 0)
                keys.Add(writeKey);
            while (keys.Count < Math.Min(options.KeysPerRead, options.Keys))
                keys.Add(random.Next(options.Keys));
            return [.. keys];
        }

        /// <summary>One unit's write, on its own connection: the new version, read back on the primary in the same round trip.</summary>
        private async Task<long> WriteAsync(int key, CancellationToken cancellationToken)
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            var version = await connection.ExecuteScalarAsync<long>(new CommandDefinition(WriteSql, new { k = key }, cancellationToken: cancellationToken));
            if (version <= 0)
                throw new InvalidOperationException($"Writing key {key} returned version {version}: is the checker's table filled?");
            return version;
        }

        /// <summary>One unit's read, on a new connection, timed and checked against the user's history.</summary>
        private async Task ReadAsync(int user, int[] keys, History history, CancellationToken cancellationToken)
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            var started = Stopwatch.GetTimestamp();
            var rows = (await connection.QueryAsync<(int K, long V)>(new CommandDefinition(ReadSql, new { keys }, cancellationToken: cancellationToken))).AsList();
            var elapsed = Stopwatch.GetElapsedTime(started);
            var decision = connection.LastRoutingDecision ?? throw new InvalidOperationException("The read has no routing decision.");
            if (rows.Count != keys.Length)
                throw new InvalidOperationException($"Reading keys {string.Join(",", keys)} returned {rows.Count} rows on {decision.Node}: is the checker's table filled?");

            _readMilliseconds.Enqueue(elapsed.TotalMilliseconds);
            Interlocked.Increment(ref _reads);
            if (decision.Target == RouteTarget.Primary)
                Interlocked.Increment(ref _primaryReads);

            foreach (var (key, version) in rows)
            {
                switch (history.Read(key, version, out var bound))
                {
                    case Observation.OlderThanOwnWrite:
                        Interlocked.Increment(ref _rywViolations);
                        Keep($"read-your-writes: user {user} read key {key} at version {version} below its own write {bound} ({decision})");
                        break;
                    case Observation.OlderThanRead:
                        Interlocked.Increment(ref _monotonicViolations);
                        Keep($"monotonic: user {user} read key {key} at version {version} after reading {bound} ({decision})");
                        break;
                }
            }
        }

        private void Keep(string violation)
        {
            if (_violations.Count < KeptViolations)
                _violations.Enqueue(violation);
        }

        public CausalityCheckResult Result(TimeSpan elapsed)
        {
            var sorted = _readMilliseconds.ToArray();
            Array.Sort(sorted);
            return new CausalityCheckResult(
                mode,
                Interlocked.Read(ref _operations),
                Interlocked.Read(ref _writes),
                Interlocked.Read(ref _reads),
                Interlocked.Read(ref _rywViolations),
                Interlocked.Read(ref _monotonicViolations),
                Interlocked.Read(ref _primaryReads),
                Interlocked.Read(ref _waits),
                ResultLine.Percentile(sorted, 0.50),
                ResultLine.Percentile(sorted, 0.99),
                elapsed)
            {
                Errors = _errors.ToDictionary(e => e.Key, e => e.Value),
                FirstErrors = _firstErrors.ToDictionary(e => e.Key, e => e.Value),
                Violations = [.. _violations],
            };
        }
    }

    private enum Observation
    {
        Fine,
        OlderThanOwnWrite,
        OlderThanRead,
    }

    /// <summary>One user's history: per key, the highest version it wrote and the highest it read. One user runs one operation at a time.</summary>
    private sealed class History(int keys)
    {
        private readonly long[] _written = new long[keys];
        private readonly long[] _read = new long[keys];

        public void Wrote(int key, long version) => _written[key] = Math.Max(_written[key], version);

        /// <summary>Checks a read against the history, then adds it; <paramref name="bound"/> is the version it fell below.</summary>
        public Observation Read(int key, long version, out long bound)
        {
            var observation = Observation.Fine;
            bound = 0;
            if (version < _written[key])
                (observation, bound) = (Observation.OlderThanOwnWrite, _written[key]);
            else if (version < _read[key])
                (observation, bound) = (Observation.OlderThanRead, _read[key]);
            _read[key] = Math.Max(_read[key], version);
            return observation;
        }
    }
}

/// <summary>What one <see cref="CausalityCheck.RunAsync"/> counted. Nothing here is estimated.</summary>
/// <param name="Mode">The mode that ran.</param>
/// <param name="Operations">Operations (units of work) that completed.</param>
/// <param name="Writes">Acknowledged writes.</param>
/// <param name="Reads">Reads checked (each returns several keys).</param>
/// <param name="ReadYourWritesViolations">Key reads older than the user's own acknowledged write of that key.</param>
/// <param name="MonotonicViolations">Key reads older than what the user had already read of that key.</param>
/// <param name="PrimaryReads">Reads the primary answered.</param>
/// <param name="Waits">GTID waits the data source sent to replicas during the run.</param>
/// <param name="ReadP50Milliseconds">The median read time (the read command only, any wait and fallback included).</param>
/// <param name="ReadP99Milliseconds">The 99th percentile read time.</param>
/// <param name="Elapsed">How long the run took.</param>
public sealed record CausalityCheckResult(
    CheckMode Mode,
    long Operations,
    long Writes,
    long Reads,
    long ReadYourWritesViolations,
    long MonotonicViolations,
    long PrimaryReads,
    long Waits,
    double ReadP50Milliseconds,
    double ReadP99Milliseconds,
    TimeSpan Elapsed)
{
    /// <summary>Gets the operations that failed, by exception type (faults interrupt some).</summary>
    public IReadOnlyDictionary<string, int> Errors { get; init; } = new Dictionary<string, int>();

    /// <summary>Gets the first message of each exception type in <see cref="Errors"/>.</summary>
    public IReadOnlyDictionary<string, string> FirstErrors { get; init; } = new Dictionary<string, string>();

    /// <summary>Gets the first few violations, described.</summary>
    public IReadOnlyList<string> Violations { get; init; } = [];

    /// <summary>Gets the share of reads the primary answered, 0 to 1.</summary>
    public double PrimaryShare => Reads == 0 ? 0 : (double)PrimaryReads / Reads;

    /// <summary>Gets whether the mode broke a promise: a violation of what <see cref="Mode"/> promises.</summary>
    public bool BrokePromise =>
        (Mode.PromisesReadYourWrites && ReadYourWritesViolations > 0) || (Mode.PromisesMonotonicReads && MonotonicViolations > 0);

    /// <summary>
    /// Formats <c>RESULT check=consistency flavor=… mode=… faults=… ops=… ryw_violations=… monotonic_violations=… primary_share=…
    /// waits=… p50_ms=… p99_ms=… errors=…</c> (invariant culture).
    /// </summary>
    /// <param name="flavor"><c>mariadb</c> or <c>mysql</c>.</param>
    /// <param name="faults">The faults injected during the run, comma-separated, or <c>none</c>.</param>
    /// <returns>The line, without a line break.</returns>
    public string ToResultLine(string flavor, string faults) => string.Create(
        CultureInfo.InvariantCulture,
        $"RESULT check=consistency flavor={flavor} mode={Mode.Name} faults={faults} ops={Operations} ryw_violations={ReadYourWritesViolations} " +
        $"monotonic_violations={MonotonicViolations} primary_share={PrimaryShare:F2} waits={Waits} p50_ms={ReadP50Milliseconds:F2} " +
        $"p99_ms={ReadP99Milliseconds:F2} errors={Errors.Values.Sum()}");

    /// <inheritdoc/>
    public override string ToString()
    {
        var errors = Errors.Count == 0 ? "none" : string.Join("; ", Errors.Select(e => $"{e.Value} × {e.Key} (first: {FirstErrors[e.Key]})"));
        var summary = string.Create(CultureInfo.InvariantCulture,
            $"{Mode.Name}: {Operations} operations ({Writes} writes, {Reads} reads) in {Elapsed.TotalSeconds:F1} s; errors: {errors}");
        return string.Join(Environment.NewLine + "  ", Violations.Prepend(summary));
    }
}
