using System.Data.Common;
using MySqlConnector;
using ReplicaRouting.Internal;

namespace ReplicaRouting;

/// <summary>
/// A batch of commands on a <see cref="ReplicaRoutingConnection"/>, sent together to ONE node: the batch is routed as
/// a whole (a single write or session-state statement sends all of it to the primary).
/// </summary>
public sealed class ReplicaRoutingBatch : DbBatch, IRoutedStatement
{
    private readonly MySqlBatch _inner = new();
    private ReplicaRoutingConnection? _connection;
    private ReplicaRoutingTransaction? _transaction;
    private volatile bool _cancelRequested;
    private MySqlBatch? _waiting;   // the batch that runs these commands behind a GTID wait, while it runs

    /// <summary>Creates a batch with no connection.</summary>
    public ReplicaRoutingBatch()
    {
    }

    /// <summary>Creates a batch on a connection.</summary>
    /// <param name="connection">The connection to run it on.</param>
    public ReplicaRoutingBatch(ReplicaRoutingConnection? connection) => _connection = connection;

    /// <summary>Gets or sets a routing instruction for the whole batch.</summary>
    /// <value>The default value is <see cref="RoutingHint.None"/> (route automatically).</value>
    public RoutingHint RoutingHint { get; set; }

    /// <summary>Gets the batch's commands (MySqlConnector's <see cref="MySqlBatchCommand"/>).</summary>
    public new MySqlBatchCommandCollection BatchCommands => _inner.BatchCommands;

    /// <inheritdoc />
    public override int Timeout
    {
        get => _inner.Timeout;
        set => _inner.Timeout = value;
    }

    /// <summary>Gets or sets the connection the batch runs on.</summary>
    public new ReplicaRoutingConnection? Connection
    {
        get => _connection;
        set => _connection = value;
    }

    /// <summary>Gets or sets the transaction the batch runs in.</summary>
    public new ReplicaRoutingTransaction? Transaction
    {
        get => _transaction;
        set => _transaction = value;
    }

    /// <inheritdoc />
    protected override DbBatchCommandCollection DbBatchCommands => _inner.BatchCommands;

    /// <inheritdoc />
    protected override DbConnection? DbConnection
    {
        get => _connection;
        set => _connection = RoutedExecution.RequireRouted(value, nameof(ReplicaRoutingBatch));
    }

    /// <inheritdoc />
    protected override DbTransaction? DbTransaction
    {
        get => _transaction;
        set => _transaction = RoutedExecution.RequireRouted(value, nameof(ReplicaRoutingBatch));
    }

    /// <inheritdoc />
    public override void Cancel()
    {
        if (Volatile.Read(ref _waiting) is { } waiting)
        {
            _cancelRequested = true;   // the KILL may reach the wait in front: the commands behind it are killed next
            waiting.Cancel();
        }
        else
        {
            _inner.Cancel();
        }
    }

    /// <inheritdoc />
    public override void Prepare() => _inner.Prepare();

    /// <inheritdoc />
    public override Task PrepareAsync(CancellationToken cancellationToken = default) => _inner.PrepareAsync(cancellationToken);

    /// <inheritdoc />
    public override int ExecuteNonQuery() => RoutedExecution.ExecuteNonQueryAsync(this, async: false, CancellationToken.None).GetAwaiter().GetResult();

    /// <inheritdoc />
    public override Task<int> ExecuteNonQueryAsync(CancellationToken cancellationToken = default) => RoutedExecution.ExecuteNonQueryAsync(this, async: true, cancellationToken).AsTask();

    /// <inheritdoc />
    public override object? ExecuteScalar() => RoutedExecution.ExecuteScalarAsync(this, async: false, CancellationToken.None).GetAwaiter().GetResult();

    /// <inheritdoc />
    public override Task<object?> ExecuteScalarAsync(CancellationToken cancellationToken = default) => RoutedExecution.ExecuteScalarAsync(this, async: true, cancellationToken).AsTask();

