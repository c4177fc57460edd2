using System.Data;
using System.Data.Common;
using MySqlConnector;
using Polly.CircuitBreaker;
using ReplicaRouting.Internal;

namespace ReplicaRouting;

/// <summary>
/// A logical connection that sends each command to the primary or to a replica. Opening it takes no physical
/// connection: one is taken from a node's pool the first time a command is routed there, and all are returned
/// when this connection closes. Like any <see cref="DbConnection"/>, it is not safe for concurrent use.
/// </summary>
public sealed partial class ReplicaRoutingConnection : DbConnection
{
    // Not readonly: a connection created from a connection string is bound to its data source late (at Open, see
    // ReplicaRoutingConnection.Provider.cs, Bind), and again after its ConnectionString changes while closed.
    private RoutingConfiguration _configuration;
    private MySqlConnection?[] _physical;   // one slot per node (index 0 = primary), filled lazily
    private MySqlCommand?[] _commands;      // per node: a MySqlConnector command that commands borrow to run as written
    private ConnectionState _state;
    private ConnectionPin _pin;
    private bool _pinEndsWithTransaction;   // the open API transaction pinned a free connection
    private bool _holdsSessionState;        // session state was created on the primary since the connection was last free
    private RoutingNode? _readOnlyTransactionNode;
    private bool _readOnlyTransactionOnPrimary;
    private RoutingNode? _previousNode;          // where the previous statement ran: ROW_COUNT(), SHOW WARNINGS … run there too
    private RoutingNode? _uncapturedWriteNode;   // the primary whose session ran writes whose GTID has not been read yet
    private RoutingSession? _uncapturedSession;  // the session those writes belong to
    private int _openReaders;   // readers of ours not closed yet: like MySqlConnector, nothing else may run meanwhile
    private int _openings;      // how many times this connection was opened: a reader closed after its connection was closed counts for nothing
    private System.Transactions.Transaction? _enlisted;   // the ambient transaction the primary's connection joined
    private RoutingSession? _enlistedSession;              // the session told when that transaction commits
    private RoutingNode? _pinnedPrimary;   // where primary-pinned state lives (the primary at the time it was created)
    private ReplicaRoutingTransaction? _transaction;
    private RoutingSession? _implicitSession;   // read-your-writes for this connection's own commands when no session is ambient
    private bool _holdsPrimaryFallback;         // holds one of MaxConcurrentPrimaryFallbacks until it closes
    private RoutingSession? _boundSession;      // set explicitly: wins over the ambient one
    private readonly ReadHistory _ownReads = new();   // Causal: what this connection's reads outside any session have seen
    private ReadHistory? _readInFlight;         // Causal: the history of the read routed last, told when it ends
    private bool _disposed;

    internal ReplicaRoutingConnection(ReplicaRoutingDataSource dataSource) => Bind(dataSource);

    /// <summary>Gets where the most recent command on this connection was sent, and why; <see langword="null"/> before the first command.</summary>
    public RoutingDecision? LastRoutingDecision { get; private set; }

    /// <summary>
    /// Gets or sets the unit of work this connection's commands belong to, bound explicitly; <see langword="null"/> (the
    /// default) means the ambient <see cref="RoutingSession.Current"/>. Bind a session when it cannot be ambient where the
    /// commands run: one begun in another async flow (an async helper that returned it), or handed to a component that
    /// must not depend on <see cref="AsyncLocal{T}"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The session belongs to another data source's cluster.</exception>
    public RoutingSession? Session
    {
        get => _boundSession;
        set
        {
            if (value is not null && !string.Equals(value.DataSource.ClusterId, DataSourceOwner.ClusterId, StringComparison.Ordinal))
                throw new ArgumentException($"The session belongs to the cluster '{value.DataSource.ClusterId}', this connection to '{DataSourceOwner.ClusterId}'.", nameof(value));
            value?.MarkBound();
            _boundSession = value;
        }
    }

    /// <summary>Gets the primary's server version (opens the primary's physical connection if needed).</summary>
    public override string ServerVersion
    {
        get
        {
            EnsureOpen();
            return GetOpenPhysicalAsync(_pinnedPrimary ?? Writer(), asPrimary: true, async: false, CancellationToken.None).GetAwaiter().GetResult().ServerVersion;
        }
    }

    /// <inheritdoc />
    public override ConnectionState State => _state;

    /// <inheritdoc />
    public override bool CanCreateBatch => true;

    /// <summary>
    /// Opens the connection. No physical connection is taken yet, except inside a <see cref="System.Transactions.TransactionScope"/>:
    /// then the primary's is opened and enlisted at once, as MySqlConnector enlists its connection (<c>AutoEnlist</c>), and every
    /// command of this connection runs there.
    /// </summary>
    public override void Open() => OpenAsyncCore(async: false, CancellationToken.None).GetAwaiter().GetResult();

    /// <inheritdoc cref="Open" />
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    public override Task OpenAsync(CancellationToken cancellationToken) =>
        cancellationToken.IsCancellationRequested ? Task.FromCanceled(cancellationToken) : OpenAsyncCore(async: true, cancellationToken).AsTask();

    /// <summary>
    /// Enlists in <paramref name="transaction"/>: the primary's physical connection joins it, and every command of this connection
    /// runs on the primary from now on (a distributed transaction lives on one session).
    /// </summary>
    /// <param name="transaction">The transaction to enlist in.</param>
    public override void EnlistTransaction(System.Transactions.Transaction? transaction)
    {
        EnsureOpen();
        if (transaction is not null)
            EnlistAsync(transaction, async: false, CancellationToken.None).GetAwaiter().GetResult();
    }

    /// <summary>
    /// The primary's physical <see cref="MySqlConnection"/>, for what needs MySqlConnector's own type (<see cref="MySqlBulkCopy"/>,
    /// <see cref="MySqlBulkLoader"/>). It belongs to this connection: do not close or dispose it. This connection is pinned to the
    /// primary from now on (what runs there may leave state behind) and counts what runs there as writes of the session.
    /// </summary>
    /// <returns>The open physical connection to the primary.</returns>
    public MySqlConnection GetPrimaryConnection() => GetPrimaryConnectionAsync(async: false, CancellationToken.None).GetAwaiter().GetResult();

    /// <inheritdoc cref="GetPrimaryConnection" />
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    public ValueTask<MySqlConnection> GetPrimaryConnectionAsync(CancellationToken cancellationToken = default) =>
        GetPrimaryConnectionAsync(async: true, cancellationToken);

    /// <inheritdoc />
    public override void Close() => CloseAsyncCore(async: false).GetAwaiter().GetResult();

    /// <inheritdoc />
    public override Task CloseAsync() => CloseAsyncCore(async: true).AsTask();

    /// <summary>Switches the database on the primary session and pins this connection to the primary (a <c>USE</c> is session state).</summary>
    /// <param name="databaseName">The database to use.</param>
    public override void ChangeDatabase(string databaseName)
    {
        EnsureNotBusy();
        var node = _pinnedPrimary ?? Writer();
        var primary = GetOpenPhysicalAsync(node, asPrimary: true, async: false, CancellationToken.None).GetAwaiter().GetResult();
        primary.ChangeDatabase(databaseName);
        Pin(ConnectionPin.SessionState, node);
    }

