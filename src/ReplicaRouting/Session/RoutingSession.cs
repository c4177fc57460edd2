using ReplicaRouting.Internal;

namespace ReplicaRouting;

/// <summary>
/// The read-your-writes state of one unit of work (an HTTP request, a job, a message): the merged GTID position of
/// its writes and the time of the last one. It is ambient while it is the <see cref="Current"/> session (it flows
/// with async calls), survives opening and closing connections, and is safe to use from concurrent commands.
/// Dispose it to end the unit of work; save <see cref="Token"/> first to carry it on.
/// </summary>
/// <remarks>Create one with <see cref="ReplicaRoutingDataSource.BeginSession()"/>, or restore one from a token with <see cref="ReplicaRoutingDataSource.BeginSession(string?)"/>.</remarks>
public sealed class RoutingSession : IDisposable
{
    private static readonly AsyncLocal<RoutingSession?> s_current = new();

    private readonly RoutingSession? _previous;
    private readonly TimeProvider _timeProvider;
    private readonly bool _ambient;
    private readonly ServerFlavor? _restoredFlavor;   // lets a restored token travel on before any command ran
    private readonly List<ReplicaRoutingConnection> _uncaptured = [];   // open connections that wrote for this session and owe its position
    private State _state;
    private bool _disposed;
    private int _bound;            // bound to a connection explicitly: being ambient does not matter then
    private int _notCurrentLogged;

    internal RoutingSession(ReplicaRoutingDataSource dataSource, ConsistencyToken? restored, bool ambient)
    {
        DataSource = dataSource;
        _timeProvider = dataSource.Configuration.TimeProvider;
        _state = restored is null
            ? State.Empty
            : new State(restored.Position.IsEmpty ? null : restored.Position, restored.IssuedAt, PositionVerified: false, UnknownWriteAt: restored.Position.IsEmpty ? restored.IssuedAt : null);
        _restoredFlavor = restored?.Flavor;
        _ambient = ambient;
        if (ambient)
        {
            _previous = s_current.Value;
            s_current.Value = this;
        }
    }

    /// <summary>Gets the ambient session of the current async flow, or <see langword="null"/>.</summary>
    public static RoutingSession? Current => s_current.Value;

    /// <summary>Gets the GTID position every read of this session must see, or <see langword="null"/> when it has none.</summary>
    public GtidPosition? Position => Volatile.Read(ref _state).Position;

    /// <summary>Gets when this session last wrote (or the restored token's time), or <see langword="null"/> if it never did.</summary>
    public DateTimeOffset? LastWriteAt => Volatile.Read(ref _state).LastWriteAt;

    /// <summary>
    /// Gets the portable form of this session, to restore it in the next request, another service or a job; or
    /// <see langword="null"/> when the session wrote nothing (there is nothing to carry).
    /// </summary>
    /// <remarks>
    /// A connection reads the GTID of its writes when it closes. If one that wrote for this session is still open, reading
    /// the token reads it first, on that connection's primary session (one round trip).
    /// </remarks>
    public ConsistencyToken? Token
    {
        get
        {
            WarnIfNotCurrent();
            PrepareTokenAsync(async: false).AsTask().GetAwaiter().GetResult();
            var state = Volatile.Read(ref _state);

            // Causal: what the session's reads have seen travels too, so the next unit of work never reads older.
            var (_, floor, floorAt, _) = DataSource.Configuration.Consistency == ReadConsistency.Causal
                ? Reads.Plan(DataSource.Cluster, _timeProvider.GetUtcNow())
                : default;
            if ((state.LastWriteAt ?? (floor is null ? null : floorAt)) is not { } lastWrite)
                return null;

            // A write whose position is unknown (its GTID could not be read): the token can only say "wrote at this time",
            // which sends the next unit of work's reads to the primary for a window.
            var complete = state.UncapturedWrites == 0 && !state.UnknownWrite;
            var empty = DataSource.EmptyPosition ?? _restoredFlavor switch
            {
                ServerFlavor.MySql => MySqlGtidSet.Empty,
                ServerFlavor.MariaDb => MariaDbGtidPosition.Empty,
                _ => null,
            };
            var position = complete ? state.Position ?? empty : empty;
            if (position is null || empty is null)
                return null;
            if (complete && floor is not null)
                position = position.Merge(floor);

            // A position too long to travel degrades to "wrote at this time": the reader then reads the primary for a window.
            var token = new ConsistencyToken(DataSource.ClusterId, position, lastWrite);
            return token.ToString().Length <= ConsistencyToken.MaxLength ? token : new ConsistencyToken(DataSource.ClusterId, empty, lastWrite);
        }
    }

