using Dapper;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Networks;
using MySqlConnector;
using Testcontainers.MySql;

namespace ReplicaRouting.IntegrationTests.Infrastructure;

/// <summary>
/// The third way to get a MySQL topology, for machines with a Docker engine: set <c>RR_TESTCONTAINERS=1</c> (and
/// optionally <c>RR_MYSQL_IMAGE</c>, default <c>mysql:9.7</c>) and the MySQL fixture starts a primary and two GTID
/// replicas in containers on a private network instead of using local servers.
/// </summary>
/// <remarks>
/// Written against Testcontainers.MySql 4.16 but NOT run by this project's CI: its machines have no Docker engine
/// (docs and the issue notes say so). MariaDB has no container path here (only Testcontainers.MySql is referenced).
/// </remarks>
public sealed class ContainerTopology : IAsyncDisposable
{
    private const string RootPassword = "rr_root_pw";
    private readonly INetwork _network;
    private readonly List<MySqlContainer> _nodes = [];

    private ContainerTopology(INetwork network) => _network = network;

    public static bool Requested => Environment.GetEnvironmentVariable("RR_TESTCONTAINERS") == "1";

    /// <summary>Starts the containers, wires replication and creates the same users as scripts/servers does.</summary>
    public static async Task<(ContainerTopology Topology, TopologyConfig Config)> StartAsync(TopologyConfig template)
    {
        var image = Environment.GetEnvironmentVariable("RR_MYSQL_IMAGE") ?? "mysql:9.7";
        var network = new NetworkBuilder().Build();
        await network.CreateAsync();
        var topology = new ContainerTopology(network);
        try
        {
            for (var serverId = 1; serverId <= 3; serverId++)
            {
                var container = new MySqlBuilder(image)
                    .WithUsername("root")
                    .WithPassword(RootPassword)
                    .WithNetwork(network)
                    .WithNetworkAliases($"node{serverId}")
                    .WithCommand(
                        $"--server-id={serverId}", "--gtid-mode=ON", "--enforce-gtid-consistency=ON", "--log-bin=binlog",
                        "--binlog-format=ROW", "--log-replica-updates=ON", "--replica-net-timeout=5")
                    .Build();
                topology._nodes.Add(container);
            }

            await Task.WhenAll(topology._nodes.Select(n => n.StartAsync()));
            var endpoints = topology._nodes.Select(n => $"{n.Hostname}:{n.GetMappedPublicPort(3306)}").ToArray();
            var config = template with { Nodes = endpoints };
            await topology.WireAsync(config);
            return (topology, config);
        }
        catch
        {
            await topology.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
            await node.DisposeAsync();
        await _network.DeleteAsync();
    }

    private async Task WireAsync(TopologyConfig config)
    {
        // Users exist on every node without GTIDs, as in scripts/servers; the app user cannot bypass read_only.
        var users = $"""
            SET SESSION sql_log_bin = 0;
            CREATE USER '{config.User}'@'%' IDENTIFIED BY '{config.Password}';
            GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, INDEX, ALTER, REFERENCES, CREATE TEMPORARY TABLES, LOCK TABLES,
                  EXECUTE, CREATE ROUTINE, ALTER ROUTINE, CREATE VIEW, SHOW VIEW, TRIGGER ON `{config.Database}`.* TO '{config.User}'@'%';
            GRANT REPLICATION CLIENT, PROCESS ON *.* TO '{config.User}'@'%';
            CREATE USER '{config.AdminUser}'@'%' IDENTIFIED BY '{config.AdminPassword}';
            GRANT ALL PRIVILEGES ON *.* TO '{config.AdminUser}'@'%' WITH GRANT OPTION;
            CREATE USER 'rr_repl'@'%' IDENTIFIED BY 'rr_repl_pw';
            GRANT REPLICATION SLAVE ON *.* TO 'rr_repl'@'%';
            SET SESSION sql_log_bin = 1;
            """;
        foreach (var endpoint in config.Nodes)
        {
            await using var root = await OpenRootAsync(endpoint);
            await root.ExecuteAsync(users);
        }

        string primaryHistory;
        await using (var primary = await OpenRootAsync(config.PrimaryEndpoint))
            primaryHistory = await primary.ExecuteScalarAsync<string>("SELECT @@global.gtid_executed") ?? "";

        // Replicas skip what the image's entrypoint did on the primary (it did the same on them), then follow it.
        for (var i = 1; i < config.Nodes.Count; i++)
        {
            await using var replica = await OpenRootAsync(config.Nodes[i]);
            await replica.ExecuteAsync("RESET BINARY LOGS AND GTIDS");
            await replica.ExecuteAsync("SET GLOBAL gtid_purged = @history", new { history = primaryHistory });
            await replica.ExecuteAsync(
                "CHANGE REPLICATION SOURCE TO SOURCE_HOST='node1', SOURCE_PORT=3306, SOURCE_USER='rr_repl', SOURCE_PASSWORD='rr_repl_pw', " +
                "SOURCE_AUTO_POSITION=1, GET_SOURCE_PUBLIC_KEY=1, SOURCE_CONNECT_RETRY=1");
            await replica.ExecuteAsync("START REPLICA");
            await replica.ExecuteAsync("SET GLOBAL super_read_only = ON");
        }

        await using (var primary = await OpenRootAsync(config.PrimaryEndpoint))
            await primary.ExecuteAsync($"CREATE DATABASE IF NOT EXISTS `{config.Database}`");
    }

    private static async Task<MySqlConnection> OpenRootAsync(string endpoint)
    {
        var (host, port) = TopologyConfig.Split(endpoint);
        var connection = new MySqlConnection(new MySqlConnectionStringBuilder
        {
            Server = host,
            Port = port,
            UserID = "root",
            Password = RootPassword,
            AllowPublicKeyRetrieval = true,
            SslMode = MySqlSslMode.None,
            AllowUserVariables = true,
        }.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }
}
