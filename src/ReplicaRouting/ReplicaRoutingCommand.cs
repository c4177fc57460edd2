using System.Data;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;
using MySqlConnector;
using ReplicaRouting.Internal;

namespace ReplicaRouting;

/// <summary>
/// A command on a <see cref="ReplicaRoutingConnection"/>. Each execution is classified and routed on its own; the
/// parameters, timeout and results are MySqlConnector's, unchanged.
/// </summary>
public sealed class ReplicaRoutingCommand : DbCommand, IRoutedStatement
{
    private readonly MySqlCommand _inner = new();
    private ReplicaRoutingConnection? _connection;
    private ReplicaRoutingTransaction? _transaction;
    private bool _prepareRequested;

    /// <summary>Creates a command with no text and no connection.</summary>
    public ReplicaRoutingCommand()
    {
    }

    /// <summary>Creates a command.</summary>
    /// <param name="commandText">The SQL to run.</param>
    /// <param name="connection">The connection to run it on.</param>
    public ReplicaRoutingCommand(string? commandText, ReplicaRoutingConnection? connection = null)
    {
        _inner.CommandText = commandText;
        _connection = connection;
    }

    /// <summary>Gets or sets a per-command routing instruction.</summary>
    /// <value>The default value is <see cref="RoutingHint.None"/> (route automatically).</value>
    public RoutingHint RoutingHint { get; set; }

    /// <inheritdoc />
    [AllowNull]
    public override string CommandText
    {
        get => _inner.CommandText;
        set => _inner.CommandText = value;
    }

    /// <inheritdoc />
    public override int CommandTimeout
    {
        get => _inner.CommandTimeout;
        set => _inner.CommandTimeout = value;
    }

    /// <inheritdoc />
    public override CommandType CommandType
    {
        get => _inner.CommandType;
        set => _inner.CommandType = value;
    }

    /// <inheritdoc />
    public override bool DesignTimeVisible
    {
        get => _inner.DesignTimeVisible;
        set => _inner.DesignTimeVisible = value;
    }

    /// <inheritdoc />
    public override UpdateRowSource UpdatedRowSource
    {
        get => _inner.UpdatedRowSource;
        set => _inner.UpdatedRowSource = value;
    }

    /// <summary>Gets or sets the connection the command runs on.</summary>
    public new ReplicaRoutingConnection? Connection
    {
        get => _connection;
        set => _connection = value;
    }

    /// <summary>Gets or sets the transaction the command runs in.</summary>
    public new ReplicaRoutingTransaction? Transaction
    {
        get => _transaction;
        set => _transaction = value;
    }

    /// <summary>Gets the command's parameters (MySqlConnector's own collection).</summary>
    public new MySqlParameterCollection Parameters => _inner.Parameters;

    /// <inheritdoc />
    protected override DbConnection? DbConnection
    {
        get => _connection;
        set => _connection = RoutedExecution.RequireRouted(value, nameof(ReplicaRoutingCommand));
    }

    /// <inheritdoc />
    protected override DbTransaction? DbTransaction
    {
        get => _transaction;
        set => _transaction = RoutedExecution.RequireRouted(value, nameof(ReplicaRoutingCommand));
    }

    /// <inheritdoc />
    protected override DbParameterCollection DbParameterCollection => _inner.Parameters;

    /// <summary>Creates a MySqlConnector parameter.</summary>
    /// <returns>A new parameter.</returns>
    public new MySqlParameter CreateParameter() => _inner.CreateParameter();

    /// <inheritdoc />
    protected override DbParameter CreateDbParameter() => CreateParameter();

    /// <summary>Cancels the command if it is running (a best-effort <c>KILL QUERY</c> on the node that runs it).</summary>
    public override void Cancel() => _inner.Cancel();

    /// <summary>
    /// Asks for the statement to be prepared. As the node is only known at execution, it is prepared there, on the
    /// node's session (MySqlConnector ignores it unless the connection string sets <c>IgnorePrepare=false</c>).
    /// </summary>
    public override void Prepare()
    {
        if (_connection is not { State: ConnectionState.Open })
            throw new InvalidOperationException("The connection must be open to prepare a command.");
        _prepareRequested = true;
    }

