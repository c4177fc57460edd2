using System.Data;
using System.Data.Common;
using MySqlConnector;
using ReplicaRouting.Internal;

namespace ReplicaRouting;

/// <summary>
/// A transaction on a <see cref="ReplicaRoutingConnection"/>. A read-write transaction runs on the primary and pins the
/// connection there until it closes; a read-only one runs on one node until it ends.
/// </summary>
public sealed class ReplicaRoutingTransaction : DbTransaction
{
    private ReplicaRoutingConnection? _connection;

    internal ReplicaRoutingTransaction(ReplicaRoutingConnection connection, MySqlTransaction inner)
    {
        _connection = connection;
        Inner = inner;
    }

    internal MySqlTransaction Inner { get; }

    /// <summary>
    /// Gets MySqlConnector's transaction on the node this transaction runs on, for APIs that take one with the connection of
    /// <see cref="ReplicaRoutingConnection.GetPrimaryConnection"/> (<see cref="MySqlBulkCopy"/>).
    /// </summary>
    public MySqlTransaction MySqlTransaction => Inner;

    /// <summary>Gets the connection, or <see langword="null"/> once the transaction has completed.</summary>
    public new ReplicaRoutingConnection? Connection => _connection;

    /// <inheritdoc />
    public override IsolationLevel IsolationLevel => Inner.IsolationLevel;

    /// <inheritdoc />
    public override bool SupportsSavepoints => true;

    /// <inheritdoc />
    protected override DbConnection? DbConnection => _connection;

    /// <inheritdoc />
    public override void Commit() => CommitAsyncCore(async: false, CancellationToken.None).GetAwaiter().GetResult();

    /// <inheritdoc />
    public override Task CommitAsync(CancellationToken cancellationToken = default) => CommitAsyncCore(async: true, cancellationToken).AsTask();

    /// <inheritdoc />
    public override void Rollback()
    {
        try
        {
            Inner.Rollback();
        }
        finally
        {
            Complete();
        }
    }

    /// <inheritdoc />
    public override async Task RollbackAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await Inner.RollbackAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Complete();
        }
    }

    /// <inheritdoc />
    public override void Save(string savepointName) => Inner.Save(savepointName);

    /// <inheritdoc />
    public override Task SaveAsync(string savepointName, CancellationToken cancellationToken = default) => Inner.SaveAsync(savepointName, cancellationToken);

    /// <inheritdoc />
    public override void Rollback(string savepointName) => Inner.Rollback(savepointName);

    /// <inheritdoc />
    public override Task RollbackAsync(string savepointName, CancellationToken cancellationToken = default) => Inner.RollbackAsync(savepointName, cancellationToken);

    /// <inheritdoc />
    public override void Release(string savepointName) => Inner.Release(savepointName);

    /// <inheritdoc />
    public override Task ReleaseAsync(string savepointName, CancellationToken cancellationToken = default) => Inner.ReleaseAsync(savepointName, cancellationToken);

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Inner.Dispose();   // rolls back if neither committed nor rolled back
            Complete();
        }

        base.Dispose(disposing);
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        await Inner.DisposeAsync().ConfigureAwait(false);
        Complete();
        GC.SuppressFinalize(this);
    }

    private async ValueTask CommitAsyncCore(bool async, CancellationToken cancellationToken)
    {
        if (Inner.Connection is { State: ConnectionState.Broken })
        {
            // An earlier statement broke the connection: COMMIT cannot be sent, and the server rolled the transaction back
            // when the connection died. Nothing was committed, so the whole transaction may run again.
            var node = _connection?.PinnedPrimaryEndpoint ?? "the primary";
            _connection?.DataSourceOwner.Monitor.RequestRefresh();
            Complete();
            throw new PrimaryUnavailableException($"The connection to {node} broke before COMMIT was sent: the server rolled the transaction back, nothing was committed.");
        }

        try
        {
            if (async)
                await Inner.CommitAsync(cancellationToken).ConfigureAwait(false);
            else
                Inner.Commit();
        }
        catch (MySqlException ex) when (ServerErrors.IsConnectionFailure(ex))
        {
            // The COMMIT may have reached the server before the connection broke: only the data can tell.
            var node = _connection?.PinnedPrimaryEndpoint ?? "the primary";
            _connection?.DataSourceOwner.Monitor.RequestRefresh();
            throw new CommitOutcomeUnknownException(
                $"The connection to {node} broke during COMMIT: the transaction may or may not have been committed. It was not retried.", ex);
        }
        finally
        {
            Complete();   // the writes' GTID is read later, on the same primary session (ReplicaRoutingConnection.OnPrimaryWrite)
        }
    }

    private void Complete()
    {
        _connection?.OnTransactionCompleted(this);
        _connection = null;
    }
}
