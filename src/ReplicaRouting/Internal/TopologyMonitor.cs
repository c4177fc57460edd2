namespace ReplicaRouting.Internal;

/// <summary>
/// Knows the topology of one data source: holds the current <see cref="TopologySnapshot"/> (swapped atomically, read
/// without locks by routing) and, once started, probes every node in the background, follows failovers, clears the pools
/// of demoted or dead nodes and writes the heartbeat when asked to. Commands never wait for it.
/// </summary>
internal sealed class TopologyMonitor : IAsyncDisposable
{
    private readonly RoutingConfiguration _configuration;
    private readonly ClusterState _cluster;
    private readonly NodeProbe[] _probes;
    private readonly int[] _timeoutsInRow;
    private readonly SemaphoreSlim _probeLock = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private TaskCompletionSource _wake = NewSignal();
    private TopologySnapshot _snapshot;
    private RoutingNode? _lastWriter;
    private Task? _loop;
    private Task? _heartbeat;
    private int _started;
    private int _disposed;
    private bool _heartbeatMissingLogged;

    public TopologyMonitor(RoutingConfiguration configuration, ClusterState cluster)
    {
        _configuration = configuration;
        _cluster = cluster;
        _probes = configuration.Nodes.Select(n => new NodeProbe(n, configuration.TopologyProbeTimeout, configuration.HeartbeatTable)).ToArray();
        _timeoutsInRow = new int[_probes.Length];
        _lastWriter = configuration.Primary;
        _snapshot = new TopologySnapshot(0, configuration.TimeProvider.GetUtcNow(), configuration.Nodes, configuration.Primary, configuration.Replicas, problem: null, splitBrain: false);
        Telemetry.Track(this);
    }

    public TopologySnapshot Snapshot => Volatile.Read(ref _snapshot);

    public string ClusterId => _configuration.ClusterId;

    /// <summary>Starts the background loop (once; a no-op when the monitor is switched off or already running).</summary>
    public void EnsureStarted()
    {
        if (!_configuration.TopologyMonitor || Volatile.Read(ref _started) != 0 || Interlocked.Exchange(ref _started, 1) != 0)
            return;
        _loop = Task.Run(() => RunAsync(_stop.Token));
        if (_configuration.WriteHeartbeat)
            _heartbeat = Task.Run(() => new HeartbeatWriter(this, _configuration).RunAsync(_stop.Token));
    }

    /// <summary>Asks the loop to probe now instead of at its next interval.</summary>
    public void RequestRefresh() => Volatile.Read(ref _wake).TrySetResult();

    /// <summary>
    /// A write was refused by <paramref name="node"/> as read-only (1290/1792/1836): it was demoted. Stop sending writes there
    /// at once and probe now to find the new primary. Only while the loop runs: without it, nothing would ever lift this.
    /// </summary>
    public void ReportReadOnlyWriter(RoutingNode node)
    {
        Log.WriterRefusedAsReadOnly(_configuration.Logger, node.Endpoint);
        if (Volatile.Read(ref _started) == 0)
            return;
        var current = Snapshot;
        if (current.Writer == node)
        {
            Publish(current.NodeArray, writer: null, TopologyRules.ChooseReaders(current.NodeArray, null),
                $"the primary {node.Endpoint} refused a write as read-only (demoted); looking for the new primary", splitBrain: false);
        }

        RequestRefresh();
    }

