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
    public override void Cancel() => _inner.Cancel();

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

    ReplicaRoutingTransaction? IRoutedStatement.Transaction => _transaction;

    async ValueTask<MySqlDataReader> IRoutedStatement.ExecuteReaderAsWrittenAsync(MySqlConnection connection, System.Data.CommandBehavior behavior, bool async, CancellationToken cancellationToken)
    {
        Attach(connection);
        return (MySqlDataReader)(async ? await _inner.ExecuteReaderAsync(behavior, cancellationToken).ConfigureAwait(false) : _inner.ExecuteReader(behavior));
    }

    ValueTask<int> IRoutedStatement.ExecuteNonQueryAsWrittenAsync(MySqlConnection connection, bool async, CancellationToken cancellationToken)
    {
        Attach(connection);
        return async ? new(_inner.ExecuteNonQueryAsync(cancellationToken)) : new(_inner.ExecuteNonQuery());
    }

    ValueTask<object?> IRoutedStatement.ExecuteScalarAsWrittenAsync(MySqlConnection connection, bool async, CancellationToken cancellationToken)
    {
        Attach(connection);
        return async ? new(_inner.ExecuteScalarAsync(cancellationToken)) : new(_inner.ExecuteScalar());
    }

    /// <summary>Points the inner batch at the routed physical connection (and the transaction there, if any).</summary>
    private void Attach(MySqlConnection connection)
    {
        _inner.Connection = connection;
        _inner.Transaction = _transaction?.Inner;
    }

    void IRoutedStatement.AddTo(MySqlBatchCommandCollection commands)
    {
        foreach (MySqlBatchCommand command in _inner.BatchCommands)
            commands.Add(RoutedExecution.CopyOf(command.CommandText, command.CommandType, command.Parameters));
    }

    /// <summary>The batch goes to one node, so it is classified as one text: the strongest statement decides.</summary>
    SqlClassification IRoutedStatement.Classify()
    {
        var combined = new SqlClassification(StatementKind.Empty, SessionEffects.None, SqlHint.None);
        foreach (var command in _inner.BatchCommands)
        {
            var classification = command.CommandType == System.Data.CommandType.Text
                ? SqlClassifier.Classify(command.CommandText)
                : new SqlClassification(StatementKind.Write, SessionEffects.None, SqlHint.None);
            combined = SqlClassification.Combine(combined, classification);
        }

        return combined;
    }
}
