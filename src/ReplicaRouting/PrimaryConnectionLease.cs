using MySqlConnector;

namespace ReplicaRouting;

/// <summary>
/// The primary's physical MySqlConnector connection, lent by a <see cref="ReplicaRoutingConnection"/> for the APIs that need
/// a <see cref="MySqlConnection"/> (<see cref="MySqlBulkCopy"/>, <see cref="MySqlBulkLoader"/>). Dispose it when done: the
/// routed connection then records what was written there in the routing session, so later reads see it.
/// </summary>
/// <example>
/// <code>
/// await using (var lease = await connection.LeasePrimaryConnectionAsync())
///     await new MySqlBulkCopy(lease.Connection, lease.Transaction) { DestinationTableName = "orders" }.WriteToServerAsync(table);
/// </code>
/// </example>
public sealed class PrimaryConnectionLease : IDisposable, IAsyncDisposable
{
    private readonly ReplicaRoutingConnection _owner;
    private bool _ended;

    internal PrimaryConnectionLease(ReplicaRoutingConnection owner, MySqlConnection connection, MySqlTransaction? transaction)
    {
        _owner = owner;
        Connection = connection;
        Transaction = transaction;
    }

    /// <summary>Gets the primary's open connection. It stays owned by the routed connection: do not close or dispose it.</summary>
    public MySqlConnection Connection { get; }

    /// <summary>Gets the routed connection's transaction on that connection, if one is active (pass it to MySqlBulkCopy).</summary>
    public MySqlTransaction? Transaction { get; }

    /// <summary>Ends the lease and records the writes made through it in the routing session.</summary>
    public void Dispose()
    {
        if (!_ended)
        {
            _ended = true;
            _owner.EndPrimaryLeaseAsync(Connection, async: false).AsTask().GetAwaiter().GetResult();
        }
    }

    /// <summary>Ends the lease and records the writes made through it in the routing session.</summary>
    /// <returns>A task that completes once the writes are recorded.</returns>
    public ValueTask DisposeAsync()
    {
        if (_ended)
            return ValueTask.CompletedTask;
        _ended = true;
        return _owner.EndPrimaryLeaseAsync(Connection, async: true);
    }
}
