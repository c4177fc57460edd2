using System.Data;
using System.Data.Common;
using Dapper;
using LinqToDB;
using LinqToDB.Data;
using LinqToDB.DataProvider.MySql;
using LinqToDB.Mapping;
using MySqlConnector;
using ReplicaRouting.IntegrationTests.Infrastructure;

namespace ReplicaRouting.IntegrationTests;

/// <summary>
/// The drop-in provider: a routed connection made from a connection string, the provider factory, GetSchema, data adapters
/// and the ADO.NET state rules, each compared with plain MySqlConnector on the primary. Runs once per flavor.
/// </summary>
public abstract class ProviderTests(TopologyFixture topology)
{
    private readonly TopologyConfig _config = topology.Config;

    /// <summary>The routed form of the topology: the primary's MySqlConnector string plus Replicas and routing keys.</summary>
    private string RoutedString(string consistency = "Eventual", string? extra = null) =>
        $"{_config.ConnectionString(_config.PrimaryEndpoint)};Replicas={string.Join(",", _config.ReplicaEndpoints)};Read Consistency={consistency};Topology Monitor=false"
        + (extra is null ? "" : ";" + extra);

    private string PlainString => _config.ConnectionString(_config.PrimaryEndpoint);

    [Fact]
    public async Task A_connection_opened_from_a_connection_string_routes_reads_to_replicas_and_writes_to_the_primary()
    {
        await using var connection = new ReplicaRoutingConnection(RoutedString());
        await connection.OpenAsync();

        Assert.True(topology.IsReplica(await connection.ExecuteScalarAsync<long>("SELECT @@server_id")));
        Assert.Equal(RouteTarget.Replica, connection.LastRoutingDecision!.Value.Target);

        Assert.Equal(1, await connection.ExecuteAsync("INSERT INTO items (name, written_by) VALUES ('provider', @@server_id)"));
        Assert.Equal(RouteTarget.Primary, connection.LastRoutingDecision!.Value.Target);
        Assert.Equal(_config.PrimaryEndpoint, connection.LastRoutingDecision!.Value.Node);
    }

    [Fact]
    public async Task The_connection_string_setter_follows_MySqlConnection()
    {
        var routedString = RoutedString();
        await using var plain = new MySqlConnection();
        await using var routed = new ReplicaRoutingConnection();
        Assert.Equal(plain.ConnectionString, routed.ConnectionString);   // ""

        // Kept difference: MySqlConnection tries to connect to an empty host name and fails with MySqlException; a routed
        // connection without a connection string fails before connecting, as SqlClient and Npgsql do.
        Assert.Throws<MySqlException>(plain.Open);
        Assert.Throws<InvalidOperationException>(routed.Open);

        plain.ConnectionString = PlainString;
        routed.ConnectionString = routedString;
        Assert.Equal(PlainString, plain.ConnectionString);   // as set, until opened
        Assert.Equal(routedString, routed.ConnectionString);

        await plain.OpenAsync();
        await routed.OpenAsync();
        Assert.Throws<InvalidOperationException>(() => plain.ConnectionString = PlainString);
        Assert.Throws<InvalidOperationException>(() => routed.ConnectionString = routedString);

        // Once opened: normalized, without the password, and the MySqlConnector part is the same as plain's.
        Assert.DoesNotContain(_config.Password, plain.ConnectionString, StringComparison.Ordinal);
        Assert.DoesNotContain(_config.Password, routed.ConnectionString, StringComparison.Ordinal);
        Assert.True(new MySqlConnectionStringBuilder(plain.ConnectionString).EquivalentTo(
            new ReplicaRoutingConnectionStringBuilder(routed.ConnectionString).PrimaryConnectionString()));
        Assert.Contains("Replicas=", routed.ConnectionString, StringComparison.Ordinal);

        await plain.CloseAsync();
        await routed.CloseAsync();
        Assert.DoesNotContain(_config.Password, routed.ConnectionString, StringComparison.Ordinal);   // plain: still hidden after Close
        Assert.DoesNotContain(_config.Password, plain.ConnectionString, StringComparison.Ordinal);

        // Set while closed: used from the next Open.
        routed.ConnectionString = RoutedString(extra: "Persist Security Info=true");
        plain.ConnectionString = PlainString + ";Persist Security Info=true";
        await plain.OpenAsync();
        await routed.OpenAsync();
        Assert.Contains(_config.Password, plain.ConnectionString, StringComparison.Ordinal);
        Assert.Contains(_config.Password, routed.ConnectionString, StringComparison.Ordinal);
        Assert.Equal(1L, await routed.ExecuteScalarAsync<long>("SELECT 1"));
    }

