using Dapper;
using MySqlConnector;
using ReplicaRouting.IntegrationTests.Infrastructure;
using ReplicaRouting.Internal;

namespace ReplicaRouting.IntegrationTests;

/// <summary>
/// Text the server reads otherwise than a naive lexer (versioned comments, <c>--</c> before a control character, number
/// dots) and stored functions that write: each goes where the server will run it as what it is. Runs once per flavor.
/// </summary>
public abstract class ServerReadingTests(TopologyFixture topology) : IAsyncLifetime, IDisposable
{
    private const string Table = "lexer_rows";
    private const string CallsTable = "lexer_calls";

    private readonly ReplicaControl _replicas = new(topology);
    private readonly List<ReplicaRoutingDataSource> _dataSources = [];

    public async Task InitializeAsync()
    {
        await using var admin = await topology.OpenAdminAsync(topology.Config.PrimaryEndpoint);
        await admin.ExecuteAsync($"CREATE TABLE IF NOT EXISTS {Table} (id BIGINT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(100) NOT NULL)");
        await admin.ExecuteAsync($"CREATE TABLE IF NOT EXISTS {CallsTable} (id BIGINT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(100) NOT NULL)");

        // Declared CONTAINS SQL (the default): only the body says it writes. DETERMINISTIC because binary logging refuses a
        // function declared neither that, NO SQL nor READS SQL DATA (without SUPER).
        await admin.ExecuteAsync(
            $"""
            CREATE FUNCTION IF NOT EXISTS lexer_f_ins() RETURNS BIGINT DETERMINISTIC CONTAINS SQL
            BEGIN
              INSERT INTO {CallsTable} (v) VALUES ('f');
              RETURN LAST_INSERT_ID();
            END
            """);
        await admin.ExecuteAsync($"CREATE FUNCTION IF NOT EXISTS lexer_f_read() RETURNS BIGINT NOT DETERMINISTIC READS SQL DATA RETURN (SELECT COUNT(*) FROM {Table})");
        await topology.WaitForReplicasAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose()
    {
        foreach (var dataSource in _dataSources)
            dataSource.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Writes this flavor's server skips the start of, so that a quote hides them from a lexer that does not.</summary>
    private string[] HiddenWrites(string value) => topology.ServerFlavor == ServerFlavor.MariaDb
        ?
        [
            $"SELECT 1 /*!80000 ' */; INSERT INTO {Table} (v) VALUES ('{value}') #' */",
            $"SELECT 1 /*!50700 ' */; INSERT INTO {Table} (v) VALUES ('{value}') #' */",
            $"SELECT 1 /*M!999999 ' */; INSERT INTO {Table} (v) VALUES ('{value}') #' */",
            $"SELECT 1 --\u007F '\n; INSERT INTO {Table} (v) VALUES ('{value}') -- '",
        ]
        :
        [
            $"SELECT 1 /*!99999 ' */; INSERT INTO {Table} (v) VALUES ('{value}') #' */",
            $"SELECT 1 /*!999999 ' */; INSERT INTO {Table} (v) VALUES ('{value}') #' */",
            $"SELECT 1 /*M! ' */; INSERT INTO {Table} (v) VALUES ('{value}') #' */",
            $"SELECT 1 --\u007F '\n; INSERT INTO {Table} (v) VALUES ('{value}') -- '",
        ];

    [Fact]
    public async Task A_write_hidden_behind_a_comment_the_server_skips_goes_to_the_primary_and_runs()
    {
        var dataSource = DataSource();
        await using var connection = await dataSource.OpenConnectionAsync();
        await KnowTheServersAsync(dataSource, connection);

        for (var shape = 0; shape < HiddenWrites("").Length; shape++)
        {
            var value = Guid.NewGuid().ToString("N");
            await connection.ExecuteAsync(HiddenWrites(value)[shape]);

            Assert.Equal(RouteTarget.Primary, connection.LastRoutingDecision!.Value.Target);
            await using var admin = await topology.OpenAdminAsync(topology.Config.PrimaryEndpoint);
            Assert.Equal(1, await admin.ExecuteScalarAsync<int>($"SELECT COUNT(*) FROM {Table} WHERE v = @value", new { value }));
        }
    }

    [Theory]
    [InlineData("SELECT * FROM lexer_rows WHERE id = 1.FOR UPDATE")]
    [InlineData("SELECT * FROM lexer_rows WHERE id = 1.LOCK IN SHARE MODE")]
    [InlineData("SELECT * FROM lexer_rows WHERE id = 1e0FOR UPDATE")]
    [InlineData("SELECT * FROM lexer_rows WHERE id = .5FOR UPDATE")]
    public async Task A_locking_read_behind_a_number_dot_goes_to_the_primary(string sql)
    {
        var dataSource = DataSource();
        await using var connection = await dataSource.OpenConnectionAsync();
        await KnowTheServersAsync(dataSource, connection);

        await connection.ExecuteAsync(sql);

        Assert.Equal(RouteTarget.Primary, connection.LastRoutingDecision!.Value.Target);
    }

    [Fact]
    public async Task A_versioned_comment_this_server_reads_as_a_read_stays_on_a_replica()
    {
        var dataSource = DataSource();
        await using var connection = await dataSource.OpenConnectionAsync();
        await KnowTheServersAsync(dataSource, connection);

        // MariaDB skips MySQL's 5.7+ versions, MySQL runs them: a read either way, which only a known server can tell.
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>("SELECT 1 /*!50700 + 0 */"));
        Assert.Equal(RouteTarget.Replica, connection.LastRoutingDecision!.Value.Target);
    }

    [Theory]
    [InlineData("SELECT lexer_f_ins()")]
    [InlineData("DO lexer_f_ins()")]
    [InlineData("SELECT {0}.lexer_f_ins() AS x")]
    public async Task A_stored_function_that_writes_goes_to_the_primary_and_the_next_read_sees_its_write(string call)
    {
        var dataSource = DataSource(o => { o.Consistency = ReadConsistency.ReadYourWrites; o.CausalReadTimeout = TimeSpan.FromMilliseconds(200); });
        await LoadRoutinesAsync(dataSource);
        using var session = dataSource.BeginSession();
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var admin = await topology.OpenAdminAsync(topology.Config.PrimaryEndpoint);
        var before = await admin.ExecuteScalarAsync<long>($"SELECT COALESCE(MAX(id), 0) FROM {CallsTable}");

        // Replicas stopped: a read is only right if it waits for the call's write or runs on the primary. Kept short.
        await using (await _replicas.PauseApplyAsync())
        {
            await connection.ExecuteAsync(string.Format(System.Globalization.CultureInfo.InvariantCulture, call, topology.Config.Database));
            Assert.Equal(RouteTarget.Primary, connection.LastRoutingDecision!.Value.Target);
            Assert.NotEqual(RoutingReason.RefusedByReplica, connection.LastRoutingDecision!.Value.Reason);

            Assert.Equal(1, await connection.ExecuteScalarAsync<int>($"SELECT COUNT(*) FROM {CallsTable} WHERE id > @before", new { before }));
        }
    }

    [Fact]
    public async Task A_stored_function_that_only_reads_stays_on_a_replica()
    {
        var dataSource = DataSource();
        await LoadRoutinesAsync(dataSource);
        await using var connection = await dataSource.OpenConnectionAsync();

        await connection.ExecuteScalarAsync<long>("SELECT lexer_f_read()");

        Assert.Equal(RouteTarget.Replica, connection.LastRoutingDecision!.Value.Target);
    }

    [Fact]
    public async Task The_topology_monitor_learns_the_primarys_functions()
    {
        var dataSource = DataSource(o => o.TopologyMonitor = true);
        await using var connection = await dataSource.OpenConnectionAsync();
        await connection.ExecuteScalarAsync<int>("SELECT 1");   // starts the monitor

        var routines = dataSource.Cluster.SqlContext.Routines;
        for (var i = 0; i < 300 && routines.Lookup("", "lexer_f_ins") == RoutineAccess.Unknown; i++)
        {
            await Task.Delay(100);
            routines = dataSource.Cluster.SqlContext.Routines;
        }

        Assert.Equal(RoutineAccess.MayWrite, routines.Lookup("", "lexer_f_ins"));
        Assert.Equal(RoutineAccess.ReadsOnly, routines.Lookup(topology.Config.Database, "lexer_f_read"));
    }

    /// <summary>Opens a replica and the primary, so that the data source knows both servers' versions.</summary>
    private static async Task KnowTheServersAsync(ReplicaRoutingDataSource dataSource, ReplicaRoutingConnection connection)
    {
        await connection.ExecuteScalarAsync<int>("SELECT 1");
        await connection.ExecuteScalarAsync<int>("/* ReplicaRouting:ReadFromPrimary */ SELECT 1");
        Assert.NotEqual(0, dataSource.Cluster.SqlContext.Readings.Length);
    }

    /// <summary>What the topology monitor does every minute, now (the suites here run without the monitor).</summary>
    private async Task LoadRoutinesAsync(ReplicaRoutingDataSource dataSource)
    {
        await using var primary = new MySqlConnection(topology.Config.ConnectionString(topology.Config.PrimaryEndpoint));
        await primary.OpenAsync();
        dataSource.Cluster.ObserveRoutines(await RoutineCatalog.LoadAsync(primary, CancellationToken.None), TimeSpan.FromMinutes(1));
    }

    private ReplicaRoutingDataSource DataSource(Action<ReplicaRoutingOptions>? configure = null)
    {
        var dataSource = topology.CreateDataSource(configure);
        _dataSources.Add(dataSource);
        return dataSource;
    }
}

[Collection(TopologyConfig.MariaDb), Trait("Flavor", TopologyConfig.MariaDb)]
public sealed class MariaDbServerReadingTests(MariaDbTopology topology) : ServerReadingTests(topology);

[Collection(TopologyConfig.MySql), Trait("Flavor", TopologyConfig.MySql)]
public sealed class MySqlServerReadingTests(MySqlTopology topology) : ServerReadingTests(topology);