    /// <summary>Begins a transaction; a read-only one may run on a replica.</summary>
    /// <param name="isolationLevel">The isolation level.</param>
    /// <param name="isReadOnly">Whether the transaction is read-only (<c>START TRANSACTION READ ONLY</c>).</param>
    /// <returns>The transaction.</returns>
    public ReplicaRoutingTransaction BeginTransaction(IsolationLevel isolationLevel, bool isReadOnly) =>
        BeginTransactionAsyncCore(isolationLevel, isReadOnly, async: false, CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>Begins a transaction; a read-only one may run on a replica.</summary>
    /// <param name="isolationLevel">The isolation level.</param>
    /// <param name="isReadOnly">Whether the transaction is read-only (<c>START TRANSACTION READ ONLY</c>).</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The transaction.</returns>
    public ValueTask<ReplicaRoutingTransaction> BeginTransactionAsync(IsolationLevel isolationLevel, bool isReadOnly, CancellationToken cancellationToken = default) =>
        BeginTransactionAsyncCore(isolationLevel, isReadOnly, async: true, cancellationToken);

    /// <summary>Creates a command on this connection.</summary>
    /// <returns>A new command.</returns>
    public new ReplicaRoutingCommand CreateCommand() => new(null, this);

    /// <summary>
    /// The node's reusable MySqlConnector command, pointed at <paramref name="physical"/>; a new one while it is lent out
    /// (a reader of another command still open on the node). Give it back with <see cref="ReturnCommand"/>.
    /// </summary>
    internal MySqlCommand BorrowCommand(RoutingNode node, MySqlConnection physical)
    {
        var command = Interlocked.Exchange(ref _commands[node.Index], null) ?? new MySqlCommand();
        command.Connection = physical;
        return command;
    }

    /// <summary>Takes a borrowed command back, emptied: it no longer refers to the caller's parameters.</summary>
    internal void ReturnCommand(RoutingNode node, MySqlCommand command)
    {
        command.Parameters.Clear();
        command.Transaction = null;
        Interlocked.CompareExchange(ref _commands[node.Index], command, null);
    }

    /// <summary>Creates a batch on this connection.</summary>
    /// <returns>A new batch.</returns>
    public new ReplicaRoutingBatch CreateBatch() => new(this);

    /// <inheritdoc />
    protected override DbCommand CreateDbCommand() => CreateCommand();

    /// <inheritdoc />
    protected override DbBatch CreateDbBatch() => CreateBatch();

    /// <inheritdoc />
    protected override DbTransaction BeginDbTransaction(IsolationLevel isolationLevel) => BeginTransaction(isolationLevel, isReadOnly: false);

    /// <inheritdoc />
    protected override async ValueTask<DbTransaction> BeginDbTransactionAsync(IsolationLevel isolationLevel, CancellationToken cancellationToken) =>
        await BeginTransactionAsyncCore(isolationLevel, isReadOnly: false, async: true, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            Close();
            _disposed = true;
        }

        base.Dispose(disposing);
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        if (!_disposed)
        {
            await CloseAsyncCore(async: true).ConfigureAwait(false);
            _disposed = true;
        }

        base.Dispose(disposing: true);   // Component's part of Dispose, as MySqlConnection does: raises Disposed
        GC.SuppressFinalize(this);
    }

    /// <summary>
    /// Set by the EF Core integration on the connections it creates: physical connections come from the nodes' pools for EF
    /// (<see cref="RoutingNode.EntityFrameworkDataSource"/>), with the options Pomelo's SQL needs.
    /// </summary>
    internal bool UsesEntityFrameworkPools { get; set; }

    /// <summary>The endpoint that holds this connection's primary-pinned state (its transaction), or null.</summary>
    internal string? PinnedPrimaryEndpoint => _pinnedPrimary?.Endpoint;

    internal ServerDialect Dialect => DataSourceOwner.Cluster.Dialect
        ?? throw new InvalidOperationException("The server flavor is known once a node has been connected to.");

    internal CausalReadPolicy CausalReadPolicy => _configuration.CausalReadPolicy;

    /// <summary>How long a causal wait may take: the budget of the waits Adaptive chooses, else the causal read timeout.</summary>
    internal TimeSpan CausalWaitTimeout => _configuration.CausalReadPolicy == CausalReadPolicy.Adaptive ? _configuration.CausalWaitBudget : _configuration.CausalReadTimeout;

    /// <summary>The wait's timeout parameter, boxed once per data source rather than per causal read.</summary>
    internal object CausalWaitTimeoutSeconds => _configuration.CausalReadPolicy == CausalReadPolicy.Adaptive ? _configuration.CausalWaitBudgetSeconds : _configuration.CausalReadTimeoutSeconds;

    internal string ClusterId => _configuration.ClusterId;

    /// <summary>The data source's caps on causal waits and primary fallbacks.</summary>
    internal LoadShedding Shedding => DataSourceOwner.Shedding;

    /// <summary>
    /// Chooses the node for one command (or batch, or transaction start), applies the statement's session effects,
    /// and says what must ride along in its round trip (a GTID wait or capture).
    /// </summary>
    /// <summary>How long after routing a routine's DDL the catalog is reloaded: by then the DDL has run.</summary>
    private static readonly TimeSpan RoutineDdlSettleTime = TimeSpan.FromMilliseconds(500);

