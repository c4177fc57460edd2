using System.Data.Common;
using MySqlConnector;
using ReplicaRouting.Internal;

namespace ReplicaRouting;

/// <summary>
/// A data source over one primary and its read replicas. Connections it creates route every command to the primary
/// or a replica. Thread-safe; create one per application and dispose it at shutdown.
/// </summary>
public sealed class ReplicaRoutingDataSource : DbDataSource
{
    private readonly string _connectionString;

    internal ReplicaRoutingDataSource(RoutingConfiguration configuration)
    {
        Configuration = configuration;
        Cluster = new ClusterState(configuration.ClusterId, configuration.TimeProvider);
        Shedding = new LoadShedding(configuration);
        Monitor = new TopologyMonitor(configuration, Cluster);
        SessionlessSession = new RoutingSession(this, restored: null, ambient: false);
        Cluster.WriterChanged += SessionlessSession.MarkPositionUnverified;

        // Expose the primary's string without its password, as the string that "identifies" this source.
        var builder = new MySqlConnectionStringBuilder(configuration.Primary.DataSource.ConnectionString);
        builder.Remove("Password");
        _connectionString = builder.ConnectionString;
    }

    internal RoutingConfiguration Configuration { get; }

    internal ClusterState Cluster { get; }

    internal TopologyMonitor Monitor { get; }

    internal LoadShedding Shedding { get; }

    internal string ClusterId => Cluster.ClusterId;