    /// <inheritdoc />
    public override Task PrepareAsync(CancellationToken cancellationToken = default)
    {
        Prepare();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override int ExecuteNonQuery() => RoutedExecution.ExecuteNonQueryAsync(this, async: false, CancellationToken.None).GetAwaiter().GetResult();

    /// <inheritdoc />
    public override Task<int> ExecuteNonQueryAsync(CancellationToken cancellationToken) => RoutedExecution.ExecuteNonQueryAsync(this, async: true, cancellationToken).AsTask();

    /// <inheritdoc />
    public override object? ExecuteScalar() => RoutedExecution.ExecuteScalarAsync(this, async: false, CancellationToken.None).GetAwaiter().GetResult();

    /// <inheritdoc />
    public override Task<object?> ExecuteScalarAsync(CancellationToken cancellationToken) => RoutedExecution.ExecuteScalarAsync(this, async: true, cancellationToken).AsTask();

    /// <summary>Runs the command and returns a reader over its results.</summary>
    /// <returns>The reader.</returns>
    public new ReplicaRoutingDataReader ExecuteReader() => ExecuteReader(CommandBehavior.Default);

    /// <summary>Runs the command and returns a reader over its results.</summary>
    /// <param name="behavior">The reader behaviour.</param>
    /// <returns>The reader.</returns>
    public new ReplicaRoutingDataReader ExecuteReader(CommandBehavior behavior) =>
        (ReplicaRoutingDataReader)RoutedExecution.ExecuteReaderAsync(this, behavior, async: false, CancellationToken.None).GetAwaiter().GetResult();

    /// <inheritdoc />
    protected override DbDataReader ExecuteDbDataReader(CommandBehavior behavior) => ExecuteReader(behavior);

    /// <inheritdoc />
    protected override Task<DbDataReader> ExecuteDbDataReaderAsync(CommandBehavior behavior, CancellationToken cancellationToken) =>
        RoutedExecution.ExecuteReaderAsync(this, behavior, async: true, cancellationToken).AsTask();

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
            _inner.Dispose();
        base.Dispose(disposing);
    }

    int IRoutedStatement.Timeout => _inner.CommandTimeout;

    ReplicaRoutingTransaction? IRoutedStatement.Transaction => _transaction;

    ValueTask<MySqlDataReader> IRoutedStatement.ExecuteReaderAsWrittenAsync(MySqlConnection connection, CommandBehavior behavior, bool async, CancellationToken cancellationToken)
    {
        Attach(connection);
        if (_prepareRequested)
            return Prepared(this, behavior, async, cancellationToken);
        return async ? new(_inner.ExecuteReaderAsync(behavior, cancellationToken)) : new(_inner.ExecuteReader(behavior));

        static async ValueTask<MySqlDataReader> Prepared(ReplicaRoutingCommand command, CommandBehavior behavior, bool async, CancellationToken cancellationToken)
        {
            await command.PrepareInnerAsync(async, cancellationToken).ConfigureAwait(false);
            return async ? await command._inner.ExecuteReaderAsync(behavior, cancellationToken).ConfigureAwait(false) : command._inner.ExecuteReader(behavior);
        }
    }

    ValueTask<int> IRoutedStatement.ExecuteNonQueryAsWrittenAsync(MySqlConnection connection, bool async, CancellationToken cancellationToken)
    {
        Attach(connection);
        if (_prepareRequested)
            return Prepared(this, async, cancellationToken);
        return async ? new(_inner.ExecuteNonQueryAsync(cancellationToken)) : new(_inner.ExecuteNonQuery());

        static async ValueTask<int> Prepared(ReplicaRoutingCommand command, bool async, CancellationToken cancellationToken)
        {
            await command.PrepareInnerAsync(async, cancellationToken).ConfigureAwait(false);
            return async ? await command._inner.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) : command._inner.ExecuteNonQuery();
        }
    }

    ValueTask<object?> IRoutedStatement.ExecuteScalarAsWrittenAsync(MySqlConnection connection, bool async, CancellationToken cancellationToken)
    {
        Attach(connection);
        if (_prepareRequested)
            return Prepared(this, async, cancellationToken);
        return async ? new(_inner.ExecuteScalarAsync(cancellationToken)) : new(_inner.ExecuteScalar());

        static async ValueTask<object?> Prepared(ReplicaRoutingCommand command, bool async, CancellationToken cancellationToken)
        {
            await command.PrepareInnerAsync(async, cancellationToken).ConfigureAwait(false);
            return async ? await command._inner.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) : command._inner.ExecuteScalar();
        }
    }

    /// <summary>Points the inner command at the routed physical connection (and the transaction there, if any).</summary>
    private void Attach(MySqlConnection connection)
    {
        _inner.Connection = connection;
        _inner.Transaction = _transaction?.Inner;
    }

    private async ValueTask PrepareInnerAsync(bool async, CancellationToken cancellationToken)
    {
        if (async)
            await _inner.PrepareAsync(cancellationToken).ConfigureAwait(false);
        else
            _inner.Prepare();
    }

    void IRoutedStatement.AddTo(MySqlBatchCommandCollection commands) =>
        commands.Add(RoutedExecution.CopyOf(_inner.CommandText, _inner.CommandType, _inner.Parameters));

    SqlClassification IRoutedStatement.Classify() => CommandType switch
    {
        CommandType.Text => SqlClassifier.Classify(_inner.CommandText),
        CommandType.StoredProcedure => new SqlClassification(StatementKind.Write, SessionEffects.None, SqlHint.None),   // a CALL may write
        _ => new SqlClassification(StatementKind.Unknown, SessionEffects.None, SqlHint.None),
    };
}