    internal ReplicaRoutingDataSource DataSource { get; }

    /// <summary>What this session's reads have seen (<see cref="ReadConsistency.Causal"/>).</summary>
    internal ReadHistory Reads { get; } = new();

    /// <summary>
    /// Every command of this unit of work without its own hint runs as if it had <see cref="RoutingHint.ReadFromPrimary"/>
    /// (set by ASP.NET Core endpoint metadata).
    /// </summary>
    internal bool ReadsFromPrimary { get; set; }

    /// <summary>Ends the unit of work; the ambient session becomes the one that was current before it.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        WarnIfNotCurrent();
        _disposed = true;
        if (_ambient && s_current.Value == this)
            s_current.Value = _previous;
    }

    /// <summary>A connection uses this session explicitly (<see cref="ReplicaRoutingConnection.Session"/>).</summary>
    internal void MarkBound() => Volatile.Write(ref _bound, 1);

    /// <summary>
    /// An ambient session used (its token read, or disposed) in a flow where it is not current was begun in another async
    /// flow, typically an async method that returned it: AsyncLocal changes do not flow back to the caller, so the caller's
    /// commands did not use it and their reads may have been stale. Logged once, since it cannot be repaired here.
    /// </summary>
    private void WarnIfNotCurrent()
    {
        if (!_ambient || _disposed || Volatile.Read(ref _bound) == 1 || s_current.Value == this || Interlocked.Exchange(ref _notCurrentLogged, 1) == 1)
            return;
        Log.SessionNotCurrent(DataSource.Configuration.Logger);
    }

    internal State Snapshot => Volatile.Read(ref _state);

    /// <summary>A write whose position is unknown (it failed part-way, or GTIDs are off): reads go to the primary for a window.</summary>
    internal void RecordWrite(GtidPosition? captured) => RecordWrite(captured, unknown: captured is null, uncapturedChange: 0);

    /// <summary>
    /// <paramref name="owner"/> ran a write on the primary and will read its position later (when a read needs it, when the
    /// token is read, or when it closes); until then this session's reads go to the primary.
    /// </summary>
    internal void BeginUncapturedWrite(ReplicaRoutingConnection owner)
    {
        lock (_uncaptured)
            _uncaptured.Add(owner);
        RecordWrite(null, unknown: false, uncapturedChange: 1);
    }

    /// <summary>A connection whose earlier writes' position is not read yet wrote again: the session's newest write is this one.</summary>
    internal void WroteAgain()
    {
        var now = _timeProvider.GetUtcNow();
        Update(s => s with { LastWriteAt = now });
    }

    /// <summary>
    /// The position of <paramref name="owner"/>'s writes was read (<paramref name="captured"/>; null when they generated none),
    /// or could not be (<paramref name="unknown"/>).
    /// </summary>
    internal void EndUncapturedWrite(ReplicaRoutingConnection owner, GtidPosition? captured, bool unknown)
    {
        lock (_uncaptured)
            _uncaptured.Remove(owner);
        RecordWrite(captured, unknown, uncapturedChange: -1);
    }

    /// <summary>Has every open connection that wrote for this session read the position of its writes.</summary>
    /// <summary>
    /// Learns what the token must carry that is not known yet: the position of writes whose connection is still open, and under
    /// <see cref="ReadConsistency.Causal"/> what the last read saw (a position of the primary read after it ended, at most one
    /// shared read). Called before <see cref="Token"/>, asynchronously where the caller can (the ASP.NET Core middleware).
    /// </summary>
    internal async ValueTask PrepareTokenAsync(bool async)
    {
        if (Volatile.Read(ref _state).UncapturedWrites > 0)
            await CaptureUncapturedWritesAsync(async).ConfigureAwait(false);
        if (DataSource.Configuration.Consistency == ReadConsistency.Causal && Reads.PendingEndedAt is { } endedAt)
            await DataSource.EnsurePrimaryPositionSinceAsync(endedAt, async).ConfigureAwait(false);
    }

    internal async ValueTask CaptureUncapturedWritesAsync(bool async)
    {
        ReplicaRoutingConnection[] owners;
        lock (_uncaptured)
            owners = [.. _uncaptured];
        foreach (var owner in owners)
            await owner.CaptureUncapturedWritesAsync(async, CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>Merges a write's outcome (atomic: concurrent commands of one session may all write).</summary>
    private void RecordWrite(GtidPosition? captured, bool unknown, int uncapturedChange)
    {
        var now = _timeProvider.GetUtcNow();
        while (true)
        {
            var current = Volatile.Read(ref _state);
            var next = current with
            {
                // A capture reads the position of writes made earlier: they are as old as the last of them, not as the capture.
                LastWriteAt = uncapturedChange < 0 && current.LastWriteAt is { } wrote ? wrote : now,
                Position = captured is null ? current.Position : current.Position is null ? captured : current.Position.Merge(captured),
                PositionVerified = captured is null ? current.PositionVerified : current.PositionVerified || current.Position is null,
                UnknownWriteAt = unknown ? now : current.UnknownWriteAt,
                UncapturedWrites = current.UncapturedWrites + uncapturedChange,
                OwnWrites = true,
            };
            if (Interlocked.CompareExchange(ref _state, next, current) == current)
                return;
        }
    }

    /// <summary>The current primary holds this session's position: no need to ask again.</summary>
    internal void MarkPositionVerified(GtidPosition verified) => Update(s => s.Position == verified ? s with { PositionVerified = true } : s);

    /// <summary>
    /// The writer changed (a failover): the position must be found on the new primary again before reads wait for it, since
    /// what the old primary never shipped is gone.
    /// </summary>
    internal void MarkPositionUnverified() => Update(s => s.PositionVerified ? s with { PositionVerified = false } : s);

    /// <summary>
    /// Forgets a position the current primary does not have (lost in a failover, or forged): waiting for it would only time out.
    /// A session that has not written itself then has nothing to carry on: no token at all, rather than a "wrote at this time"
    /// token that would send the next unit of work's reads to the primary.
    /// </summary>
    internal void DropPosition(GtidPosition dropped) =>
        Update(s => s.Position != dropped ? s : s.OwnWrites ? s with { Position = null, PositionVerified = false } : State.Empty);

    private void Update(Func<State, State> change)
    {
        while (true)
        {
            var current = Volatile.Read(ref _state);
            var next = change(current);
            if (ReferenceEquals(next, current) || Interlocked.CompareExchange(ref _state, next, current) == current)
                return;
        }
    }

    /// <summary>Immutable, swapped whole, so readers never see half an update.</summary>
    /// <param name="Position">Merged position of the writes; null when none is known.</param>
    /// <param name="LastWriteAt">Time of the last write (or of the restored token).</param>
    /// <param name="PositionVerified">True when the position came from this process's own captures or was checked on the primary.</param>
    /// <param name="UnknownWriteAt">When the last write whose position is unknown happened: read from the primary for a window after it.</param>
    /// <param name="UncapturedWrites">Open connections that wrote and have not read their position yet: read from the primary.</param>
    /// <param name="OwnWrites">This unit of work wrote (rather than only restoring a token).</param>
    internal sealed record State(GtidPosition? Position, DateTimeOffset? LastWriteAt, bool PositionVerified, DateTimeOffset? UnknownWriteAt, int UncapturedWrites = 0, bool OwnWrites = false)
    {
        public static readonly State Empty = new(null, null, false, null);

        /// <summary>A write happened whose position is unknown.</summary>
        public bool UnknownWrite => UnknownWriteAt is not null;
    }
}