    /// <summary>Probes every node once, now, and publishes the result (used by the loop and by an explicit refresh).</summary>
    public async Task<TopologySnapshot> ProbeAsync(CancellationToken cancellationToken)
    {
        await _probeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var activity = Telemetry.Source.HasListeners() ? Telemetry.Source.StartActivity("replicarouting.probe") : null;
            var startedAt = _configuration.TimeProvider.GetTimestamp();   // every position read below is at least as new as this
            var results = await Task.WhenAll(_probes.Select(p => p.ProbeAsync(_cluster, _configuration.TopologyProbeTimeout, cancellationToken))).ConfigureAwait(false);
            var snapshot = Apply(results, startedAt);
            activity?.SetTag("replicarouting.primary", snapshot.Primary?.Endpoint);
            if (snapshot.Writer is { } writer && _cluster.RoutinesDue)
                await LoadRoutinesAsync(_probes[writer.Index], cancellationToken).ConfigureAwait(false);
            return snapshot;
        }
        finally
        {
            _probeLock.Release();
        }
    }

    /// <summary>How often the primary's stored functions are read again when nothing says they changed.</summary>
    internal static readonly TimeSpan RoutinesRefreshInterval = TimeSpan.FromMinutes(1);

    /// <summary>Reads the primary's stored functions into the classifier's context; on failure, tries again next round.</summary>
    private async Task LoadRoutinesAsync(NodeProbe primary, CancellationToken cancellationToken)
    {
        try
        {
            var timeout = _configuration.TopologyProbeTimeout * 5;   // one bigger query than a probe, still bounded
            if (await primary.LoadRoutinesAsync(timeout, cancellationToken).ConfigureAwait(false) is { } routines)
                _cluster.ObserveRoutines(routines, RoutinesRefreshInterval);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            Log.RoutinesLoadFailed(_configuration.Logger, ex, primary.Node.Endpoint);
            _cluster.RoutinesChanged(RoutinesRefreshInterval);   // not again every round
        }
    }

    private async Task RunAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await ProbeAsync(stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                Log.ProbeRoundFailed(_configuration.Logger, ex);
            }

            // Without a primary, look 5 times as often: the promotion should be seen within a fraction of the interval.
            var interval = _configuration.TopologyProbeInterval;
            if (Snapshot.Writer is null)
                interval = TimeSpan.FromTicks(Math.Max(TimeSpan.FromMilliseconds(100).Ticks, interval.Ticks / 5));
            var wake = Volatile.Read(ref _wake);
            try
            {
                await Task.WhenAny(Task.Delay(interval, _configuration.TimeProvider, stop), wake.Task).ConfigureAwait(false);
            }
            finally
            {
                if (wake.Task.IsCompleted)
                    Interlocked.CompareExchange(ref _wake, NewSignal(), wake);
            }
        }
    }

    /// <summary>Judges the probe results, updates every node, names the writer and publishes the snapshot.</summary>
    private TopologySnapshot Apply(ProbeResult[] results, long startedAt)
    {
        var nodes = _configuration.Nodes;
        var now = _configuration.TimeProvider.GetUtcNow();
        var flavor = _cluster.Dialect?.Flavor;
        var positions = new GtidPosition?[nodes.Length];
        GtidPosition? primaryPosition = null;
        var writable = 0;
        var groupWriter = GroupReplication.MultiPrimaryWriter(results);
        for (var i = 0; i < nodes.Length; i++)
        {
            if (results[i].Position is { Length: > 0 } text && flavor is { } f && GtidPosition.TryParse(f, text, out var parsed))
                positions[i] = parsed;
            if (results[i] is { Reachable: true, ReadOnly: false } && (groupWriter < 0 || groupWriter == i))
                (primaryPosition, writable) = (positions[i], writable + 1);
        }

        if (writable != 1)
            primaryPosition = null;   // no primary, or split brain: no position to compare replicas with

        // Galera: every member is writable; the cluster is followed by choosing one writer among its usable members.
        var galeraWriter = Galera.ChooseWriter(results);
        if (galeraWriter is not null)
            _cluster.ObserveGalera();

        for (var i = 0; i < nodes.Length; i++)
        {
            var node = nodes[i];
            var result = results[i];
            _timeoutsInRow[i] = result is { Reachable: false, ConnectionFailed: false } ? _timeoutsInRow[i] + 1 : 0;
            var position = positions[i];
            var previous = node.Status;
            var status = TopologyRules.Assess(result, previous, _timeoutsInRow[i], _configuration.MaxReplicaLag, position, now, primaryPosition,
                groupWriter < 0 || groupWriter == i, galeraWriter?.Index == i, _configuration.ReadFromDesyncedGaleraMembers);
            node.Status = status;
            if (result.Reachable)
                node.MarkAvailable();
            // A Galera member's binlog position can run ahead of what its reads see (the binlog is written before the engine
            // commits): there only a WSREP_SYNC_WAIT_UPTO_GTID that answered proves a position visible.
            if (status.Role == NodeRole.Replica && position is not null && result.Galera is null)
                node.ObserveAppliedPosition(position, observedSince: startedAt);
            if (result.RoundTrip is { } roundTrip)
                node.ApplyDelay.ObserveRoundTrip(roundTrip);
            if (status.Role != previous.Role || status.State != previous.State)
                OnNodeChanged(node, previous, status);
            if (_probes[i].HeartbeatMissing && !_heartbeatMissingLogged)
            {
                _heartbeatMissingLogged = true;
                Log.HeartbeatTableMissing(_configuration.Logger, _configuration.HeartbeatTable!, node.Endpoint);
            }
        }

        var (writer, problem, splitBrain) = TopologyRules.ChooseWriter(nodes, _configuration.Primary);
        if (galeraWriter is { Index: < 0, Reason: var noWriter } && writer is null)
            problem = noWriter;
        if (writer is not null && writer != _lastWriter)
        {
            if (groupWriter >= 0)
                Log.MultiPrimaryWriterChosen(_configuration.Logger, writer.Endpoint);
            if (galeraWriter is { Reason: var why })
                Log.GaleraWriterChosen(_configuration.Logger, writer.Endpoint, why);
            OnFailover(_lastWriter, writer);
        }
        if (writer is not null)
        {
            _lastWriter = writer;
            if (writer.Status.Position is { } writerPosition)
                _cluster.ObservePrimaryPosition(writerPosition, observedSince: startedAt);
        }

        var before = Snapshot;
        if (problem is not null && problem != before.Problem)
        {
            if (splitBrain)
                Log.SplitBrain(_configuration.Logger, problem);
            else
                Log.NoWritablePrimary(_configuration.Logger, problem);
        }

        return Publish(nodes, writer, TopologyRules.ChooseReaders(nodes, writer), problem, splitBrain);
    }

    private TopologySnapshot Publish(RoutingNode[] nodes, RoutingNode? writer, RoutingNode[] readers, string? problem, bool splitBrain)
    {
        while (true)
        {
            var current = Snapshot;
            var next = new TopologySnapshot(current.Generation + 1, _configuration.TimeProvider.GetUtcNow(), nodes, writer, readers, problem, splitBrain);
            if (Interlocked.CompareExchange(ref _snapshot, next, current) == current)
                return next;
        }
    }

    private void OnNodeChanged(RoutingNode node, NodeStatus previous, NodeStatus status)
    {
        Log.NodeChanged(_configuration.Logger, node.Endpoint, previous.Role, previous.State, status.Role, status.State, status.LastError ?? "");

        // Connections pooled to a node that died or stopped replicating are of no use any more: drop them now rather than
        // let a command find out.
        if ((status.State == NodeState.Unreachable && previous.State != NodeState.Unreachable)
            || (status.Role == NodeRole.Demoted && previous.Role != NodeRole.Demoted))
            ClearPool(node);
    }

    private void OnFailover(RoutingNode? from, RoutingNode to)
    {
        using var activity = Telemetry.Source.HasListeners() ? Telemetry.Source.StartActivity("replicarouting.failover") : null;
        activity?.SetTag("replicarouting.from", from?.Endpoint);
        activity?.SetTag("replicarouting.to", to.Endpoint);
        Log.PrimaryChanged(_configuration.Logger, from?.Endpoint ?? "none", to.Endpoint);
        Telemetry.Failover(_configuration.ClusterId);

        // Positions the old primary had but never shipped are gone: what the cluster knows of "the primary's position" starts
        // again from the new primary's own.
        if (to.Status.Position is { } position)
            _cluster.ResetPrimaryPosition(position);
        _cluster.OnWriterChanged();
        if (from is not null)
            ClearPool(from);
    }

    private void ClearPool(RoutingNode node)
    {
        _ = Task.Run(async () =>
        {
            try
            {
                await node.ResetPoolAsync().ConfigureAwait(false);
                Log.PoolCleared(_configuration.Logger, node.Endpoint);
            }
            catch (Exception ex)
            {
                Log.PoolClearFailed(_configuration.Logger, ex, node.Endpoint);
            }
        });
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        Telemetry.Untrack(this);
        await _stop.CancelAsync().ConfigureAwait(false);
        foreach (var task in new[] { _loop, _heartbeat })
        {
            if (task is null)
                continue;
            try
            {
                await task.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        foreach (var probe in _probes)
            await probe.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
        _probeLock.Dispose();
    }
}
