using System.Data.Common;
using MySqlConnector;

namespace ReplicaRouting;

/// <summary>
/// The ADO.NET provider factory of ReplicaRouting: what libraries that take a provider (or a provider name) and a connection
/// string use to create connections, commands, parameters (MySqlConnector's <see cref="MySqlParameter"/>), connection string
/// builders, batches, data adapters and command builders. Register it with
/// <c>DbProviderFactories.RegisterFactory("ReplicaRouting", ReplicaRoutingProviderFactory.Instance)</c>.
/// </summary>
public sealed class ReplicaRoutingProviderFactory : DbProviderFactory
{
    /// <summary>The one instance (what <see cref="DbProviderFactories"/> and <see cref="DbConnection"/> hand out).</summary>
    public static readonly ReplicaRoutingProviderFactory Instance = new();

    private ReplicaRoutingProviderFactory()
    {
    }

    /// <inheritdoc />
    public override bool CanCreateDataSourceEnumerator => false;

    /// <inheritdoc />
    public override bool CanCreateCommandBuilder => true;

    /// <inheritdoc />
    public override bool CanCreateDataAdapter => true;

    /// <inheritdoc />
    public override bool CanCreateBatch => true;

    /// <summary>Creates a connection with no connection string.</summary>
    /// <returns>A new <see cref="ReplicaRoutingConnection"/>.</returns>
    public override DbConnection CreateConnection() => new ReplicaRoutingConnection();

    /// <summary>Creates a command.</summary>
    /// <returns>A new <see cref="ReplicaRoutingCommand"/>.</returns>
    public override DbCommand CreateCommand() => new ReplicaRoutingCommand();

    /// <summary>Creates a MySqlConnector parameter.</summary>
    /// <returns>A new <see cref="MySqlParameter"/>.</returns>
    public override DbParameter CreateParameter() => new MySqlParameter();

    /// <summary>Creates a connection string builder.</summary>
    /// <returns>A new <see cref="ReplicaRoutingConnectionStringBuilder"/>.</returns>
    public override DbConnectionStringBuilder CreateConnectionStringBuilder() => new ReplicaRoutingConnectionStringBuilder();

    /// <summary>Creates a command builder.</summary>
    /// <returns>A new <see cref="ReplicaRoutingCommandBuilder"/>.</returns>
    public override DbCommandBuilder CreateCommandBuilder() => new ReplicaRoutingCommandBuilder();

    /// <summary>Creates a data adapter.</summary>
    /// <returns>A new <see cref="ReplicaRoutingDataAdapter"/>.</returns>
    public override DbDataAdapter CreateDataAdapter() => new ReplicaRoutingDataAdapter();

    /// <summary>Creates a batch.</summary>
    /// <returns>A new <see cref="ReplicaRoutingBatch"/>.</returns>
    public override DbBatch CreateBatch() => new ReplicaRoutingBatch();

    /// <summary>Creates a batch command (MySqlConnector's).</summary>
    /// <returns>A new <see cref="MySqlBatchCommand"/>.</returns>
    public override DbBatchCommand CreateBatchCommand() => new MySqlBatchCommand();

    /// <summary>
    /// Creates a new data source from a connection string, owned by the caller (dispose it), not the shared one that
    /// <see cref="ReplicaRoutingConnection(string)"/> uses.
    /// </summary>
    /// <param name="connectionString">The connection string (see <see cref="ReplicaRoutingConnectionStringBuilder"/>).</param>
    /// <returns>A new <see cref="ReplicaRoutingDataSource"/>.</returns>
    /// <exception cref="ArgumentException">A key is unknown, or its value malformed or out of range; the message names the key.</exception>
    public override DbDataSource CreateDataSource(string connectionString) => new ReplicaRoutingConnectionStringBuilder(connectionString).BuildDataSource();
}