    internal async ValueTask<Route> RouteAsync(SqlClassification statement, RoutingHint hint, bool async, CancellationToken cancellationToken)
    {
        EnsureNotBusy();
        if ((statement.Effects & SessionEffects.ChangesRoutines) != 0)
            DataSourceOwner.Cluster.RoutinesChanged(RoutineDdlSettleTime);
        // Sent to the primary by the caller's own hint: the statement may write (SELECT f_write()), so it is tracked like a write.
        var hintedToPrimary = hint == RoutingHint.ReadFromPrimary || statement.Hint == SqlHint.ReadFromPrimary;
        if (hint == RoutingHint.None && AmbientSession() is { ReadsFromPrimary: true })
            hint = RoutingHint.ReadFromPrimary;   // the unit of work reads from the primary (endpoint metadata)
        if (hint == RoutingHint.None && statement.AllowsStale)
            hint = RoutingHint.ReadFromAnyReplica;   // "stale up to N is fine": the session's writes do not matter, freshness does

        var session = CurrentSession();
        var requirement = session is not null && _pin == ConnectionPin.None && !hintedToPrimary && hint != RoutingHint.ReadFromAnyReplica
            && (statement.Effects & SessionEffects.ReadsPreviousStatement) == 0
            && (statement.IsReplicaEligible || (statement.Effects & SessionEffects.BeginsReadOnlyTransaction) != 0)
            ? await EvaluateRequirementAsync(session, async, cancellationToken).ConfigureAwait(false)
            : SessionRequirement.None;
        var startsReadOnlyTransaction = (statement.Effects & SessionEffects.BeginsReadOnlyTransaction) != 0;
        var reads = (statement.IsReplicaEligible || startsReadOnlyTransaction) && hint != RoutingHint.ReadFromAnyReplica ? CausalReads() : null;
        _readInFlight = reads;
        var previousOnReplica = _previousNode is { } previous && LastRoutingDecision?.Target == RouteTarget.Replica && _physical[previous.Index] is { State: ConnectionState.Open };
        var (target, reason) = Router.Decide(new RoutingFacts(statement, hint, _pin, _configuration.Consistency, requirement, previousOnReplica));

        RoutingNode node;
        MySqlConnection connection;
        var action = CausalAction.None;
        GtidPosition? waitFor = null;
        var writeAge = TimeSpan.Zero;
        var onPrimary = false;
        if (_pin == ConnectionPin.ReadOnlyTransaction)
        {
            node = _readOnlyTransactionNode!;
            onPrimary = _readOnlyTransactionOnPrimary;
            connection = await GetPinnedPhysicalAsync(node, asPrimary: onPrimary, async, cancellationToken).ConfigureAwait(false);
        }
        else if (reason == RoutingReason.PreviousStatement && target == RouteTarget.Replica)
        {
            node = _previousNode!;   // the replica that ran the previous statement, on the same physical connection
            connection = _physical[node.Index]!;
        }
        else if (target == RouteTarget.Primary)
        {
            // Pinned state lives on the node that was the primary when it was created, even if writes moved since.
            onPrimary = true;
            node = _pinnedPrimary ?? Writer();
            connection = _pin == ConnectionPin.None
                ? await GetOpenPhysicalAsync(node, asPrimary: true, async, cancellationToken).ConfigureAwait(false)
                : await GetPinnedPhysicalAsync(node, asPrimary: true, async, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            // The session's position may have been dropped meanwhile (a concurrent check): then any replica will do.
            var required = reason == RoutingReason.CausalRead ? session!.Position : null;
            writeAge = required is null ? default : WriteAge(session!.Snapshot);
            var maxStaleness = MaxStalenessOf(statement);
            RoutingNode? sticky = null;
            var floorUnknown = false;
            if (reads is not null)
            {
                // Causal: stay on the last read's replica while it is readable (its state only grows); a read that moves must
                // see what the earlier reads saw, which only the primary surely has until a position read since is known.
                var now = _configuration.TimeProvider.GetUtcNow();
                var (last, floor, floorAt, floorKnown) = reads.Plan(DataSourceOwner.Cluster, now);
                if (last is not null && last.IsReadable && Array.IndexOf(DataSourceOwner.Monitor.Snapshot.Readers, last) >= 0)
                    sticky = last;
                else if (!floorKnown || (startsReadOnlyTransaction && floor is not null))
                    floorUnknown = true;   // a transaction start cannot carry a wait: it moves to the primary
                else if (floor is not null)
                    (required, writeAge, reason) = required is null ? (floor, now - floorAt, RoutingReason.CausalRead) : (required.Merge(floor), Min(writeAge, now - floorAt), reason);
            }

            bool needsWait, notCaughtUp;
            if (floorUnknown)
            {
                node = Writer();
                connection = await GetOpenPhysicalAsync(node, asPrimary: true, async, cancellationToken).ConfigureAwait(false);
                (needsWait, onPrimary, notCaughtUp) = (false, true, false);
                reason = RoutingReason.CausalFloorUnknown;
            }
            else
            {
                (node, connection, needsWait, onPrimary, notCaughtUp) = await GetReplicaAsync(required, writeAge, maxStaleness, exclude: null, sticky, async, cancellationToken).ConfigureAwait(false);
            }

            if (onPrimary && !floorUnknown)
            {
                // never wait on a primary: it has everything
                reason = notCaughtUp ? RoutingReason.ReplicasNotCaughtUp : maxStaleness is null ? RoutingReason.NoReplicaAvailable : RoutingReason.NoReplicaFreshEnough;
            }
            else if (needsWait)
            {
                action = CausalAction.Wait;
                waitFor = required;
            }
        }

        if (session is not null && onPrimary && (MayCommitWrite(statement) || hintedToPrimary))
            OnPrimaryWrite(session, node);
        reads?.Started(node, onPrimary);

        ApplySessionEffects(statement, node, onPrimary);
        var routedTo = onPrimary ? RouteTarget.Primary : RouteTarget.Replica;
        Routed(node, onPrimary, reason);
        Log.CommandRouted(_configuration.Logger, statement.Kind, routedTo, node.Endpoint, reason);
        Telemetry.CommandRouted(_configuration.ClusterId, routedTo, reason);
        if (reason is RoutingReason.NoReplicaAvailable or RoutingReason.NoReplicaFreshEnough or RoutingReason.ReplicasNotCaughtUp or RoutingReason.CausalFloorUnknown)
            Telemetry.PrimaryFallback(_configuration.ClusterId, reason);
        return new Route(node, connection, action, waitFor, onPrimary, statement, writeAge);
    }

    /// <summary>A causal read's wait timed out on <paramref name="replica"/>: the read runs on the primary, as written.</summary>
    internal async ValueTask<Route> RouteAfterWaitTimeoutAsync(RoutingNode replica, SqlClassification statement, bool async, CancellationToken cancellationToken)
    {
        Log.CausalWaitTimedOut(_configuration.Logger, replica.Endpoint, CausalWaitTimeout);
        return await RouteCausalFallbackAsync(statement, RoutingReason.CausalWaitTimedOut, async, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A causal read found MaxConcurrentCausalWaits waits running: it does not wait, it reads the primary.</summary>
    internal ValueTask<Route> RouteAfterShedWaitAsync(SqlClassification statement, bool async, CancellationToken cancellationToken) =>
        RouteCausalFallbackAsync(statement, RoutingReason.CausalWaitShed, async, cancellationToken);

    private async ValueTask<Route> RouteCausalFallbackAsync(SqlClassification statement, RoutingReason reason, bool async, CancellationToken cancellationToken)
    {
        var primary = Writer();
        BeginPrimaryFallback(primary);
        var connection = await GetOpenPhysicalAsync(primary, asPrimary: true, async, cancellationToken).ConfigureAwait(false);
        _readInFlight?.Started(primary, onPrimary: true);
        Routed(primary, onPrimary: true, reason);
        Telemetry.PrimaryFallback(_configuration.ClusterId, reason);
        return new Route(primary, connection, CausalAction.None, null, OnPrimary: true, statement);
    }

    /// <summary>
    /// A causal read gives up on the replicas and reads the primary: within MaxConcurrentPrimaryFallbacks connections (one slot
    /// held until this connection closes, as its primary connection is), unless this connection holds a primary connection already.
    /// </summary>
    private void BeginPrimaryFallback(RoutingNode primary)
    {
        if (HoldsPrimaryFallback(primary))
            return;
        DataSourceOwner.Shedding.BeginPrimaryFallback(primary);
        _holdsPrimaryFallback = true;
    }

    /// <summary><see cref="BeginPrimaryFallback"/>, or false (nothing sent, nothing thrown) when every slot is taken.</summary>
    private bool TryBeginPrimaryFallback(RoutingNode primary)
    {
        if (HoldsPrimaryFallback(primary))
            return true;
        _holdsPrimaryFallback = DataSourceOwner.Shedding.TryBeginPrimaryFallback();
        return _holdsPrimaryFallback;
    }

    private bool HoldsPrimaryFallback(RoutingNode primary) => _holdsPrimaryFallback || _physical[primary.Index] is { State: ConnectionState.Open };

    /// <summary>
    /// True when a read that failed on a replica before returning anything may run elsewhere: the replica's connection
    /// failed (not the statement), and nothing ties the read to that node.
    /// </summary>
    internal bool CanRetryElsewhere(Route route, Exception exception, CancellationToken cancellationToken) =>
        !route.OnPrimary && _pin == ConnectionPin.None && !cancellationToken.IsCancellationRequested
        && (exception is BrokenCircuitException || (exception is MySqlException failure && ServerErrors.IsConnectionFailure(failure)));

    /// <summary>
    /// True when a replica refused a statement routed as a read because it writes (<c>SELECT f()</c> of a stored function
    /// that modifies data): outside a read-only transaction, where the refusal is the answer.
    /// </summary>
    internal bool RefusedAsWrite(Route route, MySqlException exception, CancellationToken cancellationToken) =>
        !route.OnPrimary && _pin == ConnectionPin.None && !cancellationToken.IsCancellationRequested && ServerErrors.IsReadOnlyRefusal(exception);

    /// <summary>The statement a replica refused as a write runs on the primary, and counts as a write of the session.</summary>
    internal async ValueTask<Route> RouteRefusedReadAsync(Route refused, bool async, CancellationToken cancellationToken)
    {
        var primary = Writer();
        var connection = await GetOpenPhysicalAsync(primary, asPrimary: true, async, cancellationToken).ConfigureAwait(false);
        Log.ReadRefusedByReplica(_configuration.Logger, refused.Node.Endpoint, primary.Endpoint);
        DataSourceOwner.Cluster.RoutinesChanged(TimeSpan.Zero);   // a function may have started writing: learn it
        DataSourceOwner.Monitor.RequestRefresh();
        if (CurrentSession() is { } session)
            OnPrimaryWrite(session, primary);
        Routed(primary, onPrimary: true, RoutingReason.RefusedByReplica);
        Telemetry.CommandRouted(_configuration.ClusterId, RouteTarget.Primary, RoutingReason.RefusedByReplica);
        return new Route(primary, connection, CausalAction.None, null, OnPrimary: true, refused.Statement);
    }

    /// <summary>The read failed on <paramref name="failed"/>'s replica: the next replica, then the primary (never the same replica again).</summary>
    internal async ValueTask<Route> RouteRetryAsync(Route failed, Exception exception, bool async, CancellationToken cancellationToken)
    {
        var replica = failed.Node;
        replica.MarkUnavailable(_configuration.FailedReplicaBackoff);
        DiscardPhysical(replica);
        var maxStaleness = MaxStalenessOf(failed.Statement);
        // Causal: a read that leaves its replica must see what the earlier reads saw: the primary surely has it.
        var (node, connection, needsWait, onPrimary, notCaughtUp) = _readInFlight is not null
            ? (Writer(), await GetOpenPhysicalAsync(Writer(), asPrimary: true, async, cancellationToken).ConfigureAwait(false), false, true, false)
            : await GetReplicaAsync(failed.WaitFor, failed.WriteAge, maxStaleness, replica, only: null, async, cancellationToken).ConfigureAwait(false);
        _readInFlight?.Started(node, onPrimary);
        Log.ReplicaReadFailed(_configuration.Logger, exception, replica.Endpoint, node.Endpoint);
        var reason = onPrimary ? (notCaughtUp ? RoutingReason.ReplicasNotCaughtUp : RoutingReason.NoReplicaAvailable) : LastRoutingDecision?.Reason ?? RoutingReason.Read;
        Routed(node, onPrimary, reason);
        Telemetry.CommandRouted(_configuration.ClusterId, onPrimary ? RouteTarget.Primary : RouteTarget.Replica, reason);
        if (onPrimary)
            Telemetry.PrimaryFallback(_configuration.ClusterId, reason);
        return new Route(node, connection, needsWait ? CausalAction.Wait : CausalAction.None, needsWait ? failed.WaitFor : null, onPrimary, failed.Statement, failed.WriteAge);
    }

    /// <summary>
    /// A statement failed on the primary. A read-only refusal means it was demoted: the monitor stops sending writes there and
    /// looks for the new primary. A broken connection under an autocommit write or a COMMIT leaves its outcome unknown.
    /// </summary>
    internal Exception OnPrimaryFailure(Route route, MySqlException exception)
    {
        var monitor = DataSourceOwner.Monitor;
        if (ServerErrors.IsReadOnlyRefusal(exception))
        {
            monitor.ReportReadOnlyWriter(route.Node);
            return exception;
        }

        if (!ServerErrors.IsConnectionFailure(exception))
            return exception;
        monitor.RequestRefresh();
        var commits = route.Statement.Kind == StatementKind.TransactionControl
            ? (route.Statement.Effects & SessionEffects.EndsTransaction) != 0
            : _transaction is null && _pin != ConnectionPin.Transaction && MayCommitWrite(route.Statement);
        if (!commits)
            return exception;
        Log.WriteOutcomeUnknown(_configuration.Logger, exception, route.Node.Endpoint);
        return new CommitOutcomeUnknownException(
            $"The connection to the primary {route.Node.Endpoint} broke while a write was in flight: it may or may not have been committed. It was not retried.", exception);
    }

    /// <summary>The node writes go to now; fails fast (nothing sent) when the monitor knows of none.</summary>
    private RoutingNode Writer()
    {
        var topology = DataSourceOwner.Monitor.Snapshot;
        if (topology.Writer is { } writer && writer.Status.State != NodeState.Unreachable)
            return writer;
        throw new PrimaryUnavailableException(
            $"No primary is available: {topology.Problem ?? $"the primary {topology.Writer?.Endpoint} is unreachable ({topology.Writer?.Status.LastError})"}.");
    }

    /// <summary>How stale a replica read may be (bounded-staleness mode, or an AllowStale hint), or null for no bound.</summary>
    private TimeSpan? MaxStalenessOf(SqlClassification statement) =>
        statement.MaxStalenessMs > 0 ? TimeSpan.FromMilliseconds(statement.MaxStalenessMs)
        : _configuration.Consistency == ReadConsistency.BoundedStaleness ? _configuration.MaxStaleness
        : null;

    /// <summary>Where this connection's statement ran: a statement that reports on the previous one runs there too.</summary>
    private void Routed(RoutingNode node, bool onPrimary, RoutingReason reason)
    {
        _previousNode = node;
        LastRoutingDecision = new RoutingDecision(onPrimary ? RouteTarget.Primary : RouteTarget.Replica, reason, node.Endpoint);
    }

    /// <summary>
    /// A statement that may have committed a write runs on the primary. Its GTID is not read now: reading it after the
    /// statement would reset what the next statement may observe (<c>ROW_COUNT()</c>, <c>FOUND_ROWS()</c>, warnings), and a
    /// unit of work needs the position once, not per write. It is read when a read of this connection needs it, or when
    /// the connection closes (<see cref="CaptureUncapturedWritesAsync"/>); until then the session's reads go to the primary.
    /// </summary>
    internal void OnPrimaryWrite(RoutingSession session, RoutingNode primary)
    {
        if (_configuration.ReadYourWrites == ReadYourWritesStrategy.PrimaryAfterWrite)
        {
            session.RecordWrite(null);   // primary-after-write only needs the time
            return;
        }

        if (_enlisted is { } enlisted)
        {
            // The writes commit with the distributed transaction, after this connection may be gone: their GTID cannot be
            // read on this session. Reads go to the primary until then, and for a window after it commits.
            session.RecordWrite(null);
            if (_enlistedSession != session)
            {
                _enlistedSession = session;   // once per session: the transaction's end must tell it
                enlisted.TransactionCompleted += (_, completed) =>
                {
                    if (completed.Transaction?.TransactionInformation.Status == System.Transactions.TransactionStatus.Committed)
                        session.RecordWrite(null);
                };
            }

            return;
        }

        if (_uncapturedWriteNode is null)
        {
            _uncapturedSession = session;
            Volatile.Write(ref _uncapturedWriteNode, primary);
            session.BeginUncapturedWrite(this);
        }
        else if (_uncapturedWriteNode != primary || _uncapturedSession != session)
        {
            // Writes on two primaries (a failover in between) or for two sessions: one GTID read cannot stand for both.
            session.RecordWrite(null);
        }
        else
        {
            session.WroteAgain();   // its age decides whether a replica can have it yet
        }
    }

    /// <summary>
    /// Reads the GTID of this connection's writes on the primary session that ran them (one round trip) and hands it to their
    /// session. Runs where nothing can observe it: before a read that runs elsewhere, at close, and when the session's token
    /// is read (between commands).
    /// </summary>
    internal async ValueTask CaptureUncapturedWritesAsync(bool async, CancellationToken cancellationToken)
    {
        // Claimed atomically: the session's token may ask from another thread while this connection closes.
        var session = _uncapturedSession;
        if (Interlocked.Exchange(ref _uncapturedWriteNode, null) is not { } node || session is null)
            return;
        _uncapturedSession = null;

        string? text = null;
        var read = false;
        if (_physical[node.Index] is { State: ConnectionState.Open } physical)
        {
            try
            {
                var capture = new MySqlCommand(Dialect.CaptureSql, physical);
                await using var disposeCapture = capture.ConfigureAwait(false);
                text = (async ? await capture.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) : capture.ExecuteScalar()) as string;
                read = true;
            }
            catch (Exception ex) when (ex is MySqlException or InvalidOperationException && !cancellationToken.IsCancellationRequested)
            {
                // The primary session broke (or is busy with an open reader): the writes may have committed, position unknown.
            }
        }

        OnCaptured(session, read, text);
    }

    /// <summary>Hands a GTID read from the primary to <paramref name="session"/> (null or empty: the writes generated none).</summary>
    internal void OnCaptured(RoutingSession session, bool read, string? text)
    {
        GtidPosition? captured = null;
        var unknown = !read;
        try
        {
            (captured, unknown) = ParseCapture(read, text);
        }
        finally
        {
            session.EndUncapturedWrite(this, captured, unknown);
        }
    }

    /// <summary>What a captured GTID tells: a position, nothing written, or unknown (not read, or GTIDs are off).</summary>
    private (GtidPosition? Position, bool Unknown) ParseCapture(bool read, string? text)
    {
        var cluster = DataSourceOwner.Cluster;
        if (!read)
        {
            Telemetry.GtidCapture(_configuration.ClusterId, "unknown");
            return (null, true);
        }

        if (!string.IsNullOrEmpty(text) && cluster.Dialect is { } dialect && GtidPosition.TryParse(dialect.Flavor, text, out var position) && !position.IsEmpty)
        {
            cluster.ObservePrimaryPosition(position);
            Telemetry.GtidCapture(_configuration.ClusterId, "captured");
            return (position, false);
        }

        if (cluster.KnownPrimaryPosition is null)
        {
            // The primary has no GTID position at all (read when this data source first connected to it): GTIDs or
            // the binary log are off, so track writes by time instead.
            Telemetry.GtidCapture(_configuration.ClusterId, "unknown");
            if (cluster.ShouldLogCaptureWarning())
                Log.GtidCaptureUnavailable(_configuration.Logger, (_pinnedPrimary ?? DataSourceOwner.Topology.Writer ?? _configuration.Primary).Endpoint, _configuration.PrimaryAfterWriteWindow);
            return (null, true);
        }

        Telemetry.GtidCapture(_configuration.ClusterId, "nothing_written");   // the statements generated no GTID: there is nothing new to wait for
        return (null, false);
    }

    /// <summary>
    /// The bound or ambient session when it belongs to this cluster; outside any, the data source's sessionless one (or, with
    /// <see cref="SessionlessReads.Connection"/>, this connection's own); none when reads do not track sessions.
    /// </summary>
    private RoutingSession? CurrentSession()
    {
        if (!_configuration.TracksSessions)
            return null;
        return AmbientSession()
            ?? (_configuration.SessionlessReads == SessionlessReads.DataSource
                ? DataSourceOwner.SessionlessSession
                : _implicitSession ??= new RoutingSession(DataSourceOwner, restored: null, ambient: false));
    }

    /// <summary>The bound session, else the ambient one when it belongs to this connection's cluster (whatever the consistency mode).</summary>
    private RoutingSession? AmbientSession() =>
        _boundSession
        ?? (RoutingSession.Current is { } ambient && string.Equals(ambient.DataSource.ClusterId, DataSourceOwner.ClusterId, StringComparison.Ordinal)
            ? ambient
            : null);

    /// <summary>What the session asks of a replica-eligible read right now.</summary>
    private async ValueTask<SessionRequirement> EvaluateRequirementAsync(RoutingSession session, bool async, CancellationToken cancellationToken)
    {
        // Outside any session while no primary is writable (a failover under way): reads keep flowing from the replicas, which
        // hold the newest data there is. The data source's implicit promise yields to availability; a session's does not (its
        // reads that need the primary fail fast, as its writes do).
        if (session == DataSourceOwner.SessionlessSession && DataSourceOwner.Monitor.Snapshot.Writer is not { Status.State: not NodeState.Unreachable })
            return SessionRequirement.None;

        // This read runs elsewhere than this connection's writes: their GTID can be read now without anyone observing it. Unless
        // no replica can have them yet: then the read runs on the primary, and the GTID is read later, when it is worth a round trip.
        if (_uncapturedSession == session)
        {
            if (_configuration.CausalReadPolicy == CausalReadPolicy.Adaptive && !AnyReplicaExpectedToHaveApplied(WriteAge(session.Snapshot)))
                return SessionRequirement.NotYetOnReplicas;
            await CaptureUncapturedWritesAsync(async, cancellationToken).ConfigureAwait(false);
        }

        var state = session.Snapshot;
        if (state.UncapturedWrites > 0)
            return SessionRequirement.RecentWrite;   // another open connection of the session wrote: only the primary surely has it
        var now = _configuration.TimeProvider.GetUtcNow();
        if (_configuration.ReadYourWrites == ReadYourWritesStrategy.PrimaryAfterWrite)
            return Within(state.LastWriteAt) ? SessionRequirement.RecentWrite : SessionRequirement.None;
        if (Within(state.UnknownWriteAt))
            return SessionRequirement.RecentWrite;
        if (state.Position is not { IsEmpty: false } position)
            return SessionRequirement.None;
        if (!state.PositionVerified && !await VerifyAsync().ConfigureAwait(false))
            return SessionRequirement.None;
        return SessionRequirement.Position;

        async ValueTask<bool> VerifyAsync()
        {
            try
            {
                return await VerifyOnPrimaryAsync(session, position, async, cancellationToken).ConfigureAwait(false);
            }
            catch (PrimaryUnavailableException) when (session == DataSourceOwner.SessionlessSession)
            {
                return false;   // the primary just died (the monitor has not seen it yet): as while no primary is writable, above
            }
        }

        bool Within(DateTimeOffset? write) => write is { } at && now - at < _configuration.PrimaryAfterWriteWindow;
    }

    /// <summary>
    /// A restored position must exist on the current primary, or every read would wait out the timeout for it. Checked once
    /// per session: without a query when this process has seen the primary there, or already found it missing within the
    /// last interval; else by one read of the primary's position, shared with the checks that arrive meanwhile.
    /// </summary>
    private async ValueTask<bool> VerifyOnPrimaryAsync(RoutingSession session, GtidPosition position, bool async, CancellationToken cancellationToken)
    {
        var writer = Writer();
        var cluster = DataSourceOwner.Cluster;
        if (cluster.Dialect is not null && cluster.KnownPrimaryPosition is { } known && position.IsSatisfiedBy(known))
        {
            session.MarkPositionVerified(position);
            return true;
        }

        if (cluster.Dialect is not null && cluster.RejectedPositions.Contains(position))
        {
            if (cluster.RejectedReport.ShouldReport(out var count))
                Log.TokenPositionStillNotOnPrimary(_configuration.Logger, count, cluster.RejectedPositions.Interval);
            Telemetry.TokenIgnored(_configuration.ClusterId, "not_on_primary");
            session.DropPosition(position);
            return false;
        }

        // The check that reads the position also records a miss before anyone waiting for it looks again: a burst of one
        // replayed token then costs one read, not one per request.
        var missedHere = false;
        await cluster.PrimaryPositionRefresh.RunAsync(
            () => cluster.KnownPrimaryPosition is { } seen && position.IsSatisfiedBy(seen) || cluster.RejectedPositions.Contains(position),
            async (async, token) =>
            {
                await RefreshPrimaryPositionAsync(writer, async, token).ConfigureAwait(false);
                if (position.Flavor == Dialect.Flavor && !(cluster.KnownPrimaryPosition is { } read && position.IsSatisfiedBy(read)))
                {
                    cluster.RejectedPositions.Add(position);
                    missedHere = true;
                }
            },
            async,
            cancellationToken).ConfigureAwait(false);

        if (position.Flavor != Dialect.Flavor)
        {
            Log.TokenWrongFlavor(_configuration.Logger, position.Flavor, Dialect.Flavor);
            Telemetry.TokenIgnored(_configuration.ClusterId, "wrong_flavor");
            session.DropPosition(position);
            return false;
        }

        if (cluster.KnownPrimaryPosition is { } now && position.IsSatisfiedBy(now))
        {
            session.MarkPositionVerified(position);
            return true;
        }

        if (!cluster.RejectedPositions.Contains(position))
        {
            cluster.RejectedPositions.Add(position);   // checked by a read run for another position
            missedHere = true;
        }

        if (missedHere)
            Log.TokenPositionNotOnPrimary(_configuration.Logger, writer.Endpoint);   // once per check; replays are reported as 1206
        Telemetry.TokenIgnored(_configuration.ClusterId, "not_on_primary");
        session.DropPosition(position);
        return false;
    }

    /// <summary>Statements whose success may have committed a write the session must later see.</summary>
    private static bool MayCommitWrite(SqlClassification statement) => statement.Kind switch
    {
        StatementKind.Write or StatementKind.Unknown or StatementKind.SideEffectFunction => true,
        StatementKind.TransactionControl => (statement.Effects & SessionEffects.EndsTransaction) != 0,
        _ => false,
    };

    internal void OnTransactionCompleted(ReplicaRoutingTransaction transaction)
    {
        if (_transaction != transaction)
            return;
        _transaction = null;

        // Its end is known exactly (unlike SQL-text transactions): a connection it pinned is free again, and the writes it
        // committed are captured before a read leaves the primary, as an autocommit write's are.
        if (_pin == ConnectionPin.ReadOnlyTransaction || (_pin == ConnectionPin.Transaction && _pinEndsWithTransaction && !_holdsSessionState))
            Unpin();
        else if (_pin == ConnectionPin.Transaction && _pinEndsWithTransaction)
            _pin = ConnectionPin.SessionState;   // a temporary table, user variable, lock … outlives the transaction
        _pinEndsWithTransaction = false;
    }

    private async ValueTask OpenAsyncCore(bool async, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_state != ConnectionState.Closed)
            throw new InvalidOperationException($"Cannot Open when State is {_state}.");
        BindConnectionString();
        // The same state changes as MySqlConnector's connection: Closed → Connecting → Open.
        _state = ConnectionState.Connecting;
        OnStateChange(new StateChangeEventArgs(ConnectionState.Closed, ConnectionState.Connecting));
        _state = ConnectionState.Open;
        DataSourceOwner.StartMonitoring();
        if (System.Transactions.Transaction.Current is { } ambient && (_pinnedPrimary ?? Writer()).EnlistsInAmbientTransactions)
        {
            try
            {
                await EnlistAsync(ambient, async, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await CloseAsyncCore(async, raiseStateChange: false).ConfigureAwait(false);
                throw;
            }
        }

        OnStateChange(new StateChangeEventArgs(ConnectionState.Connecting, ConnectionState.Open));
    }

    private async ValueTask EnlistAsync(System.Transactions.Transaction transaction, bool async, CancellationToken cancellationToken)
    {
        var node = _pinnedPrimary ?? Writer();
        var primary = await GetOpenPhysicalAsync(node, asPrimary: true, async, cancellationToken).ConfigureAwait(false);
        primary.EnlistTransaction(transaction);
        Pin(ConnectionPin.Transaction, node);
        _enlisted = transaction;
    }

    private async ValueTask<MySqlConnection> GetPrimaryConnectionAsync(bool async, CancellationToken cancellationToken)
    {
        EnsureOpen();
        var node = _pinnedPrimary ?? Writer();
        var primary = _pin == ConnectionPin.None
            ? await GetOpenPhysicalAsync(node, asPrimary: true, async, cancellationToken).ConfigureAwait(false)
            : await GetPinnedPhysicalAsync(node, asPrimary: true, async, cancellationToken).ConfigureAwait(false);
        Pin(ConnectionPin.SessionState, node);
        if (CurrentSession() is { } session)
            OnPrimaryWrite(session, node);
        Routed(node, onPrimary: true, RoutingReason.SessionState);
        return primary;
    }

    private ValueTask CloseAsyncCore(bool async) => CloseAsyncCore(async, raiseStateChange: true);

    private async ValueTask CloseAsyncCore(bool async, bool raiseStateChange)
    {
        if (_state == ConnectionState.Closed)
            return;

        if (_transaction is { } transaction)
        {
            if (async)
                await transaction.DisposeAsync().ConfigureAwait(false);
            else
                transaction.Dispose();
        }

        await CaptureUncapturedWritesAsync(async, CancellationToken.None).ConfigureAwait(false);
        Array.Clear(_commands);
        for (var i = 0; i < _physical.Length; i++)
        {
            if (_physical[i] is not { } physical)
                continue;
            _physical[i] = null;
            if (async)
                await physical.DisposeAsync().ConfigureAwait(false);
            else
                physical.Dispose();
        }

        if (_holdsPrimaryFallback)
        {
            _holdsPrimaryFallback = false;
            DataSourceOwner.Shedding.EndPrimaryFallback();
        }

        Unpin();
        _previousNode = null;
        _openReaders = 0;
        _openings++;
        _enlisted = null;
        _enlistedSession = null;
        _state = ConnectionState.Closed;
        if (raiseStateChange)
            OnStateChange(new StateChangeEventArgs(ConnectionState.Open, ConnectionState.Closed));
    }

    private async ValueTask<ReplicaRoutingTransaction> BeginTransactionAsyncCore(IsolationLevel isolationLevel, bool isReadOnly, bool async, CancellationToken cancellationToken)
    {
        EnsureOpen();
        if (_transaction is not null)
            throw new InvalidOperationException("Transactions may not be nested.");

        // Route the transaction start like the equivalent SQL so the API and SQL-text paths pin identically.
        var start = isReadOnly
            ? new SqlClassification(StatementKind.TransactionControl, SessionEffects.BeginsReadOnlyTransaction, SqlHint.None)
            : new SqlClassification(StatementKind.TransactionControl, SessionEffects.PinsToPrimary, SqlHint.None);
        var wasFree = _pin == ConnectionPin.None;
        var (node, connection, _, _, _, _, _) = await RouteAsync(start, RoutingHint.None, async, cancellationToken).ConfigureAwait(false);
        _pinEndsWithTransaction = wasFree && _pin == ConnectionPin.Transaction && _enlisted is null;
        try
        {
            var inner = async
                ? await connection.BeginTransactionAsync(isolationLevel, isReadOnly, cancellationToken).ConfigureAwait(false)
                : connection.BeginTransaction(isolationLevel, isReadOnly);
            _transaction = new ReplicaRoutingTransaction(this, inner);
            return _transaction;
        }
        catch when (_pin == ConnectionPin.ReadOnlyTransaction && _readOnlyTransactionNode == node)
        {
            Unpin();   // the read-only transaction never started: nothing ties us to that node
            throw;
        }
        catch (Exception ex) when (_pin == ConnectionPin.Transaction && ServerErrors.IsConnectionFailure(ex) && !cancellationToken.IsCancellationRequested)
        {
            // The primary died under BEGIN: no transaction started, so nothing ran; say so with the type callers retry.
            Unpin();
            DiscardPhysical(node);
            DataSourceOwner.Monitor.RequestRefresh();
            throw new PrimaryUnavailableException($"The connection to the primary {node.Endpoint} broke while starting a transaction: nothing ran. {ex.Message}", ex);
        }
    }

    private void ApplySessionEffects(SqlClassification statement, RoutingNode node, bool onPrimary)
    {
        var effects = statement.Effects;
        if (effects == SessionEffects.None)
            return;

        // A read-only transaction holds its node until COMMIT/ROLLBACK; primary pins last until close.
        if (_pin == ConnectionPin.ReadOnlyTransaction)
        {
            if ((effects & SessionEffects.EndsTransaction) != 0)
                Unpin();
        }
        else if ((effects & SessionEffects.PinsToPrimary) != 0 && onPrimary)   // GET DIAGNOSTICS after a replica read runs there
        {
            Pin(statement.Kind == StatementKind.TransactionControl ? ConnectionPin.Transaction : ConnectionPin.SessionState, node);
        }
        else if ((effects & SessionEffects.BeginsReadOnlyTransaction) != 0 && (effects & SessionEffects.EndsTransaction) == 0)
        {
            _pin = ConnectionPin.ReadOnlyTransaction;
            _readOnlyTransactionNode = node;
            _readOnlyTransactionOnPrimary = onPrimary;
        }
    }

    private void Pin(ConnectionPin pin, RoutingNode primary)
    {
        _holdsSessionState |= pin == ConnectionPin.SessionState;

        // The first primary pin sticks; a later one does not change the reason.
        if (_pin is ConnectionPin.None)
        {
            _pin = pin;
            _pinnedPrimary = primary;
        }
    }

    private void Unpin()
    {
        _pin = ConnectionPin.None;
        _pinEndsWithTransaction = false;
        _holdsSessionState = false;
        _readOnlyTransactionNode = null;
        _pinnedPrimary = null;
    }

    /// <summary>
    /// A readable replica and its open connection, preferring one known to have applied <paramref name="required"/> (then
    /// no wait is needed) and, with <paramref name="maxStaleness"/>, only one measured to be that fresh; a replica that
    /// refuses connections is skipped; the primary when none is left.
    /// </summary>
    private async ValueTask<(RoutingNode Node, MySqlConnection Connection, bool NeedsWait, bool OnPrimary, bool NotCaughtUp)> GetReplicaAsync(
        GtidPosition? required, TimeSpan writeAge, TimeSpan? maxStaleness, RoutingNode? exclude, RoutingNode? only, bool async, CancellationToken cancellationToken)
    {
        var topology = DataSourceOwner.Monitor.Snapshot;
        var readers = only is null ? topology.Readers : only.Alone;   // Causal affinity: that replica or the primary
        var noPrimary = topology.Writer is not { Status.State: not NodeState.Unreachable };
        var failed = exclude;
        RoutingNode? notCaughtUp = null;   // Adaptive: the replica it would have waited on, had the write been older
        while ((only is null ? _configuration.Selector.Select(readers, failed, maxStaleness, acceptLagging: noPrimary) : only != failed && only.IsReadableWhen(noPrimary) ? only : null) is { } chosen)
        {
            var replica = chosen;
            var needsWait = required is not null && !replica.HasApplied(required);
            if (needsWait && FindReplicaThatHasApplied(readers, required!, failed, maxStaleness, noPrimary) is { } caughtUp)
                (replica, needsWait) = (caughtUp, false);

            // Wait: wait on the chosen replica. Fast: never wait. Adaptive: wait only where the write should be applied by now.
            if (needsWait && _configuration.CausalReadPolicy != CausalReadPolicy.Wait)
            {
                if ((_configuration.CausalReadPolicy == CausalReadPolicy.Adaptive ? FindReplicaExpectedToHaveApplied(readers, replica, writeAge, failed, maxStaleness, noPrimary) : null) is not { } expected)
                {
                    notCaughtUp = replica;
                    break;
                }

                replica = expected;
            }

            if (await TryOpenReplicaAsync(replica, async, cancellationToken).ConfigureAwait(false) is { } opened)
                return (replica, opened, needsWait, false, false);
            failed = replica;   // the read tries another one, then the primary
        }

        var primary = Writer();
        if (notCaughtUp is not null && _configuration.CausalReadPolicy == CausalReadPolicy.Adaptive && !TryBeginPrimaryFallback(primary))
        {
            // Adaptive prefers the primary for a fresh write, but every fallback slot is taken (a burst of fresh positions):
            // wait on the replica within the budget rather than shed a read that a short wait may serve. Only a wait that
            // times out then needs the primary, and is shed if the slots are still taken.
            if (await TryOpenReplicaAsync(notCaughtUp, async, cancellationToken).ConfigureAwait(false) is { } opened)
                return (notCaughtUp, opened, true, false, false);
        }

        if (notCaughtUp is null)
            Log.NoReplicaAvailable(_configuration.Logger, primary.Endpoint);
        if (required is not null)
            BeginPrimaryFallback(primary);
        return (primary, await GetOpenPhysicalAsync(primary, asPrimary: true, async, cancellationToken).ConfigureAwait(false), false, true, notCaughtUp is not null);
    }

    /// <summary>This connection's physical connection to <paramref name="replica"/>, or null when it cannot be reached (it is then skipped for a while).</summary>
    private async ValueTask<MySqlConnection?> TryOpenReplicaAsync(RoutingNode replica, bool async, CancellationToken cancellationToken)
    {
        try
        {
            return await GetOpenPhysicalAsync(replica, asPrimary: false, async, cancellationToken).ConfigureAwait(false);
        }
        catch (MySqlException ex) when (!cancellationToken.IsCancellationRequested)
        {
            replica.MarkUnavailable(_configuration.FailedReplicaBackoff);
            Log.ReplicaConnectFailed(_configuration.Logger, ex, replica.Endpoint, _configuration.FailedReplicaBackoff);
            DiscardPhysical(replica);
            return null;
        }
    }

    /// <summary>
    /// Adaptive: <paramref name="preferred"/>, else another readable replica, whose expected apply delay (measured lag, or learned
    /// from its waits) a write <paramref name="writeAge"/> old has outlived; null when the write is younger than all of them.
    /// </summary>
    private static RoutingNode? FindReplicaExpectedToHaveApplied(RoutingNode[] readers, RoutingNode preferred, TimeSpan writeAge, RoutingNode? exclude, TimeSpan? maxStaleness, bool acceptLagging)
    {
        if (IsExpectedToHaveApplied(preferred, writeAge))
            return preferred;
        foreach (var replica in readers)
        {
            if (replica != exclude && replica != preferred && replica.IsReadableWhen(acceptLagging) && (maxStaleness is null || replica.IsFreshEnough(maxStaleness.Value))
                && IsExpectedToHaveApplied(replica, writeAge))
                return replica;
        }

        return null;
    }

    private static bool IsExpectedToHaveApplied(RoutingNode replica, TimeSpan writeAge) => replica.ApplyDelay.Estimate(replica.Status.SureLag) <= writeAge;

    /// <summary>True when some readable replica is expected to have applied a write <paramref name="writeAge"/> old.</summary>
    private bool AnyReplicaExpectedToHaveApplied(TimeSpan writeAge)
    {
        var topology = DataSourceOwner.Monitor.Snapshot;
        var noPrimary = topology.Writer is not { Status.State: not NodeState.Unreachable };
        foreach (var replica in topology.Readers)
        {
            if (replica.IsReadableWhen(noPrimary) && IsExpectedToHaveApplied(replica, writeAge))
                return true;
        }

        return false;
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    /// <summary>Under <see cref="ReadConsistency.Causal"/>, what the reads so far have seen: the session's, or outside any session this connection's own.</summary>
    private ReadHistory? CausalReads() =>
        _configuration.Consistency != ReadConsistency.Causal ? null : AmbientSession()?.Reads ?? _ownReads;

    /// <summary>A statement ended on <paramref name="node"/>: its in-flight count goes back, and a Causal read's end is noted.</summary>
    internal void StatementEnded(RoutingNode node)
    {
        node.CommandEnded();
        _readInFlight?.Ended(node, _configuration.TimeProvider.GetTimestamp());
    }

    /// <summary>How long ago the session last wrote (a long time when it never did: a restored position is old news).</summary>
    private TimeSpan WriteAge(RoutingSession.State state) =>
        state.LastWriteAt is { } at ? _configuration.TimeProvider.GetUtcNow() - at : TimeSpan.MaxValue;

    private static RoutingNode? FindReplicaThatHasApplied(RoutingNode[] readers, GtidPosition required, RoutingNode? exclude, TimeSpan? maxStaleness, bool acceptLagging)
    {
        foreach (var replica in readers)
        {
            if (replica != exclude && replica.IsReadableWhen(acceptLagging) && (maxStaleness is null || replica.IsFreshEnough(maxStaleness.Value)) && replica.HasApplied(required))
                return replica;
        }

        return null;
    }

    /// <summary>The physical connection that holds this connection's pinned state; losing it must not pass silently.</summary>
    private async ValueTask<MySqlConnection> GetPinnedPhysicalAsync(RoutingNode node, bool asPrimary, bool async, CancellationToken cancellationToken)
    {
        var physical = _physical[node.Index];
        if (physical is { State: ConnectionState.Open })
            return physical;
        if (physical is not null)
        {
            throw new InvalidOperationException(
                $"The connection to {node.Endpoint} that held this connection's {_pin} state was lost; close and reopen the connection.");
        }

        // Pinned before anything ran there (e.g. ChangeDatabase or a pinning statement routed right now).
        return await GetOpenPhysicalAsync(node, asPrimary, async, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The node's open physical connection, opened from its pool if needed. With <paramref name="asPrimary"/> (the node was
    /// chosen as the primary) a failed connect means "no primary": <see cref="PrimaryUnavailableException"/>, whatever the
    /// monitor has published since.
    /// </summary>
    private async ValueTask<MySqlConnection> GetOpenPhysicalAsync(RoutingNode node, bool asPrimary, bool async, CancellationToken cancellationToken)
    {
        var physical = _physical[node.Index];
        if (physical is { State: ConnectionState.Open })
            return physical;

        // A broken one (an earlier failure) is returned, and a fresh one taken from the node's current pool.
        physical?.Dispose();
        try
        {
            try
            {
                physical = await OpenFromPoolAsync(node, UsesEntityFrameworkPools, async, cancellationToken).ConfigureAwait(false);
            }
            catch (ObjectDisposedException) when (!cancellationToken.IsCancellationRequested)
            {
                physical = await OpenFromPoolAsync(node, UsesEntityFrameworkPools, async, cancellationToken).ConfigureAwait(false);   // the monitor swapped the pool meanwhile
            }
        }
        catch (MySqlException ex) when (asPrimary && ServerErrors.IsConnectionFailure(ex) && !cancellationToken.IsCancellationRequested)
        {
            // Nothing was sent: say so with a type the caller can tell from a failed statement, and look at the topology now.
            DataSourceOwner.Monitor.RequestRefresh();
            throw new PrimaryUnavailableException($"Could not connect to the primary {node.Endpoint}: {ex.Message}", ex);
        }
        finally
        {
            _physical[node.Index] = physical is { State: ConnectionState.Open } ? physical : null;
        }

        var cluster = DataSourceOwner.Cluster;
        cluster.ObserveServerVersion(physical.ServerVersion);
        if (asPrimary && _configuration.TracksSessions && cluster.ClaimPrimaryProbe())
        {
            try
            {
                await RefreshPrimaryPositionAsync(node, async, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is MySqlException or PrimaryUnavailableException)
            {
                cluster.ReleasePrimaryProbe();   // try again on the next connection; the command itself goes on
            }
        }

        return physical;
    }

    internal static async ValueTask<MySqlConnection> OpenFromPoolAsync(RoutingNode node, bool entityFramework, bool async, CancellationToken cancellationToken)
    {
        var physical = (entityFramework ? node.EntityFrameworkDataSource : node.DataSource).CreateConnection();
        try
        {
            if (async)
                await physical.OpenAsync(cancellationToken).ConfigureAwait(false);
            else
                physical.Open();
            return physical;
        }
        catch
        {
            physical.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Reads the primary's executed position (one round trip) into what the cluster knows; empty means GTIDs are off. It runs
    /// on a pooled connection of its own, returned at once: a query on this connection's session would change what the
    /// caller's next statement observes (<c>ROW_COUNT()</c>, warnings), and a check must not hold a primary connection.
    /// </summary>
    private ValueTask RefreshPrimaryPositionAsync(RoutingNode primary, bool async, CancellationToken cancellationToken) =>
        DataSourceOwner.RefreshPrimaryPositionAsync(primary, async, cancellationToken);

    private void DiscardPhysical(RoutingNode node)
    {
        _physical[node.Index]?.Dispose();
        _physical[node.Index] = null;
    }

    /// <summary>A reader of this connection was opened; give what it returns to <see cref="ReaderClosed"/>.</summary>
    internal int ReaderOpened()
    {
        Interlocked.Increment(ref _openReaders);
        return _openings;
    }

    /// <summary>A reader opened while the connection was in its <paramref name="opening"/>-th opening was closed.</summary>
    internal void ReaderClosed(int opening)
    {
        if (opening == _openings)
            Interlocked.Decrement(ref _openReaders);
    }

    /// <summary>
    /// Open, and no reader open: MySqlConnector refuses a second command on a connection while a reader is open, and so does
    /// a routed connection, wherever the two would run (else whether it works would depend on the replicas' health).
    /// </summary>
    private void EnsureNotBusy()
    {
        EnsureOpen();
        if (Volatile.Read(ref _openReaders) > 0)
            throw new InvalidOperationException("This MySqlConnection is already in use. See https://mysqlconnector.net/conn-reuse");
    }

    private void EnsureOpen()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_state != ConnectionState.Open)
            throw new InvalidOperationException($"Connection must be Open; current state is {_state}");   // MySqlConnector's words
    }
}
