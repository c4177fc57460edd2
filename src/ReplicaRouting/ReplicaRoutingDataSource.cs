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

        // Expose the primary's string without its password, as the string that "identifies" this source.
        var builder = new MySqlConnectionStringBuilder(configuration.Primary.DataSource.ConnectionString);
        builder.Remove("Password");
        _connectionString = builder.ConnectionString;
    }

    internal RoutingConfiguration Configuration { get; }

    /// <summary>Gets the primary's connection string, without its password.</summary>
    public override string ConnectionString => _connectionString;

    /// <summary>Gets the consistency mode in force.</summary>
    public ReadConsistency Consistency => Configuration.Consistency;

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
            foreach (var node in Configuration.Nodes)
                node.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <inheritdoc />
    protected override async ValueTask DisposeAsyncCore()
    {
        foreach (var node in Configuration.Nodes)
            await node.DataSource.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsyncCore().ConfigureAwait(false);
    }
}
