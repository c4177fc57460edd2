// Replacing Pomelo services is what a provider add-on does: it builds on Pomelo's pubternal types (pinned to 9.0.x).
#pragma warning disable EF1001

using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.EntityFrameworkCore.Migrations.Operations;
using Pomelo.EntityFrameworkCore.MySql.Storage.Internal;

namespace ReplicaRouting.EntityFrameworkCore.Internal;

/// <summary>
/// Pomelo's database creator, except <see cref="Create"/>: Pomelo's clears the pool of the context's connection by casting
/// it to MySqlConnection. Here CREATE DATABASE runs on a plain primary connection and nothing is cast. Existence checks and
/// DROP DATABASE already use the (plain) master connection; <c>HasTables</c> runs on the routed connection and is sent to
/// the primary by the command interceptor.
/// </summary>
internal sealed class RoutedMySqlDatabaseCreator : MySqlDatabaseCreator
{
    private readonly IMySqlRelationalConnection _connection;

    public RoutedMySqlDatabaseCreator(RelationalDatabaseCreatorDependencies dependencies, IMySqlRelationalConnection connection, IRawSqlCommandBuilder rawSqlCommandBuilder)
        : base(dependencies, connection, rawSqlCommandBuilder) => _connection = connection;

    public override void Create()
    {
        using var master = _connection.CreateMasterConnection();
        Dependencies.MigrationCommandExecutor.ExecuteNonQuery(CreateDatabaseCommands(), master);
    }

    public override async Task CreateAsync(CancellationToken cancellationToken = default)
    {
        var master = _connection.CreateMasterConnection();
        await using (master.ConfigureAwait(false))
            await Dependencies.MigrationCommandExecutor.ExecuteNonQueryAsync(CreateDatabaseCommands(), master, cancellationToken).ConfigureAwait(false);
    }

    private IReadOnlyList<MigrationCommand> CreateDatabaseCommands()
    {
        var model = Dependencies.CurrentContext.Context.GetService<IDesignTimeModel>().Model;
        var create = new MySqlCreateDatabaseOperation
        {
            Name = _connection.DbConnection.Database,
            CharSet = model.GetCharSet(),
            Collation = model.GetCollation(),
        };
        return Dependencies.MigrationsSqlGenerator.Generate([create]);
    }
}
