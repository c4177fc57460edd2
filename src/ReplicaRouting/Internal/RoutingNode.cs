using MySqlConnector;
using Polly;
using Polly.CircuitBreaker;

namespace ReplicaRouting.Internal;

/// <summary>One configured server: its connection pool, its circuit breaker, and what routing knows about its health.</summary>
internal sealed class RoutingNode : IDisposable
{
    private readonly TimeProvider _timeProvider;
    private long _appliedSince;   // the newest probe start whose position is merged into _appliedPosition
    private static readonly TimeSpan BreakerWindow = TimeSpan.FromSeconds(10);
    private long _unavailableUntil;   // TimeProvider timestamp; 0 = available
    private long _suspectUntil;       // TimeProvider timestamp; reads go through the breaker until then
    private long _brokenUntil;        // TimeProvider timestamp; the breaker is open until then
    private int _outstanding;
    private GtidPosition? _appliedPosition;
    private long _causalWaits;
    private readonly Func<MySqlDataSource> _createPool;
    private readonly Func<MySqlDataSource>? _createEntityFrameworkPool;
    private NodeStatus _status;
    private MySqlDataSource _dataSource;
    private MySqlDataSource? _entityFrameworkDataSource;

    /// <summary>
    /// Creates a node; <paramref name="createPool"/> builds a fresh pool for <see cref="ResetPoolAsync"/> (by default one from
    /// the same connection string), <paramref name="createEntityFrameworkPool"/> the pool of <see cref="EntityFrameworkDataSource"/>
    /// (null: the node's own pool serves EF too).
    /// </summary>
    public RoutingNode(
        int index, RouteTarget role, MySqlDataSource dataSource, string endpoint, TimeProvider timeProvider, TimeSpan? breakDuration = null,
        Func<MySqlDataSource>? createPool = null, Func<MySqlDataSource>? createEntityFrameworkPool = null)
    {
        Index = index;
        Role = role;
        _dataSource = dataSource;
        _createPool = createPool ?? (() => new MySqlDataSource(dataSource.ConnectionString));
        _createEntityFrameworkPool = createEntityFrameworkPool;
        Endpoint = endpoint;
        DefaultCommandTimeout = (int)Math.Min(int.MaxValue / 1000, new MySqlConnectionStringBuilder(dataSource.ConnectionString).DefaultCommandTimeout);   // MySqlConnector's own cap
        _timeProvider = timeProvider;
        ApplyDelay = new ApplyDelayEstimator(timeProvider);
        _status = NodeStatus.NotProbed(endpoint, role == RouteTarget.Primary ? NodeRole.Primary : NodeRole.Replica);

        // A replica that keeps failing reads is skipped while its breaker is open; one trial read closes it again.
        Breaker = new ResiliencePipelineBuilder { TimeProvider = timeProvider }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                FailureRatio = 0.5,
                MinimumThroughput = 4,
                SamplingDuration = BreakerWindow,
                BreakDuration = TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(0.5).Ticks, (breakDuration ?? RoutingDefaults.FailedReplicaBackoff).Ticks)),   // Polly's minimum
                ShouldHandle = new PredicateBuilder().Handle<MySqlException>(ServerErrors.IsConnectionFailure),

                // Polly reports Open until an execution tries again, and an open node gets no reads: keep the time ourselves.
                OnOpened = args =>
                {
                    Volatile.Write(ref _brokenUntil, _timeProvider.GetTimestamp() + Ticks(args.BreakDuration));
                    return default;
                },
            })
            .Build();
    }

    /// <summary>
    /// The node's connection string asks to join an ambient <see cref="System.Transactions.TransactionScope"/> (MySqlConnector's
    /// <c>AutoEnlist</c>, on by default). The node's own pool never enlists by itself: a routed connection enlists the
    /// primary's connection when it is opened inside a scope, as MySqlConnector would enlist the one connection it has.
    /// </summary>
    public bool EnlistsInAmbientTransactions { get; init; }

    /// <summary>This node as the only candidate of a selection (Causal affinity), built once so a read allocates nothing.</summary>
    public RoutingNode[] Alone => _alone ??= [this];

    private RoutingNode[]? _alone;

    /// <summary>Position in the data source's node array: 0 is the configured primary, replicas follow.</summary>
    public int Index { get; }

    /// <summary>What the node was configured as; what it is now is <see cref="Status"/>.</summary>
    public RouteTarget Role { get; }

    /// <summary>The MySqlConnector pool for this node (replaced by <see cref="ResetPoolAsync"/>).</summary>
    public MySqlDataSource DataSource => Volatile.Read(ref _dataSource);

    /// <summary>
    /// The pool EF Core contexts use on this node: the node's connection string with <c>AllowUserVariables=True</c> and
    /// <c>UseAffectedRows=False</c>, which Pomelo's SQL needs. It is <see cref="DataSource"/> itself when the string says so
    /// already; otherwise a second pool, built on first use, so plain ADO.NET connections of the same data source keep the
    /// options they were configured with (an undefined <c>@name</c> stays an error for them).
    /// </summary>
    public MySqlDataSource EntityFrameworkDataSource
    {
        get
        {
            if (_createEntityFrameworkPool is null)
                return DataSource;
            if (Volatile.Read(ref _entityFrameworkDataSource) is { } existing)
                return existing;
            var created = _createEntityFrameworkPool();
            if (Interlocked.CompareExchange(ref _entityFrameworkDataSource, created, null) is { } winner)
            {
                created.Dispose();
                return winner;
            }

            return created;
        }
    }

    /// <summary>MySqlConnector's <c>Default Command Timeout</c> when nothing sets it.</summary>
    public const int DefaultCommandTimeoutSeconds = 30;

    /// <summary>The <c>Default Command Timeout</c> of the node's connection string, in seconds: a command's timeout unless it sets one.</summary>
    public int DefaultCommandTimeout { get; }

    /// <summary><c>host:port</c>, computed once so decisions never build strings.</summary>
    public string Endpoint { get; }

    /// <summary>
    /// The node's circuit breaker. Reads run through it while the node <see cref="IsSuspect"/>: a healthy node's reads skip
    /// it, because going through a pipeline costs several async layers and about 500 bytes per read.
    /// </summary>
    public ResiliencePipeline Breaker { get; }

    /// <summary>True for the breaker's sampling window after a connection failure on this node.</summary>
    public bool IsSuspect => _timeProvider.GetTimestamp() < Volatile.Read(ref _suspectUntil);

    /// <summary>What the topology monitor last saw (replaced atomically after each probe).</summary>
    public NodeStatus Status
    {
        get => Volatile.Read(ref _status);
        set => Volatile.Write(ref _status, value);
    }

    /// <summary>Commands (and open readers) currently in flight on this node from this data source.</summary>
    public int Outstanding => Volatile.Read(ref _outstanding);

    /// <summary>A position this node is known to have applied (from successful waits and probes), or null. Only grows.</summary>
    public GtidPosition? AppliedPosition => Volatile.Read(ref _appliedPosition);

    /// <summary>True when this node is known to have applied <paramref name="position"/>: a causal read needs no wait here.</summary>
    public bool HasApplied(GtidPosition position) => AppliedPosition is { } applied && position.IsSatisfiedBy(applied);

    /// <summary>How long this replica is expected to take to apply a write (adaptive causal routing).</summary>
    public ApplyDelayEstimator ApplyDelay { get; }

    /// <summary>How many GTID waits were sent to this node (a primary must stay at 0).</summary>
    public long CausalWaits => Interlocked.Read(ref _causalWaits);

    public void CausalWaitSent() => Interlocked.Increment(ref _causalWaits);

    /// <summary>A position this node has applied (a wait reached it: no time attached).</summary>
    public void ObserveAppliedPosition(GtidPosition position) => GtidPosition.MergeInto(ref _appliedPosition, position);

    /// <summary>
    /// A position this node had applied at <paramref name="observedSince"/> (a <see cref="TimeProvider"/> timestamp) or later: a
    /// probe's read, sent after that time.
    /// </summary>
    public void ObserveAppliedPosition(GtidPosition position, long observedSince)
    {
        GtidPosition.MergeInto(ref _appliedPosition, position);
        InterlockedMax(ref _appliedSince, observedSince);   // after the merge: whoever sees the time sees the position
    }

    /// <summary>
    /// What this node has applied, read at or after <paramref name="timestamp"/> (so at least what any read that ended on it
    /// before then could see); null when no probe has read it since.
    /// </summary>
    public GtidPosition? AppliedSince(long timestamp) => Volatile.Read(ref _appliedSince) > timestamp ? AppliedPosition : null;

    internal static void InterlockedMax(ref long target, long value)
    {
        var current = Volatile.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
                return;
            current = seen;
        }
    }

    /// <summary>Not in a connect back-off and its circuit breaker lets commands through.</summary>
    public bool IsAvailable =>
        _timeProvider.GetTimestamp() >= Volatile.Read(ref _unavailableUntil)
        && _timeProvider.GetTimestamp() >= Volatile.Read(ref _brokenUntil);

    /// <summary>
    /// A read failed on this node outside the breaker (it was not suspect yet): the breaker counts it, and the node's reads
    /// go through the breaker for its sampling window.
    /// </summary>
    public async ValueTask ReportFailureAsync(MySqlException failure)
    {
        Volatile.Write(ref _suspectUntil, _timeProvider.GetTimestamp() + Ticks(BreakerWindow));
        try
        {
            await Breaker.ExecuteAsync(static (f, _) => ValueTask.FromException(f), failure).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex == failure || ex is BrokenCircuitException)
        {
            // counted; the caller handles the failure itself
        }
    }

    /// <summary>May serve a read now: available, and healthy as far as the monitor knows (not probed yet counts as healthy).</summary>
    public bool IsReadable => IsReadableWhen(acceptLagging: false);

    /// <summary>
    /// <see cref="IsReadable"/>, or with <paramref name="acceptLagging"/> also a lagging replica: while no primary is writable,
    /// a replica that merely stopped receiving holds the newest data there is.
    /// </summary>
    public bool IsReadableWhen(bool acceptLagging) =>
        IsAvailable && (Status.State is NodeState.Healthy or NodeState.Unknown || (acceptLagging && Status.State == NodeState.Lagging));

    /// <summary>
    /// True when this node's data is at most <paramref name="maxStaleness"/> old: its measured lag plus the age of that
    /// measurement. Unknown lag is never fresh enough.
    /// </summary>
    public bool IsFreshEnough(TimeSpan maxStaleness)
    {
        var status = Status;
        return status is { Lag: { } lag, ProbedAt: { } probedAt } && lag + (_timeProvider.GetUtcNow() - probedAt) <= maxStaleness;
    }

    /// <summary>Skips this node for <paramref name="backoff"/> after a failed connect.</summary>
    public void MarkUnavailable(TimeSpan backoff)
    {
        Volatile.Write(ref _unavailableUntil, _timeProvider.GetTimestamp() + Ticks(backoff));
    }

    private long Ticks(TimeSpan duration) => (long)(duration.TotalSeconds * _timeProvider.TimestampFrequency);

    public void MarkAvailable() => Volatile.Write(ref _unavailableUntil, 0);

    public void CommandStarted() => Interlocked.Increment(ref _outstanding);

    public void CommandEnded() => Interlocked.Decrement(ref _outstanding);

    /// <summary>
    /// Drops every pooled connection to this node (it died, or was demoted): new connections come from a fresh pool, idle
    /// ones close now, and ones in use close when they are returned instead of going back to a pool.
    /// </summary>
    /// <remarks>MySqlConnector's <c>ClearPool</c> does not reach a <see cref="MySqlDataSource"/>'s own pool, hence the swap.</remarks>
    public async ValueTask ResetPoolAsync()
    {
        var old = Interlocked.Exchange(ref _dataSource, _createPool());
        await old.DisposeAsync().ConfigureAwait(false);
        if (Interlocked.Exchange(ref _entityFrameworkDataSource, null) is { } oldEntityFramework)
            await oldEntityFramework.DisposeAsync().ConfigureAwait(false);   // the next EF connection builds a fresh one
    }

    public void Dispose()
    {
        DataSource.Dispose();
        Volatile.Read(ref _entityFrameworkDataSource)?.Dispose();
    }

    public override string ToString() => $"{Status.Role} {Endpoint}";
}
