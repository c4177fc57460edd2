using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace ReplicaRouting.IntegrationTests.Infrastructure;

/// <summary>
/// Watches one data source from inside the process: the library's load-shedding metrics (filtered by cluster), the
/// MySqlConnector pool of the primary (connections in use, by pool name), and the statements MySqlConnector sent with a
/// given text to the primary's port. Peaks can be reset between phases.
/// </summary>
/// <remarks>
/// MySqlConnector's <c>db.client.connections.usage</c> reports changes, not levels, for every pool of the process that has
/// the same name: the pool must have a name no other pool uses (the other flavor's suite runs in parallel) and the meter
/// must exist before the pool's first connection. A count that goes below zero means either was not so: <see cref="Peak"/>
/// then throws rather than print a meaningless figure (never the callback, which runs inside the pool's own code).
/// </remarks>
public sealed class FloodMeter : IDisposable
{
    private readonly Lock _gate = new();
    private readonly MeterListener _meters = new();
    private readonly ActivityListener _statements;
    private readonly string _cluster;
    private readonly string _poolName;
    private readonly Dictionary<string, long> _current = [];
    private readonly Dictionary<string, long> _peak = [];
    private readonly Dictionary<string, long> _totals = [];
    private long _statementCount;
    private string? _fault;

    /// <param name="cluster">The data source's cluster id (ReplicaRouting metrics carry it).</param>
    /// <param name="poolName">The primary pool's name: MySqlConnector names a pool after its connection string's Application Name.</param>
    /// <param name="primaryPort">The primary's port, for counting statements.</param>
    /// <param name="statementText">The statement text to count (e.g. the primary-position query).</param>
    public FloodMeter(string cluster, string poolName, int primaryPort, string statementText)
    {
        _cluster = cluster;
        _poolName = poolName;
        _meters.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name is "ReplicaRouting" or "MySqlConnector"
                && instrument.Name is "replicarouting.causal_waits.active" or "replicarouting.primary_fallbacks.active" or "replicarouting.shed" or "db.client.connections.usage")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _meters.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Record(instrument.Name, value, tags));
        _meters.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument.Name, value, tags));
        _meters.Start();

        _statements = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "MySqlConnector",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                var text = activity.GetTagItem("db.query.text") ?? activity.GetTagItem("db.statement");
                var port = activity.GetTagItem("server.port") ?? activity.GetTagItem("network.peer.port") ?? activity.GetTagItem("net.peer.port");
                if (text as string == statementText && Convert.ToInt32(port, System.Globalization.CultureInfo.InvariantCulture) == primaryPort)
                    Interlocked.Increment(ref _statementCount);
            },
        };
        ActivitySource.AddActivityListener(_statements);
    }

    /// <summary>Statements of the watched text sent to the primary so far.</summary>
    public long Statements => Interlocked.Read(ref _statementCount);

    public long Peak(string name)
    {
        lock (_gate)
            return _fault is null ? _peak.GetValueOrDefault(name) : throw new InvalidOperationException(_fault);
    }

    public long Total(string name)
    {
        lock (_gate)
            return _totals.GetValueOrDefault(name);
    }

    /// <summary>Peaks restart from the current values; totals restart from zero.</summary>
    public void ResetPhase()
    {
        lock (_gate)
        {
            _peak.Clear();
            foreach (var (name, value) in _current)
                _peak[name] = value;
            _totals.Clear();
        }
    }

    public void Dispose()
    {
        _meters.Dispose();
        _statements.Dispose();
    }

    private void Record(string instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        string? key = null;
        foreach (var (tag, tagValue) in tags)
        {
            if (tag == "replicarouting.cluster" && tagValue as string != _cluster)
                return;
            if (tag == "pool.name" && tagValue as string != _poolName)
                return;
            if (tag == "state" && tagValue as string != "used")
                return;
            if (tag == "replicarouting.kind")
                key = $"{instrument}:{tagValue}";
        }

        key ??= instrument;
        lock (_gate)
        {
            var current = _current[key] = _current.GetValueOrDefault(key) + value;
            if (current < 0)
                _fault ??= $"{key} went below zero: the meter saw a connection returned that it never saw taken (pool '{_poolName}' shared, or in use before the meter started).";

            _peak[key] = Math.Max(_peak.GetValueOrDefault(key), current);
            _totals[key] = _totals.GetValueOrDefault(key) + value;
        }
    }
}
