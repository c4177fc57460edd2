using System.Data;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using MySqlConnector;

namespace ReplicaRouting.Internal;

/// <summary>What must ride along with a statement in its round trip.</summary>
internal enum CausalAction : byte
{
    /// <summary>Nothing: the statement runs as written.</summary>
    None,

    /// <summary>A causal read on a replica not known to have the position: prepend the wait.</summary>
    Wait,
}

/// <summary>
/// The outcome of routing one execution: where it runs, what rides along, and what was routed; <c>WriteAge</c> is how old the
/// newest write behind <c>WaitFor</c> was when the read was routed (what a wait teaches about the replica's apply delay).
/// </summary>
internal readonly record struct Route(RoutingNode Node, MySqlConnection Connection, CausalAction Action, GtidPosition? WaitFor, bool OnPrimary, SqlClassification Statement, TimeSpan WriteAge = default);

/// <summary>A command or a batch, as the executor sees it: something that runs as written, or joins a batch.</summary>
internal interface IRoutedStatement
{
    /// <summary>The connection it runs on, or null when none was set.</summary>
    ReplicaRoutingConnection? Connection { get; }

    /// <summary>The caller's per-statement routing instruction.</summary>
    RoutingHint RoutingHint { get; }

    /// <summary>The statement classified as one text (a batch: its strongest command).</summary>
    SqlClassification Classify(SqlContext context);

    /// <summary>
    /// Readies the statement to run as written on <paramref name="connection"/>, <paramref name="owner"/>'s physical connection
    /// to <paramref name="node"/>. A command borrows the owner's reusable MySqlConnector command for the node and returns it; a
    /// batch attaches its own and returns null. Whatever it returns goes to the Execute*AsWrittenAsync call, then to
    /// <see cref="Release"/>.
    /// </summary>
    MySqlCommand? Bind(ReplicaRoutingConnection owner, RoutingNode node, MySqlConnection connection);

    /// <summary>Gives back what <see cref="Bind"/> returned, once its results are read (or it failed).</summary>
    void Release(ReplicaRoutingConnection owner, RoutingNode node, MySqlCommand? bound);

    /// <summary>Runs the bound statement as written: a reader.</summary>
    ValueTask<MySqlDataReader> ExecuteReaderAsWrittenAsync(MySqlCommand? bound, CommandBehavior behavior, bool async, CancellationToken cancellationToken);

    /// <summary>Runs the bound statement as written: MySqlConnector's own ExecuteNonQuery.</summary>
    ValueTask<int> ExecuteNonQueryAsWrittenAsync(MySqlCommand? bound, bool async, CancellationToken cancellationToken);

    /// <summary>Runs the bound statement as written: MySqlConnector's own ExecuteScalar.</summary>
    ValueTask<object?> ExecuteScalarAsWrittenAsync(MySqlCommand? bound, bool async, CancellationToken cancellationToken);

    /// <summary>Adds the statement's commands (text, type and parameters) to a batch that carries a wait.</summary>
    void AddTo(MySqlBatchCommandCollection commands);

    /// <summary>The statement's timeout in seconds (0 = none).</summary>
    int Timeout { get; }

    ReplicaRoutingTransaction? Transaction { get; }

    /// <summary>The batch now running the statement with its wait (null once it is done): what <c>Cancel()</c> must reach.</summary>
    void Running(MySqlBatch? batch);

    /// <summary>True when <c>Cancel()</c> was called while the batch of <see cref="Running"/> ran.</summary>
    bool CancelRequested { get; }
}

/// <summary>
/// Runs a routed statement: as written, or as ONE batch with the GTID wait in front of it.
/// A wait that times out discards the replica's answer and runs the statement on the primary instead.
/// </summary>
internal static class RoutedExecution
{
    // The reader behaviours that would apply to the wait in front rather than to the statement: the wrapper emulates
    // CloseConnection and SingleResult, and the statement itself carries SingleRow and SchemaOnly (LimitRows).
    private const CommandBehavior Emulated = CommandBehavior.CloseConnection | CommandBehavior.SingleResult | CommandBehavior.SingleRow | CommandBehavior.SchemaOnly;