    /// <summary>Runs the batch and returns a reader over all its results.</summary>
    /// <param name="behavior">The reader behaviour.</param>
    /// <returns>The reader.</returns>
    public new ReplicaRoutingDataReader ExecuteReader(System.Data.CommandBehavior behavior = System.Data.CommandBehavior.Default) =>
        (ReplicaRoutingDataReader)RoutedExecution.ExecuteReaderAsync(this, behavior, async: false, CancellationToken.None).GetAwaiter().GetResult();

    /// <inheritdoc />
    protected override DbDataReader ExecuteDbDataReader(System.Data.CommandBehavior behavior) => ExecuteReader(behavior);

    /// <inheritdoc />
    protected override Task<DbDataReader> ExecuteDbDataReaderAsync(System.Data.CommandBehavior behavior, CancellationToken cancellationToken) =>
        RoutedExecution.ExecuteReaderAsync(this, behavior, async: true, cancellationToken).AsTask();

    /// <inheritdoc />
    protected override DbBatchCommand CreateDbBatchCommand() => new MySqlBatchCommand();

    /// <inheritdoc />
    public override void Dispose()
    {
        _inner.Dispose();
        base.Dispose();
    }

    int IRoutedStatement.Timeout => _inner.Timeout;

    bool IRoutedStatement.CancelRequested => _cancelRequested;

    void IRoutedStatement.Running(MySqlBatch? batch)
    {
        _cancelRequested = false;
        Volatile.Write(ref _waiting, batch);
    }

    ReplicaRoutingTransaction? IRoutedStatement.Transaction => _transaction;

    MySqlCommand? IRoutedStatement.Bind(ReplicaRoutingConnection owner, RoutingNode node, MySqlConnection connection)
    {
        _inner.Connection = connection;
        _inner.Transaction = _transaction?.Inner;
        return null;   // the batch runs as its own MySqlBatch
    }

    void IRoutedStatement.Release(ReplicaRoutingConnection owner, RoutingNode node, MySqlCommand? bound)
    {
    }

    async ValueTask<MySqlDataReader> IRoutedStatement.ExecuteReaderAsWrittenAsync(MySqlCommand? bound, System.Data.CommandBehavior behavior, bool async, CancellationToken cancellationToken) =>
        (MySqlDataReader)(async ? await _inner.ExecuteReaderAsync(behavior, cancellationToken).ConfigureAwait(false) : _inner.ExecuteReader(behavior));

    ValueTask<int> IRoutedStatement.ExecuteNonQueryAsWrittenAsync(MySqlCommand? bound, bool async, CancellationToken cancellationToken) =>
        async ? new(_inner.ExecuteNonQueryAsync(cancellationToken)) : new(_inner.ExecuteNonQuery());

    ValueTask<object?> IRoutedStatement.ExecuteScalarAsWrittenAsync(MySqlCommand? bound, bool async, CancellationToken cancellationToken) =>
        async ? new(_inner.ExecuteScalarAsync(cancellationToken)) : new(_inner.ExecuteScalar());

    void IRoutedStatement.AddTo(MySqlBatchCommandCollection commands)
    {
        foreach (MySqlBatchCommand command in _inner.BatchCommands)
        {
            var copy = new MySqlBatchCommand(command.CommandText) { CommandType = command.CommandType };
            var parameters = command.Parameters;
            for (var i = 0; i < parameters.Count; i++)   // indexed: the collection's enumerator would allocate
                copy.Parameters.Add(parameters[i]);
            commands.Add(copy);
        }
    }

    /// <summary>The batch goes to one node, so it is classified as one text: the strongest statement decides.</summary>
    SqlClassification IRoutedStatement.Classify(SqlContext context)
    {
        var combined = new SqlClassification(StatementKind.Empty, SessionEffects.None, SqlHint.None);
        foreach (var command in _inner.BatchCommands)
        {
            var classification = command.CommandType == System.Data.CommandType.Text
                ? SqlClassifier.Classify(command.CommandText, context)
                : SqlClassification.Routine;
            combined = SqlClassification.Combine(combined, classification);
        }

        return combined;
    }
}
