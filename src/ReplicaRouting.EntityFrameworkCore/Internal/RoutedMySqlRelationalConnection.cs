// Replacing Pomelo services is what a provider add-on does: it builds on Pomelo's pubternal types (pinned to 9.0.x).
#pragma warning disable EF1001

using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;
using MySqlConnector;
using Pomelo.EntityFrameworkCore.MySql.Infrastructure.Internal;
using Pomelo.EntityFrameworkCore.MySql.Storage.Internal;

namespace ReplicaRouting.EntityFrameworkCore.Internal;

/// <summary>
/// Pomelo's relational connection over a <see cref="ReplicaRoutingDataSource"/>: each context gets its own
/// <see cref="ReplicaRoutingConnection"/> (it takes physical connections lazily, per node), owned and disposed by EF.
/// Database creation and deletion, which Pomelo runs on a MySqlConnection without a database, get a plain connection
/// to the primary instead.
/// </summary>
internal sealed class RoutedMySqlRelationalConnection : MySqlRelationalConnection
{
    private readonly IMySqlConnectionStringOptionsValidator _validator;
    private readonly RoutedDataSource _routed;

    public RoutedMySqlRelationalConnection(RelationalConnectionDependencies dependencies, IMySqlConnectionStringOptionsValidator validator)
        : this(dependencies, validator, RoutedDataSource.Of(dependencies.ContextOptions))
    {
    }

    private RoutedMySqlRelationalConnection(RelationalConnectionDependencies dependencies, IMySqlConnectionStringOptionsValidator validator, RoutedDataSource routed)
        : base(dependencies, validator, routed.DataSource)   // Pomelo creates the context's connections from this DbDataSource
    {
        _validator = validator;
        _routed = routed;
    }

    /// <summary>A routed connection whose physical connections have Pomelo's options, whatever the data source's strings say.</summary>
    protected override DbConnection CreateDbConnection()
    {
        var connection = _routed.DataSource.CreateConnection();
        connection.UsesEntityFrameworkPools = true;
        return connection;
    }

    /// <summary>A connection to the primary server without a database (CREATE/DROP DATABASE, existence checks).</summary>
    public override IMySqlRelationalConnection CreateMasterConnection()
    {
        var mySqlOptions = Dependencies.ContextOptions.FindExtension<MySqlOptionsExtension>()
            ?? throw new InvalidOperationException("UseReplicaRouting works with Pomelo.EntityFrameworkCore.MySql: call UseMySql(serverVersion) as well.");
        var connectionString = AddConnectionStringOptions(new MySqlConnectionStringBuilder(_routed.ServerConnectionString)).ConnectionString;
        var master = (MySqlOptionsExtension)mySqlOptions.WithConnection(new MySqlConnection(connectionString), owned: true);

        var optionsBuilder = new DbContextOptionsBuilder();
        ((IDbContextOptionsBuilderInfrastructure)optionsBuilder).AddOrUpdateExtension(master);
        return CreateMasterConnectionCore(optionsBuilder, _validator);
    }

    /// <summary>Pooled contexts: a lease never inherits the previous lease's connection (its pins and read-your-writes state).</summary>
    protected override void ResetState(bool disposeDbConnection) => base.ResetState(disposeDbConnection: true);

    /// <inheritdoc cref="ResetState" />
    protected override ValueTask ResetStateAsync(bool disposeDbConnection) => base.ResetStateAsync(disposeDbConnection: true);

    /// <summary>Pomelo runs session <c>SET sql_mode</c> here; rejected at configuration time (see the options extension).</summary>
    protected override void ExecuteNonQuery(string sql) => throw SqlModeNotSupported();

    /// <inheritdoc cref="ExecuteNonQuery" />
    protected override Task ExecuteNonQueryAsync(string sql, CancellationToken cancellationToken = default) => throw SqlModeNotSupported();

    private static NotSupportedException SqlModeNotSupported() =>
        new("ReplicaRouting does not run Pomelo's session sql_mode changes: set NoBackslashEscapes=True in the data source's connection strings.");
}