    /// <summary>
    /// Reads the primary's whole executed position on a pooled connection of its own and merges it into what the cluster knows
    /// (with the time it was read at least as late as): a restored token's check, and a Causal session's floor.
    /// </summary>
    internal async ValueTask RefreshPrimaryPositionAsync(RoutingNode primary, bool async, CancellationToken cancellationToken)
    {
        MySqlConnection connection;
        try
        {
            connection = await ReplicaRoutingConnection.OpenFromPoolAsync(primary, entityFramework: false, async, cancellationToken).ConfigureAwait(false);
        }
        catch (MySqlException ex) when (ServerErrors.IsConnectionFailure(ex) && !cancellationToken.IsCancellationRequested)
        {
            Monitor.RequestRefresh();
            throw new PrimaryUnavailableException($"Could not connect to the primary {primary.Endpoint}: {ex.Message}", ex);
        }

        await using (connection.ConfigureAwait(false))
        {
            var cluster = Cluster;
            var sentAt = Configuration.TimeProvider.GetTimestamp();
            var dialect = cluster.ObserveServerVersion(connection.ServerVersion);
            var query = new MySqlCommand(dialect.PrimaryPositionSql, connection);
            await using var disposeQuery = query.ConfigureAwait(false);
            var text = async ? await query.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) : query.ExecuteScalar();
            if (text is string value && GtidPosition.TryParse(dialect.Flavor, value, out var position) && !position.IsEmpty)
                cluster.ObservePrimaryPosition(position, observedSince: sentAt);
        }
    }


    /// <summary>
    /// Makes sure a position of the primary read after <paramref name="since"/> (a <see cref="TimeProvider"/> timestamp) is
    /// known, reading one if none is (shared with the reads others need meanwhile). Unknown when no primary is reachable.
    /// </summary>
    internal async ValueTask EnsurePrimaryPositionSinceAsync(long since, bool async)
    {
        if (Monitor.Snapshot.Writer is not { } writer)
            return;
        try
        {
            await Cluster.PrimaryPositionRefresh.RunAsync(
                () => Cluster.PrimaryPositionSince(since) is not null,
                (async, token) => RefreshPrimaryPositionAsync(writer, async, token),
                async,
                CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is MySqlException or PrimaryUnavailableException)
        {
            // No primary now: the floor stays as it was (the next unit of work's reads that move go to the primary anyway).
        }
    }

    /// <summary>
    /// The unit of work of every command run outside a session (<see cref="SessionlessReads.DataSource"/>): the merged position
    /// of the writes this data source made outside sessions, which its sessionless reads must see. Never ambient, never carried.
    /// </summary>
    internal RoutingSession SessionlessSession { get; }

    internal GtidPosition? EmptyPosition => Cluster.EmptyPosition;

    /// <summary>Gets the primary's connection string, without its password.</summary>
    public override string ConnectionString => _connectionString;

    /// <summary>Gets the consistency mode in force.</summary>
    public ReadConsistency Consistency => Configuration.Consistency;

    /// <summary>
    /// Gets what this data source knows about its servers now: each node's role, state, lag and GTID position, and which node
    /// takes writes. The topology monitor replaces it after every probe (by default each second) once it has started: with the
    /// host under dependency injection, else with the first connection opened.
    /// </summary>
    public TopologySnapshot Topology => Monitor.Snapshot;

    /// <summary>Probes every server now (whether or not the background monitor runs) and returns the new topology.</summary>
    /// <param name="cancellationToken">A token to cancel the probe.</param>
    /// <returns>The snapshot published by this probe.</returns>
    public Task<TopologySnapshot> RefreshTopologyAsync(CancellationToken cancellationToken = default) => Monitor.ProbeAsync(cancellationToken);

    /// <summary>
    /// Checks every server against the operational checklist for safe replica reads and failovers: GTIDs on, ROW binary
    /// logs, replicas read-only (and super_read_only), replicas logging what they apply, durable commits, binary log
    /// retention, replication errors and threads, parallel apply, semi-sync downgraded to async. Connects to each server once.
    /// </summary>
    /// <param name="options">What to check against (binary log retention versus the longest replica downtime), or null for the defaults.</param>
    /// <param name="cancellationToken">A token to cancel the audit.</param>
    /// <returns>The problems found, most severe first; empty when there are none.</returns>
    public Task<IReadOnlyList<TopologyFinding>> AuditTopologyAsync(TopologyAuditOptions? options = null, CancellationToken cancellationToken = default)
    {
        var writer = Topology.Writer ?? Configuration.Primary;
        var targets = Configuration.Nodes.Select(n => new TopologyAudit.AuditTarget(n.Endpoint, n.DataSource, n == writer)).ToArray();
        return TopologyAudit.RunAsync(targets, options ?? new TopologyAuditOptions(), cancellationToken);
    }

    /// <summary>Starts the background topology monitor if it is enabled and not running yet (the DI host and the first connection call this).</summary>
    internal void StartMonitoring() => Monitor.EnsureStarted();

    /// <summary>
    /// Begins an empty unit of work (a job, a message, a request without ASP.NET integration) and makes it the ambient
    /// <see cref="RoutingSession.Current"/> until it is disposed.
    /// </summary>
    /// <returns>The new session; dispose it to end the unit of work.</returns>
    public RoutingSession BeginSession() => new(this, restored: null, ambient: true);

    /// <summary>
    /// Begins a unit of work restored from a token, so its reads see the writes the token carries, and makes it the
    /// ambient <see cref="RoutingSession.Current"/> until it is disposed. A token from another cluster, an expired one,
    /// or one of the wrong server flavor is ignored (logged, never thrown): the session then starts empty.
    /// </summary>
    /// <param name="token">A token saved from <see cref="RoutingSession.Token"/> earlier, or <see langword="null"/> for none.</param>
    /// <returns>The new session; dispose it to end the unit of work.</returns>
    public RoutingSession BeginSession(ConsistencyToken? token) => new(this, Validate(token), ambient: true);

    /// <summary>
    /// Begins a unit of work restored from a token's text form. Malformed, truncated or oversized text is ignored
    /// (logged, never thrown), as are foreign and expired tokens.
    /// </summary>
    /// <param name="token">The text of <see cref="RoutingSession.Token"/>, or <see langword="null"/> or empty for none.</param>
    /// <returns>The new session; dispose it to end the unit of work.</returns>
    public RoutingSession BeginSession(string? token)
    {
        if (string.IsNullOrEmpty(token))
            return BeginSession();
        if (ConsistencyToken.TryParse(token, out var parsed))
            return BeginSession(parsed);
        Log.TokenMalformed(Configuration.Logger, token.Length);
        Telemetry.TokenIgnored(ClusterId, "malformed");
        return BeginSession();
    }

    /// <summary>
    /// Runs one unit of work outside ASP.NET Core (a job, a message handler, a hosted service's iteration) in a session
    /// restored from <paramref name="token"/>: everything <paramref name="work"/> runs, including DI scopes and contexts it
    /// creates, sees the token's writes and each other's. The session is current for <paramref name="work"/> only, so it
    /// cannot leak to the caller, nor be lost the way a session begun in an async helper is.
    /// </summary>
    /// <param name="token">The text of a token handed on by the previous unit of work (a message header, a queue row), or <see langword="null"/>.</param>
    /// <param name="work">The unit of work.</param>
    /// <returns>The token to hand on to the next unit of work, or <see langword="null"/> when nothing was written nor restored.</returns>
    public async Task<string?> RunInSessionAsync(string? token, Func<RoutingSession, Task> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        using var session = BeginSession(token);
        await work(session).ConfigureAwait(false);
        return session.Token?.ToString();
    }

    /// <summary>Creates a closed connection. Physical connections are taken from the node pools only when a command needs them.</summary>
    /// <returns>A new connection.</returns>
    public new ReplicaRoutingConnection CreateConnection() => new(this);

    /// <summary>Creates and opens a connection.</summary>
    /// <returns>An open connection.</returns>
    public new ReplicaRoutingConnection OpenConnection()
    {
        var connection = CreateConnection();
        connection.Open();
        return connection;
    }

    /// <summary>Creates and opens a connection.</summary>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>An open connection.</returns>
    public new async ValueTask<ReplicaRoutingConnection> OpenConnectionAsync(CancellationToken cancellationToken = default)
    {
        var connection = CreateConnection();
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        return connection;
    }

    /// <summary>Returns the token when this data source may honour it, else null with a log line saying why.</summary>
    private ConsistencyToken? Validate(ConsistencyToken? token)
    {
        if (token is null)
            return null;

        var logger = Configuration.Logger;
        if (!string.Equals(token.ClusterId, ClusterId, StringComparison.Ordinal))
        {
            Log.TokenForeign(logger, token.ClusterId, ClusterId);
            Telemetry.TokenIgnored(ClusterId, "foreign");
            return null;
        }

        if (Cluster.Dialect is { } dialect && dialect.Flavor != token.Flavor)
        {
            Log.TokenWrongFlavor(logger, token.Flavor, dialect.Flavor);
            Telemetry.TokenIgnored(ClusterId, "wrong_flavor");
            return null;
        }

        var now = Configuration.TimeProvider.GetUtcNow();
        var age = now - token.IssuedAt;
        if (age > Configuration.TokenLifetime || age < -RoutingDefaults.TokenClockSkew)
        {
            Log.TokenExpired(logger, token.IssuedAt, Configuration.TokenLifetime);
            Telemetry.TokenIgnored(ClusterId, "expired");
            return null;
        }

        return token;
    }

    /// <inheritdoc />
    protected override DbConnection CreateDbConnection() => CreateConnection();

    /// <inheritdoc />
    protected override DbConnection OpenDbConnection() => OpenConnection();

    /// <inheritdoc />
    protected override async ValueTask<DbConnection> OpenDbConnectionAsync(CancellationToken cancellationToken = default) =>
        await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Monitor.DisposeAsync().AsTask().GetAwaiter().GetResult();
            foreach (var node in Configuration.Nodes)
                node.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <inheritdoc />
    protected override async ValueTask DisposeAsyncCore()
    {
        await Monitor.DisposeAsync().ConfigureAwait(false);
        foreach (var node in Configuration.Nodes)
            await node.DataSource.DisposeAsync().ConfigureAwait(false);   // after the monitor: it no longer swaps pools
        await base.DisposeAsyncCore().ConfigureAwait(false);
    }
}
