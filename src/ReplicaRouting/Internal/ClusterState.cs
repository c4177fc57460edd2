using System.Security.Cryptography;
using System.Text;

namespace ReplicaRouting.Internal;

/// <summary>What one data source learns about its cluster at run time: the server flavor and the primary's position.</summary>
internal sealed class ClusterState
{
    private ServerDialect? _dialect;
    private SqlContext _sqlContext = SqlContext.Unknown;
    private long _routinesDueAt;   // Environment.TickCount64 at which the routine catalog should be reloaded; 0: now
    private GtidPosition? _knownPrimaryPosition;
    private long _knownPrimarySince;   // the newest read of the primary's whole position merged into _knownPrimaryPosition
    private int _captureWarningLogged;
    private int _primaryPositionProbed;

    public ClusterState(string clusterId, TimeProvider timeProvider)
    {
        ClusterId = clusterId;
        RejectedPositions = new RejectedPositions(timeProvider, RoutingDefaults.RejectedPositionMemory, RoutingDefaults.RejectedPositionCapacity);
        RejectedReport = new ReportLimiter(timeProvider, RoutingDefaults.RejectedPositionMemory);
    }

    public string ClusterId { get; }

    /// <summary>Reads of the primary's position to check restored tokens: one at a time, shared by the checks waiting for it.</summary>
    public SingleFlight PrimaryPositionRefresh { get; } = new();

    /// <summary>Positions the primary was found to lack, so a replayed token is not checked again on every request.</summary>
    public RejectedPositions RejectedPositions { get; }

    /// <summary>When to log that remembered positions were ignored again (once per interval, with a count).</summary>
    public ReportLimiter RejectedReport { get; }

    /// <summary>The flavor's SQL, known once any node has been connected to.</summary>
    public ServerDialect? Dialect => Volatile.Read(ref _dialect);

    /// <summary>A lower bound of the primary's executed position: every capture and primary check merged.</summary>
    public GtidPosition? KnownPrimaryPosition => Volatile.Read(ref _knownPrimaryPosition);

    /// <summary>What the classifier knows of the servers: their versions (every node seen) and the stored functions.</summary>
    public SqlContext SqlContext => Volatile.Read(ref _sqlContext);

    public GtidPosition? EmptyPosition => Dialect?.Flavor switch
    {
        ServerFlavor.MySql => MySqlGtidSet.Empty,
        ServerFlavor.MariaDb => MariaDbGtidPosition.Empty,
        _ => null,
    };

    public ServerDialect ObserveServerVersion(string serverVersion)
    {
        var dialect = Dialect;
        if (dialect is null)
        {
            dialect = ServerDialect.FromServerVersion(serverVersion);
            Interlocked.CompareExchange(ref _dialect, dialect, null);
            dialect = Dialect!;
        }

        UpdateSqlContext(context => context.WithServer(dialect.Flavor, serverVersion));
        return dialect;
    }

    /// <summary>The primary's stored functions, just loaded; the next load is due after <paramref name="refreshInterval"/>.</summary>
    public void ObserveRoutines(RoutineCatalog routines, TimeSpan refreshInterval)
    {
        UpdateSqlContext(context => context.WithRoutines(routines));
        Volatile.Write(ref _routinesDueAt, Environment.TickCount64 + (long)refreshInterval.TotalMilliseconds);
    }

    /// <summary>
    /// The routines may have changed: reload them after <paramref name="delay"/> (a routine's DDL routed now has run by
    /// then; a replica's refusal of a read as a write needs none).
    /// </summary>
    public void RoutinesChanged(TimeSpan delay) => Volatile.Write(ref _routinesDueAt, Environment.TickCount64 + (long)delay.TotalMilliseconds);

    /// <summary>Whether the routine catalog should be (re)loaded.</summary>
    public bool RoutinesDue => Environment.TickCount64 >= Volatile.Read(ref _routinesDueAt);

    private void UpdateSqlContext(Func<SqlContext, SqlContext> update)
    {
        var current = SqlContext;
        while (true)
        {
            var updated = update(current);
            if (ReferenceEquals(updated, current))
                return;
            var seen = Interlocked.CompareExchange(ref _sqlContext, updated, current);
            if (ReferenceEquals(seen, current))
                return;
            current = seen;
        }
    }

    /// <summary>A position the primary has (a capture of one write: no time attached).</summary>
    public void ObservePrimaryPosition(GtidPosition position) => GtidPosition.MergeInto(ref _knownPrimaryPosition, position);

    /// <summary>The primary's whole executed position, read at <paramref name="observedSince"/> (a <see cref="TimeProvider"/> timestamp) or later.</summary>
    public void ObservePrimaryPosition(GtidPosition position, long observedSince)
    {
        GtidPosition.MergeInto(ref _knownPrimaryPosition, position);
        RoutingNode.InterlockedMax(ref _knownPrimarySince, observedSince);
    }

    /// <summary>The primary's position read at or after <paramref name="timestamp"/>, or null when none was read since.</summary>
    public GtidPosition? PrimaryPositionSince(long timestamp) => Volatile.Read(ref _knownPrimarySince) > timestamp ? KnownPrimaryPosition : null;

    /// <summary>After a failover: what the old primary had may be lost, so the known position restarts from the new one's.</summary>
    public void ResetPrimaryPosition(GtidPosition position) => Volatile.Write(ref _knownPrimaryPosition, position);

    /// <summary>Raised by the monitor when writes moved to another node: positions verified on the old primary must be checked again.</summary>
    public event Action? WriterChanged;

    public void OnWriterChanged() => WriterChanged?.Invoke();

    /// <summary>
    /// True for the first caller only (until <see cref="ReleasePrimaryProbe"/>): the primary's position is read once
    /// per data source, so that an empty capture can be told apart from a server without GTIDs.
    /// </summary>
    public bool ClaimPrimaryProbe() => Interlocked.Exchange(ref _primaryPositionProbed, 1) == 0;

    public void ReleasePrimaryProbe() => Volatile.Write(ref _primaryPositionProbed, 0);

    /// <summary>True the first time only: a server without GTIDs is reported once, not on every write.</summary>
    public bool ShouldLogCaptureWarning() => Interlocked.Exchange(ref _captureWarningLogged, 1) == 0;

    /// <summary>A stable name for a cluster nobody named: a hash of its servers and database, so every process configured alike agrees.</summary>
    public static string DeriveClusterId(IEnumerable<string> endpoints, string database)
    {
        var text = string.Join(",", endpoints.Order(StringComparer.OrdinalIgnoreCase)) + "/" + database;
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(text.ToLowerInvariant()));
        return "c" + Convert.ToHexStringLower(hash, 0, 8);
    }
}
