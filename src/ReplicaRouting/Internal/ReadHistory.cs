namespace ReplicaRouting.Internal;

/// <summary>
/// What the reads of one session (or, outside a session, one logical connection) have seen, for <see cref="ReadConsistency.Causal"/>:
/// where the last read ran and when it ended, and the floor (a position at least as new as everything read before). A replica's
/// applied state only grows, so reads that stay on one replica are monotonic by themselves; a read that moves needs a node
/// known to have the floor, and the last read's node counts for the floor only once a position of it read after that read
/// ended is known (a probe, or a read of the primary's position). Thread-safe: a session's commands may run concurrently.
/// </summary>
internal sealed class ReadHistory
{
    private readonly Lock _lock = new();
    private RoutingNode? _node;        // where the last read ran
    private bool _onPrimary;
    private long _endedAt;             // TimeProvider timestamp when it ended; 0 while it runs
    private bool _pending;             // the last read is not in the floor yet
    private GtidPosition? _floor;
    private DateTimeOffset _floorAt;   // when the floor was last raised: its newest transaction is at least that old

    /// <summary>The floor every read that leaves the last read's node must see, or null when nothing was read yet.</summary>
    public GtidPosition? Floor
    {
        get
        {
            lock (_lock)
                return _floor;
        }
    }

    /// <summary>When <see cref="Floor"/> was last raised (to carry in a token), or null.</summary>
    public DateTimeOffset? FloorAt
    {
        get
        {
            lock (_lock)
                return _floor is null ? null : _floorAt;
        }
    }

    /// <summary>When the last read ended (a <see cref="TimeProvider"/> timestamp) while it is not in the floor yet, else null.</summary>
    public long? PendingEndedAt
    {
        get
        {
            lock (_lock)
                return _pending && _endedAt != 0 ? _endedAt : null;
        }
    }

    /// <summary>A read was routed to <paramref name="node"/>: it is the last read until the next one.</summary>
    public void Started(RoutingNode node, bool onPrimary)
    {
        lock (_lock)
            (_node, _onPrimary, _endedAt, _pending) = (node, onPrimary, 0, true);
    }

    /// <summary>A statement ended on <paramref name="node"/> at <paramref name="timestamp"/>: if it is the last read, it is over.</summary>
    public void Ended(RoutingNode node, long timestamp)
    {
        lock (_lock)
        {
            if (_pending && _node == node && _endedAt == 0)
                _endedAt = timestamp;
        }
    }

    /// <summary>
    /// Where the next read may go: the replica of the last read (<c>Sticky</c>; null when it was the primary), and whether the
    /// floor covers every read so far (<c>FloorKnown</c>: else a read that moves must read the primary).
    /// </summary>
    public (RoutingNode? Sticky, GtidPosition? Floor, DateTimeOffset FloorAt, bool FloorKnown) Plan(ClusterState cluster, DateTimeOffset now)
    {
        lock (_lock)
        {
            if (_pending && _endedAt != 0
                // The primary's position read after a replica read ended covers it too: a replica has only what the primary had.
                && ((_onPrimary ? null : _node!.AppliedSince(_endedAt)) ?? cluster.PrimaryPositionSince(_endedAt)) is { } seen)
            {
                _floor = _floor is null ? seen : _floor.Merge(seen);
                _floorAt = now;
                _pending = false;
            }

            return (_onPrimary ? null : _node, _floor, _floorAt, !_pending);
        }
    }
}
