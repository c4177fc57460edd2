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
/// <remarks>
/// MySqlConnector's <see cref="MySqlCommand"/> is sealed, so a routing command cannot be one. Rather than wrap a
/// <see cref="MySqlCommand"/> of its own, the command keeps its text and parameters and, when it runs as written, borrows a
/// reusable <see cref="MySqlCommand"/> of the physical connection it was routed to: a routed command allocates less than a
/// plain MySqlConnector one.
/// </remarks>
public sealed class ReplicaRoutingCommand : DbCommand, IRoutedStatement
{
    private string _commandText = "";
    private int? _commandTimeout;
    private CommandType _commandType = CommandType.Text;
    private UpdateRowSource _updatedRowSource = UpdateRowSource.Both;
    private bool _designTimeVisible = true;
    private bool _prepareRequested;
    private ReplicaRoutingParameterCollection? _parameters;
    private ReplicaRoutingConnection? _connection;
    private ReplicaRoutingTransaction? _transaction;
    private volatile bool _cancelRequested;   // Cancel() was called while a batch with a wait ran
    private object? _running;   // what Cancel() cancels: the borrowed MySqlCommand (run as written) or the MySqlBatch that carries a wait
    private ReplicaRoutingDataReader? _reader;   // the last reader this command returned: while it is open, text and connection stay

    /// <summary>Creates a command with no text and no connection.</summary>
    public ReplicaRoutingCommand()
    {
    }

    /// <summary>Creates a command.</summary>
    /// <param name="commandText">The SQL to run.</param>
    /// <param name="connection">The connection to run it on.</param>
    public ReplicaRoutingCommand(string? commandText, ReplicaRoutingConnection? connection = null)
    {
        _commandText = commandText ?? "";
        _connection = connection;
    }

    /// <summary>Gets or sets a per-command routing instruction.</summary>
    /// <value>The default value is <see cref="RoutingHint.None"/> (route automatically).</value>
    public RoutingHint RoutingHint { get; set; }

    /// <inheritdoc />
    [AllowNull]
    public override string CommandText
    {
        get => _commandText;
        set
        {
            ThrowIfReaderOpen(nameof(CommandText));
            _commandText = value ?? "";
            RoutedTextStart = 0;
        }
    }

    /// <summary>
    /// Where the part of the text that decides routing starts (0: all of it); the whole text runs. Set by the EF Core
    /// integration past Pomelo's leading <c>SET AUTOCOMMIT = 1;</c>, which restores what every pooled connection already has
    /// and so must not pin the connection to the primary. Reset when the text changes.
    /// </summary>
    internal int RoutedTextStart { get; set; }

