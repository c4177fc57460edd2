using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Dapper;
using ReplicaRouting.IntegrationTests.Infrastructure;

namespace ReplicaRouting.IntegrationTests;

/// <summary>The ReplicaRouting meter and activity source report what really happened (filtered by this test's cluster).</summary>
public abstract class TelemetryTests : IDisposable
{
    private readonly TopologyFixture _topology;
    private readonly string _cluster = "telemetry-" + Guid.NewGuid().ToString("N")[..12];
    private readonly ConcurrentQueue<(string Instrument, Dictionary<string, object?> Tags)> _measurements = new();
    private readonly ConcurrentQueue<Activity> _activities = new();
    private readonly MeterListener _meters = new();
    private readonly ActivityListener _traces;

    protected TelemetryTests(TopologyFixture topology)
    {
        _topology = topology;
        _meters.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "ReplicaRouting")
                listener.EnableMeasurementEvents(instrument);
        };
        _meters.SetMeasurementEventCallback<long>((instrument, _, tags, _) => Record(instrument, tags));
        _meters.SetMeasurementEventCallback<double>((instrument, _, tags, _) => Record(instrument, tags));
        _meters.SetMeasurementEventCallback<int>((instrument, _, tags, _) => Record(instrument, tags));
        _meters.Start();

        _traces = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "ReplicaRouting",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity => _activities.Enqueue(activity),
        };
        ActivitySource.AddActivityListener(_traces);
    }

    public void Dispose()
    {
        _meters.Dispose();
        _traces.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task Routing_waits_fallbacks_captures_and_ignored_tokens_are_measured_and_traced()
    {
        await using var dataSource = _topology.CreateDataSource(o =>
        {
            o.Consistency = ReadConsistency.ReadYourWrites;
            o.ClusterId = _cluster;
            o.CausalReadTimeout = TimeSpan.FromMilliseconds(200);
        });
        var replicas = new ReplicaControl(_topology);

        using (var session = dataSource.BeginSession())
        await using (var connection = await dataSource.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("INSERT INTO items (name, written_by) VALUES ('telemetry', 1)");
            await _topology.WaitForReplicasAsync();
            await connection.ExecuteScalarAsync<long>("SELECT @@server_id");   // a wait that is reached at once

            await using (await replicas.PauseApplyAsync())
            {
                await connection.ExecuteAsync("INSERT INTO items (name, written_by) VALUES ('telemetry', 1)");
                await connection.ExecuteScalarAsync<long>("SELECT @@server_id");   // times out: answered by the primary
            }
        }

        using (dataSource.BeginSession("garbage"))
        {
        }

        Assert.True(Count("replicarouting.commands", ("replicarouting.target", "primary"), ("replicarouting.reason", "write")) >= 2);
        Assert.True(Count("replicarouting.commands", ("replicarouting.target", "replica"), ("replicarouting.reason", "causal_read")) >= 2);
        Assert.True(Count("replicarouting.causal_waits", ("replicarouting.outcome", "reached")) >= 1);
        Assert.True(Count("replicarouting.causal_waits", ("replicarouting.outcome", "timed_out")) >= 1);
        Assert.True(Count("replicarouting.causal_wait.duration") >= 2);
        Assert.True(Count("replicarouting.primary_fallbacks", ("replicarouting.reason", "causal_wait_timed_out")) >= 1);
        Assert.True(Count("replicarouting.gtid_captures", ("replicarouting.outcome", "captured")) >= 2);
        Assert.Equal(1, Count("replicarouting.tokens.ignored", ("replicarouting.reason", "malformed")));

        var waits = _activities.Where(a => a.OperationName == "replicarouting.causal_wait").ToList();
        Assert.Contains(waits, a => (string?)a.GetTagItem("replicarouting.outcome") == "timed_out");
        Assert.Contains(waits, a => (string?)a.GetTagItem("replicarouting.outcome") == "reached");
    }

    [Fact]
    public async Task Node_state_and_replica_lag_gauges_report_the_probed_topology_and_probes_are_traced()
    {
        await using var dataSource = _topology.CreateDataSource(o => o.ClusterId = _cluster);
        await _topology.WaitForReplicasAsync();
        await dataSource.RefreshTopologyAsync();
        _meters.RecordObservableInstruments();

        Assert.Equal(1, Count("replicarouting.node.state", ("replicarouting.node", _topology.Config.PrimaryEndpoint), ("replicarouting.role", "primary"), ("replicarouting.state", "healthy")));
        foreach (var replica in _topology.Config.ReplicaEndpoints)
        {
            Assert.Equal(1, Count("replicarouting.node.state", ("replicarouting.node", replica), ("replicarouting.role", "replica"), ("replicarouting.state", "healthy")));
            Assert.Equal(1, Count("replicarouting.replica.lag", ("replicarouting.node", replica)));
        }

        Assert.Contains(_activities, a => a.OperationName == "replicarouting.probe" && (string?)a.GetTagItem("replicarouting.primary") == _topology.Config.PrimaryEndpoint);
    }

    private void Record(Instrument instrument, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var map = new Dictionary<string, object?>();
        foreach (var tag in tags)
            map[tag.Key] = tag.Value;
        if (map.TryGetValue("replicarouting.cluster", out var cluster) && (string?)cluster == _cluster)
            _measurements.Enqueue((instrument.Name, map));
    }

    private int Count(string instrument, params (string Key, string Value)[] tags) =>
        _measurements.Count(m => m.Instrument == instrument && tags.All(t => m.Tags.TryGetValue(t.Key, out var v) && (string?)v == t.Value));
}

[Collection(TopologyConfig.MariaDb), Trait("Flavor", TopologyConfig.MariaDb)]
public sealed class MariaDbTelemetryTests(MariaDbTopology topology) : TelemetryTests(topology);

[Collection(TopologyConfig.MySql), Trait("Flavor", TopologyConfig.MySql)]
public sealed class MySqlTelemetryTests(MySqlTopology topology) : TelemetryTests(topology);