    [Fact]
    public async Task Equal_connection_strings_share_one_data_source()
    {
        var text = RoutedString(extra: "Application Name=shared-test");
        await using var first = new ReplicaRoutingConnection(text);
        await using var second = new ReplicaRoutingConnection(text);
        var respelled = string.Join(";", text.Split(';').Reverse()).Replace("Read Consistency", "readconsistency", StringComparison.Ordinal);
        await using var third = new ReplicaRoutingConnection(respelled);
        await using var other = new ReplicaRoutingConnection(RoutedString(extra: "Application Name=another"));
        foreach (var connection in new[] { first, second, third, other })
            await connection.OpenAsync();

        Assert.Same(first.DataSourceOwner, second.DataSourceOwner);
        Assert.Same(first.DataSourceOwner, third.DataSourceOwner);
        Assert.NotSame(first.DataSourceOwner, other.DataSourceOwner);

        // Closing or disposing a connection leaves the shared data source (and its pools) to the others.
        await first.DisposeAsync();
        Assert.Equal(1L, await second.ExecuteScalarAsync<long>("SELECT 1"));

        // Clearing the pools empties them; connections go on with fresh physical connections.
        await second.CloseAsync();
        await ReplicaRoutingConnection.ClearAllPoolsAsync();
        await second.OpenAsync();
        Assert.Equal(1L, await second.ExecuteScalarAsync<long>("SELECT 1"));
        Assert.Same(third.DataSourceOwner, second.DataSourceOwner);
    }

    [Fact]
    public async Task Data_sources_built_in_code_still_create_connections()
    {
        await using var dataSource = topology.CreateDataSource();
        await using var connection = dataSource.CreateConnection();
        Assert.DoesNotContain(_config.Password, connection.ConnectionString, StringComparison.Ordinal);
        await connection.OpenAsync();
        Assert.Equal(1L, await connection.ExecuteScalarAsync<long>("SELECT 1"));
        Assert.Same(ReplicaRoutingProviderFactory.Instance, DbProviderFactories.GetFactory(connection));
    }

    [Fact]
    public async Task The_provider_factory_works_through_DbProviderFactories()
    {
        DbProviderFactories.RegisterFactory("ReplicaRouting", ReplicaRoutingProviderFactory.Instance);
        var factory = DbProviderFactories.GetFactory("ReplicaRouting");

        var builder = factory.CreateConnectionStringBuilder()!;
        builder.ConnectionString = RoutedString();
        await using var connection = factory.CreateConnection()!;
        connection.ConnectionString = builder.ConnectionString;
        await connection.OpenAsync();

        await using var command = factory.CreateCommand()!;
        command.Connection = connection;
        command.CommandText = "SELECT @a + 1";
        var parameter = factory.CreateParameter()!;
        parameter.ParameterName = "@a";
        parameter.Value = 41;
        command.Parameters.Add(parameter);
        Assert.Equal(42L, Convert.ToInt64(await command.ExecuteScalarAsync()));

        var batch = factory.CreateBatch()!;
        await using (batch)
        {
            batch.Connection = connection;
            var first = factory.CreateBatchCommand()!;
            first.CommandText = "SELECT 1";
            var second = factory.CreateBatchCommand()!;
            second.CommandText = "SELECT 2";
            batch.BatchCommands.Add(first);
            batch.BatchCommands.Add(second);
            await using var reader = await batch.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync());
            Assert.True(await reader.NextResultAsync());
            Assert.True(await reader.ReadAsync());
            Assert.Equal(2L, Convert.ToInt64(reader.GetValue(0)));
        }