    /// <summary>Runs a reader; typed as <see cref="System.Data.Common.DbDataReader"/> so <c>ExecuteDbDataReaderAsync</c> needs no async layer of its own.</summary>
    public static ValueTask<System.Data.Common.DbDataReader> ExecuteReaderAsync(IRoutedStatement statement, CommandBehavior behavior, bool async, CancellationToken cancellationToken) =>
        RunAsync<System.Data.Common.DbDataReader, ReaderExecution>(statement, new ReaderExecution(behavior), async, cancellationToken);

    public static ValueTask<int> ExecuteNonQueryAsync(IRoutedStatement statement, bool async, CancellationToken cancellationToken) =>
        RunAsync<int, NonQueryExecution>(statement, default, async, cancellationToken);

    public static ValueTask<object?> ExecuteScalarAsync(IRoutedStatement statement, bool async, CancellationToken cancellationToken) =>
        RunAsync<object?, ScalarExecution>(statement, default, async, cancellationToken);

    /// <summary>
    /// Routes the statement, then runs it: the one body behind every Execute* of commands and batches. A statement with
    /// nothing riding along runs as MySqlConnector would run it (no reader of ours in between); one with a wait runs as one
    /// batch, read through our reader. A replica read that fails before returning anything runs on the next
    /// replica, then the primary; a wait that times out reruns on the primary; a failure on the primary is never retried.
    /// </summary>
    // Pooled: the state machine of the one async layer every command adds is reused instead of allocated per command.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<T> RunAsync<T, TExecution>(IRoutedStatement statement, TExecution execution, bool async, CancellationToken cancellationToken)
        where TExecution : struct, IExecution<T>
    {
        var connection = statement.Connection ?? throw new InvalidOperationException("Connection property must be non-null.");
        var route = await connection.RouteAsync(statement.Classify(connection.SqlContext), statement.RoutingHint, async, cancellationToken).ConfigureAwait(false);
        while (true)
        {
            var throughBreaker = !route.OnPrimary && route.Node.IsSuspect;
            try
            {
                if (route.Action == CausalAction.None)
                {
                    return !throughBreaker
                        ? await RunAsWrittenAsync<T, TExecution>(connection, statement, route, execution, async, cancellationToken).ConfigureAwait(false)
                        : await route.Node.Breaker.ExecuteAsync(
                            static (state, token) => RunAsWrittenAsync<T, TExecution>(state.connection, state.statement, state.route, state.execution, state.async, token),
                            (connection, statement, route, execution, async),
                            cancellationToken).ConfigureAwait(false);
                }

                // A wait holds a replica connection up to the causal read timeout: beyond the cap, the read goes to the primary.
                if (!connection.Shedding.TryBeginCausalWait())
                {
                    route = await connection.RouteAfterShedWaitAsync(route.Statement, async, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                ReplicaRoutingDataReader? reader;
                try
                {
                    reader = !throughBreaker
                        ? await ExecuteBatchAsync(connection, statement, route, execution.Behavior, async, cancellationToken).ConfigureAwait(false)
                        : await route.Node.Breaker.ExecuteAsync(
                            static (state, token) => ExecuteBatchAsync(state.connection, state.statement, state.route, state.Behavior, state.async, token),
                            (connection, statement, route, execution.Behavior, async),
                            cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    connection.Shedding.EndCausalWait();
                }

                if (reader is not null)
                    return await execution.FromReaderAsync(reader, async, cancellationToken).ConfigureAwait(false);
                route = await connection.RouteAfterWaitTimeoutAsync(route.Node, route.Statement, async, cancellationToken).ConfigureAwait(false);
            }
            catch (MySqlException ex) when (connection.RefusedAsWrite(route, ex, cancellationToken))
            {
                // A "read" the replica refused as a write (a stored function that writes): the server ran nothing, so it runs
                // on the primary, once, and counts as a write of the session.
                route = await connection.RouteRefusedReadAsync(route, async, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (connection.CanRetryElsewhere(route, ex, cancellationToken))
            {
                if (!throughBreaker && ex is MySqlException failure)
                    await route.Node.ReportFailureAsync(failure).ConfigureAwait(false);
                route = await connection.RouteRetryAsync(route, ex, async, cancellationToken).ConfigureAwait(false);
            }
            catch (MySqlException ex) when (route.OnPrimary)
            {
                var surfaced = connection.OnPrimaryFailure(route, ex);
                if (surfaced == ex)
                    throw;
                throw surfaced;
            }
        }
    }

    /// <summary>The value of a <c>DbConnection</c> setter, which only takes a routed connection.</summary>
    public static ReplicaRoutingConnection? RequireRouted(System.Data.Common.DbConnection? value, string owner) => value switch
    {
        null => null,
        ReplicaRoutingConnection connection => connection,
        _ => throw new ArgumentException($"A {owner} runs on a ReplicaRoutingConnection, not a {value.GetType().Name}.", nameof(value)),
    };

    /// <summary>The value of a <c>DbTransaction</c> setter, which only takes a routed transaction.</summary>
    public static ReplicaRoutingTransaction? RequireRouted(System.Data.Common.DbTransaction? value, string owner) => value switch
    {
        null => null,
        ReplicaRoutingTransaction transaction => transaction,
        _ => throw new ArgumentException($"A {owner} runs in a ReplicaRoutingTransaction, not a {value.GetType().Name}.", nameof(value)),
    };

    /// <summary>
    /// Runs a statement with nothing riding along as MySqlConnector's own call: the result of ExecuteNonQuery/ExecuteScalar
    /// as is, a reader wrapped in ours (which gives the node's in-flight count back when it closes).
    /// </summary>
    // Pooled like RunAsync: a healthy command's path allocates no state machine.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<T> RunAsWrittenAsync<T, TExecution>(
        ReplicaRoutingConnection connection, IRoutedStatement statement, Route route, TExecution execution, bool async, CancellationToken cancellationToken)
        where TExecution : struct, IExecution<T>
    {
        var node = route.Node;
        node.CommandStarted();
        MySqlCommand? bound = null;
        var handedToReader = false;
        try
        {
            bound = statement.Bind(connection, node, route.Connection);
            if (!execution.IsReader)
                return await execution.AsWrittenAsync(statement, bound, async, cancellationToken).ConfigureAwait(false);
            var plain = await statement.ExecuteReaderAsWrittenAsync(bound, execution.Behavior & ~CommandBehavior.CloseConnection, async, cancellationToken).ConfigureAwait(false);
            handedToReader = true;
            var reader = new ReplicaRoutingDataReader(plain, node, connection, closeConnection: (execution.Behavior & CommandBehavior.CloseConnection) != 0, singleResult: false);
            reader.ReleaseOnClose(statement, bound);
            return await execution.FromReaderAsync(reader, async, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (!handedToReader)
            {
                statement.Release(connection, node, bound);
                connection.StatementEnded(node);
            }
        }
    }

    /// <summary>
    /// Runs the statement with its wait as ONE batch, read through our reader; null when the wait timed out (the caller
    /// reruns the statement on the primary).
    /// </summary>
    // Pooled like RunAsync: a command whose wait rides along allocates no state machine of ours either.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<ReplicaRoutingDataReader?> ExecuteBatchAsync(
        ReplicaRoutingConnection connection, IRoutedStatement statement, Route route, CommandBehavior behavior, bool async, CancellationToken cancellationToken)
    {
        var closeConnection = (behavior & CommandBehavior.CloseConnection) != 0;
        var node = route.Node;
        node.CommandStarted();
        var started = true;   // false once this node's in-flight count was handed back (a timed-out wait moved to the primary)
        MySqlBatch? batch = null;
        MySqlDataReader? reader = null;
        try
        {
            var dialect = connection.Dialect;
            batch = new MySqlBatch(route.Connection) { Transaction = statement.Transaction?.Inner, Timeout = statement.Timeout };
            var wait = new MySqlBatchCommand(dialect.WaitSql);
            wait.Parameters.AddWithValue(ServerDialect.GtidParameter, route.WaitFor!.ToString());
            wait.Parameters.AddWithValue(ServerDialect.TimeoutParameter, connection.CausalWaitTimeoutSeconds);
            batch.BatchCommands.Add(wait);
            node.CausalWaitSent();
            if (batch.Timeout > 0)
                batch.Timeout += (int)Math.Ceiling(connection.CausalWaitTimeout.TotalSeconds);   // the wait must not eat the query's own time
            statement.AddTo(batch.BatchCommands);
            if ((behavior & (CommandBehavior.SingleRow | CommandBehavior.SchemaOnly)) != 0)
                LimitRows(batch.BatchCommands, dialect, rowLimit: (behavior & CommandBehavior.SchemaOnly) != 0 ? 0 : 1);

            var innerBehavior = behavior & ~Emulated;
            var sentAt = Stopwatch.GetTimestamp();
            using var waitActivity = Telemetry.StartCausalWait(node.Endpoint, route.WaitFor!);
            statement.Running(batch);   // Cancel() reaches the batch
            reader = (MySqlDataReader)(async ? await batch.ExecuteReaderAsync(innerBehavior, cancellationToken).ConfigureAwait(false) : batch.ExecuteReader(innerBehavior));
            var waited = Stopwatch.GetElapsedTime(sentAt);   // the wait's answer is the first result: its round trip plus the wait

            var reached = await WaitReachedAsync(reader, dialect, async, cancellationToken).ConfigureAwait(false);
            var cancelled = statement.CancelRequested;
            if (cancelled)
            {
                // Cancel() came while the wait ran: the statement behind it is running now, and is what the caller cancelled.
                // It is killed too and answers here, as a cancelled statement answers on MySqlConnector, never rerun elsewhere.
                batch.Cancel();
            }

            Telemetry.CausalWaitCompleted(connection.ClusterId, reached, Stopwatch.GetElapsedTime(sentAt), connection.CausalReadPolicy);
            if (reached)
                node.ApplyDelay.WaitReached(route.WriteAge, waited);
            else if (!cancelled)
                node.ApplyDelay.WaitTimedOut(route.WriteAge, connection.CausalWaitTimeout);
            waitActivity?.SetTag("replicarouting.outcome", reached ? "reached" : "timed_out");

            if (!reached && !cancelled)
            {
                // Timed out (or the replica is broken): the query already ran there, but its answer may be stale.
                statement.Running(null);
                await DisposeAsync(reader, batch, async).ConfigureAwait(false);
                (reader, batch) = (null, null);
                connection.StatementEnded(node);
                started = false;
                return null;
            }

            if (reached)
                node.ObserveAppliedPosition(route.WaitFor!);
            var wrapped = new ReplicaRoutingDataReader(reader, node, connection, closeConnection, singleResult: (behavior & (CommandBehavior.SingleResult | CommandBehavior.SingleRow)) != 0);
            wrapped.DisposeOnClose(statement, batch);
            return wrapped;
        }
        catch
        {
            // The statement failed behind the wait (its error surfaces when the reader moves to it): the reader must be
            // disposed too, or the node's physical connection stays busy.
            statement.Running(null);
            if (batch is not null)
                await DisposeAsync(reader, batch, async).ConfigureAwait(false);
            if (started)
                connection.StatementEnded(node);
            throw;
        }
    }

    /// <summary>
    /// SingleRow (one row) and SchemaOnly (no rows) for the statement behind the wait, the way MySqlConnector sends them for its
    /// first command: <c>sql_select_limit</c> around the statement (MariaDB: <c>SET STATEMENT … FOR</c> on its first statement;
    /// MySQL: set before and reset after, which is also why such a reader reports 0 records affected there).
    /// </summary>
    private static void LimitRows(MySqlBatchCommandCollection commands, ServerDialect dialect, int rowLimit)
    {
        var first = commands[1];   // 0 is the wait
        if (dialect.Flavor == ServerFlavor.MariaDb)
        {
            first.CommandText = $"SET STATEMENT sql_select_limit={rowLimit} FOR {first.CommandText}";
            return;
        }

        commands.Insert(1, new MySqlBatchCommand($"SET sql_select_limit={rowLimit}"));
        commands.Add(new MySqlBatchCommand("SET sql_select_limit=default"));
    }

    /// <summary>Reads the wait's hidden result set and moves the reader to the statement's first result.</summary>
    private static async ValueTask<bool> WaitReachedAsync(MySqlDataReader reader, ServerDialect dialect, bool async, CancellationToken cancellationToken)
    {
        var hasRow = async ? await reader.ReadAsync(cancellationToken).ConfigureAwait(false) : reader.Read();
        var reached = hasRow && !reader.IsDBNull(0) && reader.GetInt64(0) == dialect.WaitReached;
        try
        {
            _ = async ? await reader.NextResultAsync(cancellationToken).ConfigureAwait(false) : reader.NextResult();
        }
        catch (MySqlException ex) when (!reached && ex.ErrorCode != MySqlErrorCode.QueryInterrupted)
        {
            // The statement failed on a replica that had not caught up (a table it has not created yet): its answer is
            // discarded with the rest, and the statement runs on the primary.
        }

        return reached;
    }

    private static async ValueTask DisposeAsync(MySqlDataReader? reader, MySqlBatch batch, bool async)
    {
        if (async)
        {
            if (reader is not null)
                await reader.DisposeAsync().ConfigureAwait(false);
            await batch.DisposeAsync().ConfigureAwait(false);
        }
        else
        {
            reader?.Dispose();
            batch.Dispose();
        }
    }
}

/// <summary>One kind of Execute*: how it runs as written, and how it reads its result from our reader (a wait rode along).</summary>
/// <typeparam name="T">What the caller gets.</typeparam>
internal interface IExecution<T>
{
    /// <summary>True for ExecuteReader: the caller gets our reader, which counts the node's in-flight work until it closes.</summary>
    bool IsReader { get; }

    CommandBehavior Behavior { get; }

    ValueTask<T> AsWrittenAsync(IRoutedStatement statement, MySqlCommand? bound, bool async, CancellationToken cancellationToken);

    ValueTask<T> FromReaderAsync(ReplicaRoutingDataReader reader, bool async, CancellationToken cancellationToken);
}

internal readonly struct ReaderExecution(CommandBehavior behavior) : IExecution<System.Data.Common.DbDataReader>
{
    public bool IsReader => true;

    public CommandBehavior Behavior => behavior;

    public ValueTask<System.Data.Common.DbDataReader> AsWrittenAsync(IRoutedStatement statement, MySqlCommand? bound, bool async, CancellationToken cancellationToken) =>
        throw new NotSupportedException("A reader is always wrapped: see RoutedExecution.RunAsync.");

    public ValueTask<System.Data.Common.DbDataReader> FromReaderAsync(ReplicaRoutingDataReader reader, bool async, CancellationToken cancellationToken) => new(reader);
}

internal readonly struct NonQueryExecution : IExecution<int>
{
    public bool IsReader => false;

    public CommandBehavior Behavior => CommandBehavior.Default;

    public ValueTask<int> AsWrittenAsync(IRoutedStatement statement, MySqlCommand? bound, bool async, CancellationToken cancellationToken) =>
        statement.ExecuteNonQueryAsWrittenAsync(bound, async, cancellationToken);

    public async ValueTask<int> FromReaderAsync(ReplicaRoutingDataReader reader, bool async, CancellationToken cancellationToken)
    {
        await using (reader.ConfigureAwait(false))
        {
            while (async ? await reader.NextResultAsync(cancellationToken).ConfigureAwait(false) : reader.NextResult())
            {
            }

            if (async)
                await reader.CloseAsync().ConfigureAwait(false);
            else
                reader.Close();
            return reader.RecordsAffected;
        }
    }
}

internal readonly struct ScalarExecution : IExecution<object?>
{
    public bool IsReader => false;

    public CommandBehavior Behavior => CommandBehavior.Default;

    public ValueTask<object?> AsWrittenAsync(IRoutedStatement statement, MySqlCommand? bound, bool async, CancellationToken cancellationToken) =>
        statement.ExecuteScalarAsWrittenAsync(bound, async, cancellationToken);

    public async ValueTask<object?> FromReaderAsync(ReplicaRoutingDataReader reader, bool async, CancellationToken cancellationToken)
    {
        await using (reader.ConfigureAwait(false))
        {
            // As MySqlConnector's ExecuteScalar: the first row's first value, then every result set is read, so that an error
            // raised after the first row (a subquery returning two rows, a killed query) surfaces instead of being dropped.
            object? value = null;
            var first = true;
            do
            {
                var hasRow = async ? await reader.ReadAsync(cancellationToken).ConfigureAwait(false) : reader.Read();
                if (first && hasRow)
                    value = reader.GetValue(0);
                first = false;
            }
            while (async ? await reader.NextResultAsync(cancellationToken).ConfigureAwait(false) : reader.NextResult());

            if (async)
                await reader.CloseAsync().ConfigureAwait(false);
            else
                reader.Close();
            return value;
        }
    }
}

