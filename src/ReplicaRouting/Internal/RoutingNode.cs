using MySqlConnector;

namespace ReplicaRouting.Internal;

/// <summary>One server of the topology: its connection pool and what routing knows about its health.</summary>
internal sealed class RoutingNode : IDisposable
{
    private readonly TimeProvider _timeProvider;
    private long _unavailableUntil;   // TimeProvider timestamp; 0 = available
    private int _outstanding;
    private GtidPosition? _appliedPosition;
    private long _causalWaits;

    public RoutingNode(int index, RouteTarget role, MySqlDataSource dataSource, string endpoint, TimeProvider timeProvider)
    {
        Index = index;
        Role = role;
        DataSource = dataSource;
        Endpoint = endpoint;
        _timeProvider = timeProvider;
    }

    /// <summary>Position in the data source's node array: 0 is the primary, replicas follow.</summary>
    public int Index { get; }

    public RouteTarget Role { get; }

    /// <summary>The MySqlConnector pool for this node.</summary>
    public MySqlDataSource DataSource { get; }

    /// <summary><c>host:port</c>, computed once so decisions never build strings.</summary>
    public string Endpoint { get; }

    /// <summary>Commands (and open readers) currently in flight on this node from this data source.</summary>
    public int Outstanding => Volatile.Read(ref _outstanding);

    /// <summary>A position this node is known to have applied (from successful waits), or null. Only grows.</summary>
    public GtidPosition? AppliedPosition => Volatile.Read(ref _appliedPosition);

    /// <summary>True when this node is known to have applied <paramref name="position"/>: a causal read needs no wait here.</summary>
    public bool HasApplied(GtidPosition position) => AppliedPosition is { } applied && position.IsSatisfiedBy(applied);

    /// <summary>How many GTID waits were sent to this node (a primary must stay at 0).</summary>
    public long CausalWaits => Interlocked.Read(ref _causalWaits);

    public void CausalWaitSent() => Interlocked.Increment(ref _causalWaits);

    public void ObserveAppliedPosition(GtidPosition position) => GtidPosition.MergeInto(ref _appliedPosition, position);

    public bool IsAvailable => _timeProvider.GetTimestamp() >= Volatile.Read(ref _unavailableUntil);

    /// <summary>Skips this node for <paramref name="backoff"/> after a failed connect.</summary>
    public void MarkUnavailable(TimeSpan backoff)
    {
        var ticks = (long)(backoff.TotalSeconds * _timeProvider.TimestampFrequency);
        Volatile.Write(ref _unavailableUntil, _timeProvider.GetTimestamp() + ticks);
    }

    public void MarkAvailable() => Volatile.Write(ref _unavailableUntil, 0);

    public void CommandStarted() => Interlocked.Increment(ref _outstanding);

    public void CommandEnded() => Interlocked.Decrement(ref _outstanding);

    public void Dispose() => DataSource.Dispose();

    public override string ToString() => $"{Role} {Endpoint}";
}