        // CreateDataSource: a data source of the caller's own, from the same string.
        await using var owned = factory.CreateDataSource(builder.ConnectionString);
        await using var fromOwned = await owned.OpenConnectionAsync();
        Assert.IsType<ReplicaRoutingConnection>(fromOwned);
        Assert.Equal(7L, Convert.ToInt64(await fromOwned.ExecuteScalarAsync("SELECT 7")));
    }

    [Fact]
    public async Task GetSchema_returns_what_MySqlConnection_returns_on_the_primary()
    {
        await using var plain = new MySqlConnection(PlainString);
        await using var routed = new ReplicaRoutingConnection(RoutedString());
        Assert.Throws<InvalidOperationException>(() => routed.GetSchema());
        await plain.OpenAsync();
        await routed.OpenAsync();

        Assert.Equal(CollectionNames(plain.GetSchema()), CollectionNames(routed.GetSchema()));
        Assert.Equal(CollectionNames(await plain.GetSchemaAsync()), CollectionNames(await routed.GetSchemaAsync()));
        Assert.True(CollectionNames(routed.GetSchema()).Count > 20);

        // Tables, restricted to the test table: same columns, same identifying values.
        string?[] restrictions = [null, _config.Database, "items"];
        var plainTables = plain.GetSchema("Tables", restrictions);
        var routedTables = await routed.GetSchemaAsync("Tables", restrictions);
        Assert.Equal(ColumnNames(plainTables), ColumnNames(routedTables));
        Assert.Equal(Rows(plainTables, "TABLE_SCHEMA", "TABLE_NAME", "TABLE_TYPE", "ENGINE"), Rows(routedTables, "TABLE_SCHEMA", "TABLE_NAME", "TABLE_TYPE", "ENGINE"));
        Assert.Single(routedTables.Rows);

        // Columns of the test table: every value equal.
        var plainColumns = plain.GetSchema("Columns", restrictions);
        var routedColumns = routed.GetSchema("Columns", restrictions);
        var all = ColumnNames(plainColumns).ToArray();
        Assert.Equal(all, ColumnNames(routedColumns));
        Assert.Equal(Rows(plainColumns, all), Rows(routedColumns, all));
        Assert.Equal(plain.GetSchema("DataTypes").Rows.Count, routed.GetSchema("DataTypes").Rows.Count);

        // An unknown collection fails the same way.
        var plainError = Assert.ThrowsAny<Exception>(() => plain.GetSchema("NoSuchCollection"));
        var routedError = Assert.ThrowsAny<Exception>(() => routed.GetSchema("NoSuchCollection"));
        Assert.Equal(plainError.GetType(), routedError.GetType());

        // Schema reads go to the primary and leave routing as it was.
        Assert.True(topology.IsReplica(await routed.ExecuteScalarAsync<long>("SELECT @@server_id")));

        static List<string> CollectionNames(DataTable table) => [.. table.Rows.Cast<DataRow>().Select(r => (string)r["CollectionName"])];
    }

    [Fact]
    public async Task A_data_adapter_fills_and_updates_through_generated_commands()
    {
        var table = "provider_adapter_" + Guid.NewGuid().ToString("N")[..8];
        await using (var admin = await topology.OpenAdminAsync(_config.PrimaryEndpoint))
        {
            await admin.ExecuteAsync($"CREATE TABLE {_config.Database}.{table} (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(50) NOT NULL, qty INT NOT NULL)");
            await admin.ExecuteAsync($"INSERT INTO {_config.Database}.{table} (name, qty) VALUES ('apple', 1), ('pear', 2), ('plum', 3)");
        }

        try
        {
            await topology.WaitForReplicasAsync();
            var select = $"SELECT id, name, qty FROM {table} ORDER BY id";

            // Fill: the same table as MySqlConnector's adapter fills.
            using var plainTable = new DataTable();
            using var routedTable = new DataTable();
            await using (var plain = new MySqlConnection(PlainString))
            {
                using var plainAdapter = new MySqlDataAdapter(select, plain);
                plainAdapter.Fill(plainTable);
                using var plainBuilder = new MySqlCommandBuilder(plainAdapter);

                await using var routed = new ReplicaRoutingConnection(RoutedString("ReadYourWrites"));
                using var adapter = new ReplicaRoutingDataAdapter(select, routed);
                Assert.Equal(3, adapter.Fill(routedTable));
                Assert.Equal(ColumnNames(plainTable), ColumnNames(routedTable));
                Assert.Equal(plainTable.Columns.Cast<DataColumn>().Select(c => c.DataType), routedTable.Columns.Cast<DataColumn>().Select(c => c.DataType));
                Assert.Equal(Rows(plainTable, "id", "name", "qty"), Rows(routedTable, "id", "name", "qty"));

                // The generated commands are MySqlConnector's, word for word.
                using var builder = new ReplicaRoutingCommandBuilder(adapter);
                Assert.Equal(plainBuilder.GetInsertCommand().CommandText, builder.GetInsertCommand().CommandText);
                Assert.Equal(plainBuilder.GetUpdateCommand().CommandText, builder.GetUpdateCommand().CommandText);
                Assert.Equal(plainBuilder.GetDeleteCommand().CommandText, builder.GetDeleteCommand().CommandText);
                Assert.Equal(
                    plainBuilder.GetUpdateCommand().Parameters.Cast<MySqlParameter>().Select(p => (p.ParameterName, p.MySqlDbType)),
                    builder.GetUpdateCommand().Parameters.Select(p => (p.ParameterName, p.MySqlDbType)));

                // Update: one change of each kind.
                routedTable.Rows[0]["qty"] = 10;
                routedTable.Rows[1].Delete();
                routedTable.Rows.Add(null, "quince", 4);
                Assert.Equal(3, adapter.Update(routedTable));

                // Read back on the routed connection (read-your-writes) and on the primary.
                routedTable.Clear();
                adapter.Fill(routedTable);
                Assert.Equal([("apple", 10), ("plum", 3), ("quince", 4)], routedTable.Rows.Cast<DataRow>().Select(r => ((string)r["name"], (int)r["qty"])));
            }

            await using var check = new MySqlConnection(PlainString);
            var onPrimary = (await check.QueryAsync<(string, int)>($"SELECT name, qty FROM {table} ORDER BY id")).ToArray();
            Assert.Equal([("apple", 10), ("plum", 3), ("quince", 4)], onPrimary);
        }
        finally
        {
            await using var admin = await topology.OpenAdminAsync(_config.PrimaryEndpoint);
            await admin.ExecuteAsync($"DROP TABLE IF EXISTS {_config.Database}.{table}");
        }
    }

    [Fact]
    public async Task DisposeAsync_raises_Disposed_like_Dispose()
    {
        foreach (var async in new[] { true, false })
        {
            var plain = new MySqlConnection(PlainString);
            var routed = new ReplicaRoutingConnection(RoutedString());
            var plainRaised = 0;
            var routedRaised = 0;
            plain.Disposed += (_, _) => plainRaised++;
            routed.Disposed += (_, _) => routedRaised++;
            await plain.OpenAsync();
            await routed.OpenAsync();
            if (async)
            {
                await plain.DisposeAsync();
                await routed.DisposeAsync();
            }
            else
            {
                plain.Dispose();
                routed.Dispose();
            }

            Assert.Equal(1, plainRaised);
            Assert.Equal(plainRaised, routedRaised);
            Assert.Equal(ConnectionState.Closed, routed.State);
        }
    }

    [Fact]
    public async Task A_command_keeps_its_text_and_connection_while_its_reader_is_open()
    {
        await using var plain = new MySqlConnection(PlainString);
        await using var routed = new ReplicaRoutingConnection(RoutedString());
        await plain.OpenAsync();
        await routed.OpenAsync();
        await using var plainCommand = new MySqlCommand("SELECT 1", plain);
        await using var routedCommand = routed.CreateCommand();
        routedCommand.CommandText = "SELECT 1";

        foreach (var async in new[] { false, true })
        {
            var plainReader = async ? await plainCommand.ExecuteReaderAsync() : plainCommand.ExecuteReader();
            var routedReader = async ? await ((DbCommand)routedCommand).ExecuteReaderAsync() : routedCommand.ExecuteReader();
            Assert.Throws<InvalidOperationException>(() => plainCommand.CommandText = "SELECT 2");
            Assert.Throws<InvalidOperationException>(() => routedCommand.CommandText = "SELECT 2");
            Assert.Throws<InvalidOperationException>(() => plainCommand.Connection = null);
            Assert.Throws<InvalidOperationException>(() => routedCommand.Connection = null);
            Assert.Throws<InvalidOperationException>(() => ((DbCommand)routedCommand).Connection = null);
            Assert.Equal("SELECT 1", routedCommand.CommandText);
            Assert.Same(routed, routedCommand.Connection);

            await plainReader.DisposeAsync();
            await routedReader.DisposeAsync();
            plainCommand.CommandText = "SELECT 1";
            routedCommand.CommandText = "SELECT 1";
            routedCommand.Connection = routed;
        }

        // ExecuteScalar and ExecuteNonQuery close their readers: nothing stays locked.
        routedCommand.CommandText = "SELECT 3";
        Assert.Equal(3L, Convert.ToInt64(await routedCommand.ExecuteScalarAsync()));
        routedCommand.CommandText = "SELECT 4";
    }

    [Fact]
    public async Task Prepare_without_command_text_throws_like_MySqlCommand()
    {
        await using var plain = new MySqlConnection(PlainString);
        await using var routed = new ReplicaRoutingConnection(RoutedString());
        await plain.OpenAsync();
        await routed.OpenAsync();
        foreach (var text in new[] { "", " " })
        {
            await using var plainCommand = new MySqlCommand(text, plain);
            await using var routedCommand = new ReplicaRoutingCommand(text, routed);
            var plainError = Assert.Throws<InvalidOperationException>(plainCommand.Prepare);
            var routedError = Assert.Throws<InvalidOperationException>(routedCommand.Prepare);
            Assert.Equal(plainError.Message, routedError.Message);
            await Assert.ThrowsAsync<InvalidOperationException>(() => plainCommand.PrepareAsync());
            await Assert.ThrowsAsync<InvalidOperationException>(() => routedCommand.PrepareAsync());
        }
    }

    [Fact]
    public void Removing_null_from_the_parameters_throws_ArgumentNullException_like_MySqlConnector()
    {
        using var plain = new MySqlCommand();
        using var routed = new ReplicaRoutingCommand();
        Assert.Throws<ArgumentNullException>(() => plain.Parameters.Remove(null!));
        Assert.Throws<ArgumentNullException>(() => routed.Parameters.Remove(null!));
        Assert.Throws<ArgumentOutOfRangeException>(() => plain.Parameters.Remove(new MySqlParameter("@x", 1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => routed.Parameters.Remove(new MySqlParameter("@x", 1)));
    }

    [Fact]
    public async Task Database_DataSource_and_ConnectionTimeout_are_MySqlConnections_closed_or_open()
    {
        await using var plain = new MySqlConnection(PlainString);
        await using var routed = new ReplicaRoutingConnection(RoutedString());
        await using var empty = new ReplicaRoutingConnection();
        await using var plainEmpty = new MySqlConnection();
        await using var dataSource = topology.CreateDataSource();
        await using var fromDataSource = dataSource.CreateConnection();

        foreach (var round in new[] { "closed", "open", "closed again" })
        {
            Assert.Equal(plain.Database, routed.Database);
            Assert.Equal(plain.DataSource, routed.DataSource);
            Assert.Equal(plain.Database, fromDataSource.Database);
            Assert.Equal(plain.DataSource, fromDataSource.DataSource);
            Assert.Equal(_config.Database, routed.Database);
            Assert.Equal(plain.ConnectionTimeout, routed.ConnectionTimeout);
            Assert.Equal(plain.ConnectionTimeout, fromDataSource.ConnectionTimeout);
            Assert.Equal(5, routed.ConnectionTimeout);   // the test strings' Connection Timeout (DbConnection's default is 15)
            if (round == "closed")
            {
                Assert.Equal(plainEmpty.Database, empty.Database);
                Assert.Equal(plainEmpty.DataSource, empty.DataSource);
                Assert.Equal(plainEmpty.ConnectionTimeout, empty.ConnectionTimeout);
                await plain.OpenAsync();
                await routed.OpenAsync();
                await fromDataSource.OpenAsync();
            }
            else if (round == "open")
            {
                await plain.CloseAsync();
                await routed.CloseAsync();
                await fromDataSource.CloseAsync();
            }
        }
    }

    [Fact]
    public async Task The_primary_lease_serves_MySqlBulkCopy_and_the_session_then_reads_what_it_loaded()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var (routedTable, plainTable) = ("provider_bulk_" + suffix, "provider_bulk_plain_" + suffix);
        await using (var admin = await topology.OpenAdminAsync(_config.PrimaryEndpoint))
        {
            foreach (var name in new[] { routedTable, plainTable })
                await admin.ExecuteAsync($"CREATE TABLE {_config.Database}.{name} (id INT PRIMARY KEY, name VARCHAR(20) NOT NULL)");
        }

        try
        {
            await topology.WaitForReplicasAsync();
            using var rows = new DataTable();
            rows.Columns.Add("id", typeof(int));
            rows.Columns.Add("name", typeof(string));
            for (var i = 1; i <= 3; i++)
                rows.Rows.Add(i, "bulk-" + i);

            var routedString = RoutedString("ReadYourWrites", extra: "Causal Read Timeout=0.2;AllowLoadLocalInfile=true");
            await using (await new ReplicaControl(topology).PauseApplyAsync([.. _config.ReplicaEndpoints]))
            {
                await using var writer = new ReplicaRoutingConnection(routedString);
                await writer.OpenAsync();
                using var session = writer.DataSourceOwner.BeginSession();

                // MySqlBulkCopy on the primary's connection behaves as on a plain connection (where the server refuses LOAD DATA LOCAL, both fail).
                Exception? plainError = null;
                Exception? routedError = null;
                await using (var plain = new MySqlConnection(PlainString + ";AllowLoadLocalInfile=true"))
                {
                    await plain.OpenAsync();
                    plainError = await Record(() => new MySqlBulkCopy(plain) { DestinationTableName = plainTable }.WriteToServerAsync(rows));
                }

                var primary = await writer.GetPrimaryConnectionAsync();
                routedError = await Record(() => new MySqlBulkCopy(primary) { DestinationTableName = routedTable }.WriteToServerAsync(rows));

                Assert.Equal(plainError?.GetType(), routedError?.GetType());
                Assert.Equal((plainError as MySqlException)?.ErrorCode, (routedError as MySqlException)?.ErrorCode);
                if (topology.Flavor == TopologyConfig.MariaDb)
                    Assert.Null(routedError);   // local_infile is on there: the real MySqlBulkCopy ran

                // The load is a write of the session: the writer stays on the primary session, and another connection of the
                // session, whose replicas have not applied the load, reads it from the primary.
                Assert.Equal(3L, await writer.ExecuteScalarAsync<long>($"SELECT COUNT(*) FROM {routedTable}"));
                Assert.Equal(RouteTarget.Primary, writer.LastRoutingDecision!.Value.Target);
                await using var reader = new ReplicaRoutingConnection(routedString);
                await reader.OpenAsync();
                Assert.Equal(3L, await reader.ExecuteScalarAsync<long>($"SELECT COUNT(*) FROM {routedTable}"));
                Assert.Equal(RouteTarget.Primary, reader.LastRoutingDecision!.Value.Target);

                // The token carries the load's position to the next unit of work (read on the writer's primary session).
                Assert.False(session.Token!.Position.IsEmpty);
            }
        }
        finally
        {
            await using var admin = await topology.OpenAdminAsync(_config.PrimaryEndpoint);
            await admin.ExecuteAsync($"DROP TABLE IF EXISTS {_config.Database}.{routedTable}, {_config.Database}.{plainTable}");
        }

        static async Task<Exception?> Record(Func<ValueTask<MySqlBulkCopyResult>> action)
        {
            try
            {
                await action();
                return null;
            }
            catch (MySqlException ex)
            {
                return ex;
            }
        }
    }

    [Fact]
    public async Task Linq2db_works_on_a_routed_connection_string()
    {
        var table = "provider_linq_" + Guid.NewGuid().ToString("N")[..8];
        var version = topology.Flavor == TopologyConfig.MariaDb ? MySqlVersion.MariaDB10 : MySqlVersion.MySql80;
        var options = new DataOptions()
            .UseMySql(version, MySqlProvider.MySqlConnector)
            .UseConnectionFactory(_ => new ReplicaRoutingConnection(RoutedString("ReadYourWrites", extra: "Causal Read Timeout=10")));
        var mapping = new FluentMappingBuilder(new MappingSchema());
        mapping.Entity<Fruit>().HasTableName(table)
            .Property(f => f.Id).IsPrimaryKey().IsIdentity()
            .Property(f => f.Name).HasLength(50).IsNullable(false)
            .Property(f => f.Qty);
        mapping.Build();
        await using var mapped = new DataConnection(options.UseMappingSchema(mapping.MappingSchema));
        try
        {
            await mapped.CreateTableAsync<Fruit>();
            var id = await mapped.InsertWithInt32IdentityAsync(new Fruit { Name = "fig", Qty = 5 });
            await mapped.InsertAsync(new Fruit { Name = "kiwi", Qty = 7 });

            // Read right after the writes, through the routed connection's read-your-writes.
            var fig = mapped.GetTable<Fruit>().Single(f => f.Id == id);
            Assert.Equal(("fig", 5), (fig.Name, fig.Qty));
            Assert.Equal(12, mapped.GetTable<Fruit>().Sum(f => f.Qty));
            Assert.Equal(1, mapped.GetTable<Fruit>().Where(f => f.Name == "kiwi").Set(f => f.Qty, 8).Update());
            Assert.Equal(13, mapped.GetTable<Fruit>().Sum(f => f.Qty));

            var connection = Assert.IsType<ReplicaRoutingConnection>(await mapped.OpenDbConnectionAsync(CancellationToken.None));
            Assert.Equal(RouteTarget.Replica, connection.LastRoutingDecision!.Value.Target);   // the last SUM ran on a replica
            await using (var transaction = await mapped.BeginTransactionAsync())
            {
                mapped.GetTable<Fruit>().Delete(f => f.Name == "fig");
                Assert.Equal(8, mapped.GetTable<Fruit>().Sum(f => f.Qty));
                await transaction.RollbackAsync();
            }

            Assert.Equal(13, mapped.GetTable<Fruit>().Sum(f => f.Qty));

            await using var check = new MySqlConnection(PlainString);
            Assert.Equal(13, await check.ExecuteScalarAsync<int>($"SELECT SUM(Qty) FROM {table}"));
        }
        finally
        {
            await mapped.DropTableAsync<Fruit>(throwExceptionIfNotExists: false);
        }
    }

    private static IEnumerable<string> ColumnNames(DataTable table) => table.Columns.Cast<DataColumn>().Select(c => c.ColumnName);

    private static List<string> Rows(DataTable table, params string[] columns) =>
        [.. table.Rows.Cast<DataRow>().Select(r => string.Join("|", columns.Select(c => Convert.ToString(r[c], System.Globalization.CultureInfo.InvariantCulture))))];

    public sealed class Fruit
    {
        public int Id { get; set; }

        public string Name { get; set; } = "";

        public int Qty { get; set; }
    }
}

[Collection(TopologyConfig.MariaDb), Trait("Flavor", TopologyConfig.MariaDb)]
public sealed class MariaDbProviderTests(MariaDbTopology topology) : ProviderTests(topology);

[Collection(TopologyConfig.MySql), Trait("Flavor", TopologyConfig.MySql)]
public sealed class MySqlProviderTests(MySqlTopology topology) : ProviderTests(topology);