    /// <summary>Gets or sets the time in seconds to wait for the command to run; 0 waits without limit.</summary>
    /// <value>By default, the <c>Default Command Timeout</c> of the connection string (30 seconds unless set).</value>
    public override int CommandTimeout
    {
        get => _commandTimeout ?? _connection?.DefaultCommandTimeout ?? RoutingNode.DefaultCommandTimeoutSeconds;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);   // MySqlCommand's check and message
            _commandTimeout = value;
        }
    }

    /// <inheritdoc />
    public override CommandType CommandType
    {
        get => _commandType;
        set => _commandType = value is CommandType.Text or CommandType.StoredProcedure
            ? value
            : throw new ArgumentException($"CommandType {value} is not supported; use Text or StoredProcedure.", nameof(value));
    }

    /// <inheritdoc />
    public override bool DesignTimeVisible
    {
        get => _designTimeVisible;
        set => _designTimeVisible = value;
    }

    /// <inheritdoc />
    public override UpdateRowSource UpdatedRowSource
    {
        get => _updatedRowSource;
        set => _updatedRowSource = value;
    }

    /// <summary>Gets or sets the connection the command runs on.</summary>
    public new ReplicaRoutingConnection? Connection
    {
        get => _connection;
        set
        {
            ThrowIfReaderOpen(nameof(Connection));
            _connection = value;
        }
    }

    /// <summary>Gets or sets the transaction the command runs in.</summary>
    public new ReplicaRoutingTransaction? Transaction
    {
        get => _transaction;
        set => _transaction = value;
    }

    /// <summary>Gets the command's parameters (MySqlConnector's <see cref="MySqlParameter"/> objects).</summary>
    public new ReplicaRoutingParameterCollection Parameters => _parameters ??= new();

    /// <inheritdoc />
    protected override DbConnection? DbConnection
    {
        get => _connection;
        set => Connection = RoutedExecution.RequireRouted(value, nameof(ReplicaRoutingCommand));
    }

    /// <inheritdoc />
    protected override DbTransaction? DbTransaction
    {
        get => _transaction;
        set => _transaction = RoutedExecution.RequireRouted(value, nameof(ReplicaRoutingCommand));
    }

    /// <inheritdoc />
    protected override DbParameterCollection DbParameterCollection => Parameters;

    /// <summary>Creates a MySqlConnector parameter.</summary>
    /// <returns>A new parameter.</returns>
    public new MySqlParameter CreateParameter() => new();

    /// <inheritdoc />
    protected override DbParameter CreateDbParameter() => CreateParameter();

    /// <summary>Cancels the command if it is running: a best-effort <c>KILL QUERY</c> on the node that runs it, as MySqlConnector does.</summary>
    public override void Cancel()
    {
        switch (Volatile.Read(ref _running))
        {
            case MySqlCommand command:
                command.Cancel();
                break;
            case MySqlBatch batch:
                _cancelRequested = true;   // the KILL may reach the wait in front: the statement behind it is killed next
                batch.Cancel();
                break;
        }
    }

    /// <summary>
    /// Asks for the statement to be prepared. As the node is only known at execution, it is prepared there, on the
    /// node's session (MySqlConnector ignores it unless the connection string sets <c>IgnorePrepare=false</c>).
    /// </summary>
    public override void Prepare()
    {
        if (_connection is not { State: ConnectionState.Open })
            throw new InvalidOperationException("The connection must be open to prepare a command.");
        if (string.IsNullOrWhiteSpace(_commandText))
            throw new InvalidOperationException("CommandText must be specified");   // MySqlCommand's check and message
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
        _reader = (ReplicaRoutingDataReader)RoutedExecution.ExecuteReaderAsync(this, behavior, async: false, CancellationToken.None).GetAwaiter().GetResult();

    /// <inheritdoc />
    protected override DbDataReader ExecuteDbDataReader(CommandBehavior behavior) => ExecuteReader(behavior);

    /// <inheritdoc />
    // This async layer replaces the AsTask() allocation it used to have (the returned Task is its state machine).
    protected override async Task<DbDataReader> ExecuteDbDataReaderAsync(CommandBehavior behavior, CancellationToken cancellationToken) =>
        _reader = (ReplicaRoutingDataReader)await RoutedExecution.ExecuteReaderAsync(this, behavior, async: true, cancellationToken).ConfigureAwait(false);

    /// <summary>MySqlCommand's rule: a command whose reader is open keeps its text and connection.</summary>
    private void ThrowIfReaderOpen(string property)
    {
        if (_reader is { IsClosed: false })
            throw new InvalidOperationException($"Cannot set ReplicaRoutingCommand.{property} when there is an open DataReader for this command; it must be closed first.");
    }

    int IRoutedStatement.Timeout => CommandTimeout;

    bool IRoutedStatement.CancelRequested => _cancelRequested;

    void IRoutedStatement.Running(MySqlBatch? batch)
    {
        _cancelRequested = false;
        Volatile.Write(ref _running, batch);
    }

    ReplicaRoutingTransaction? IRoutedStatement.Transaction => _transaction;

    MySqlCommand? IRoutedStatement.Bind(ReplicaRoutingConnection owner, RoutingNode node, MySqlConnection connection)
    {
        var command = owner.BorrowCommand(node, connection);
        try
        {
            command.CommandText = _commandText;
            command.CommandType = _commandType;
            command.CommandTimeout = _commandTimeout ?? node.DefaultCommandTimeout;
            command.Transaction = _transaction?.Inner;
            _parameters?.CopyTo(command.Parameters);   // throws on two parameters with one name
        }
        catch
        {
            owner.ReturnCommand(node, command);
            throw;
        }

        Volatile.Write(ref _running, command);
        return command;
    }

    void IRoutedStatement.Release(ReplicaRoutingConnection owner, RoutingNode node, MySqlCommand? bound)
    {
        if (bound is null)
            return;
        Interlocked.CompareExchange(ref _running, null, bound);   // a later run of this command may have bound another one
        owner.ReturnCommand(node, bound);
    }

    ValueTask<MySqlDataReader> IRoutedStatement.ExecuteReaderAsWrittenAsync(MySqlCommand? bound, CommandBehavior behavior, bool async, CancellationToken cancellationToken)
    {
        var command = bound!;
        if (_prepareRequested)
            return Prepared(command, behavior, async, cancellationToken);
        return async ? new(command.ExecuteReaderAsync(behavior, cancellationToken)) : new(command.ExecuteReader(behavior));

        static async ValueTask<MySqlDataReader> Prepared(MySqlCommand command, CommandBehavior behavior, bool async, CancellationToken cancellationToken)
        {
            await PrepareAsync(command, async, cancellationToken).ConfigureAwait(false);
            return async ? await command.ExecuteReaderAsync(behavior, cancellationToken).ConfigureAwait(false) : command.ExecuteReader(behavior);
        }
    }

    ValueTask<int> IRoutedStatement.ExecuteNonQueryAsWrittenAsync(MySqlCommand? bound, bool async, CancellationToken cancellationToken)
    {
        var command = bound!;
        if (_prepareRequested)
            return Prepared(command, async, cancellationToken);
        return async ? new(command.ExecuteNonQueryAsync(cancellationToken)) : new(command.ExecuteNonQuery());

        static async ValueTask<int> Prepared(MySqlCommand command, bool async, CancellationToken cancellationToken)
        {
            await PrepareAsync(command, async, cancellationToken).ConfigureAwait(false);
            return async ? await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) : command.ExecuteNonQuery();
        }
    }

    ValueTask<object?> IRoutedStatement.ExecuteScalarAsWrittenAsync(MySqlCommand? bound, bool async, CancellationToken cancellationToken)
    {
        var command = bound!;
        if (_prepareRequested)
            return Prepared(command, async, cancellationToken);
        return async ? new(command.ExecuteScalarAsync(cancellationToken)) : new(command.ExecuteScalar());

        static async ValueTask<object?> Prepared(MySqlCommand command, bool async, CancellationToken cancellationToken)
        {
            await PrepareAsync(command, async, cancellationToken).ConfigureAwait(false);
            return async ? await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) : command.ExecuteScalar();
        }
    }

    private static async ValueTask PrepareAsync(MySqlCommand command, bool async, CancellationToken cancellationToken)
    {
        if (async)
            await command.PrepareAsync(cancellationToken).ConfigureAwait(false);
        else
            command.Prepare();
    }

    void IRoutedStatement.AddTo(MySqlBatchCommandCollection commands)
    {
        var copy = new MySqlBatchCommand(_commandText) { CommandType = _commandType };
        _parameters?.CopyTo(copy.Parameters);
        commands.Add(copy);
    }

    SqlClassification IRoutedStatement.Classify(SqlContext context) => _commandType switch
    {
        CommandType.Text => SqlClassifier.Classify(_commandText.AsSpan(RoutedTextStart), context),
        _ => SqlClassification.Routine,   // a stored procedure
    };
}
