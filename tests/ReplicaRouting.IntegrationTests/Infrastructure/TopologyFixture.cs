using Dapper;
using MySqlConnector;

namespace ReplicaRouting.IntegrationTests.Infrastructure;

/// <summary>
/// One flavor's real topology, shared by every test of that flavor: checks it is up (a missing server FAILS the
/// tests, it never skips them), learns each node's server id, and creates the test schema on the primary.
/// </summary>
public abstract class TopologyFixture : IAsyncLifetime
{
    private ContainerTopology? _containers;

    protected TopologyFixture(string flavor) => Config = TopologyConfig.Load(flavor);

    public TopologyConfig Config { get; private set; }

    public string Flavor => Config.Flavor;

    public long PrimaryServerId { get; private set; }

    public IReadOnlyList<long> ReplicaServerIds { get; private set; } = [];

    public async Task InitializeAsync()
    {
        if (ContainerTopology.Requested && Flavor == TopologyConfig.MySql)
            (_containers, Config) = await ContainerTopology.StartAsync(Config);

        try
        {
            await using (var primary = await OpenAdminAsync(Config.PrimaryEndpoint))
            {
                PrimaryServerId = await primary.ExecuteScalarAsync<long>("SELECT @@server_id");
                await primary.ExecuteAsync(
                    """
                    CREATE TABLE IF NOT EXISTS items (
                        id BIGINT AUTO_INCREMENT PRIMARY KEY,
                        name VARCHAR(100) NOT NULL,
                        written_by BIGINT NOT NULL,
                        created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
                    ) ENGINE=InnoDB
                    """);
            }

            var replicaIds = new List<long>();
            foreach (var endpoint in Config.ReplicaEndpoints)
            {
                await using var replica = await OpenAdminAsync(endpoint);
                replicaIds.Add(await replica.ExecuteScalarAsync<long>("SELECT @@server_id"));
            }

            ReplicaServerIds = replicaIds;
            await WaitForReplicasAsync();
        }
        catch (Exception ex)
        {
            throw new InvalidOperationException(
                $"The {Flavor} topology ({string.Join(", ", Config.Nodes)}) is not usable. Start it with './build.sh servers start {Flavor}' " +
                $"or point RR_{Flavor.ToUpperInvariant()}_NODES at your own. Cause: {ex.Message}", ex);
        }
    }

    public async Task DisposeAsync()
    {
        if (_containers is not null)
            await _containers.DisposeAsync();
    }

    /// <summary>Builds a routed data source over this topology.</summary>
    public ReplicaRoutingDataSource CreateDataSource(
        Action<ReplicaRoutingOptions>? configure = null,
        string? extraConnectionOptions = null,
        IEnumerable<string>? replicaEndpoints = null,
        Action<ReplicaRoutingDataSourceBuilder>? build = null)
    {
        var builder = new ReplicaRoutingDataSourceBuilder().UsePrimary(Config.ConnectionString(Config.PrimaryEndpoint, extraConnectionOptions));
        build?.Invoke(builder);
        foreach (var endpoint in replicaEndpoints ?? Config.ReplicaEndpoints)
            builder.AddReplica(Config.ConnectionString(endpoint, extraConnectionOptions));
        return builder.Configure(o =>
        {
            o.Consistency = ReadConsistency.Eventual;

            // These suites inject lag by stopping replicas' apply threads, which the topology monitor rightly treats as broken
            // replicas (no reads at all). They test routing and the GTID wait, so the monitor is off unless a test turns it
            // on; TopologyMonitorTests and FailoverTests test the monitor itself.
            o.TopologyMonitor = false;
            configure?.Invoke(o);
        }).Build();
    }

    public async Task<MySqlConnection> OpenAdminAsync(string endpoint)
    {
        var connection = new MySqlConnection(Config.AdminConnectionString(endpoint));
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>Waits until every replica has applied everything the primary has committed (bounded).</summary>
    public async Task WaitForReplicasAsync(int timeoutSeconds = 30)
    {
        await using var primary = await OpenAdminAsync(Config.PrimaryEndpoint);
        var isMariaDb = Flavor == TopologyConfig.MariaDb;
        var position = await primary.ExecuteScalarAsync<string>(isMariaDb ? "SELECT @@gtid_binlog_pos" : "SELECT @@global.gtid_executed");
        foreach (var endpoint in Config.ReplicaEndpoints)
        {
            await using var replica = await OpenAdminAsync(endpoint);
            var result = await replica.ExecuteScalarAsync<long?>(
                isMariaDb ? "SELECT MASTER_GTID_WAIT(@position, @timeout)" : "SELECT WAIT_FOR_EXECUTED_GTID_SET(@position, @timeout)",
                new { position, timeout = timeoutSeconds },
                commandTimeout: timeoutSeconds + 10);
            if (result != 0)
                throw new InvalidOperationException($"Replica {endpoint} did not reach {position} within {timeoutSeconds} s (result {result?.ToString() ?? "NULL"}).");
        }
    }

    /// <summary>The primary's current GTID position text (gtid_binlog_pos / gtid_executed).</summary>
    public async Task<string> PrimaryPositionAsync()
    {
        await using var primary = await OpenAdminAsync(Config.PrimaryEndpoint);
        return await primary.ExecuteScalarAsync<string>(Flavor == TopologyConfig.MariaDb ? "SELECT @@gtid_binlog_pos" : "SELECT @@global.gtid_executed") ?? "";
    }

    public ServerFlavor ServerFlavor => Flavor == TopologyConfig.MariaDb ? ServerFlavor.MariaDb : ServerFlavor.MySql;

    /// <summary>True when <paramref name="serverId"/> is one of this topology's replicas.</summary>
    public bool IsReplica(long serverId) => ReplicaServerIds.Contains(serverId);
}

public sealed class MariaDbTopology() : TopologyFixture(TopologyConfig.MariaDb);

public sealed class MySqlTopology() : TopologyFixture(TopologyConfig.MySql);

[CollectionDefinition(TopologyConfig.MariaDb)]
public sealed class MariaDbCollection : ICollectionFixture<MariaDbTopology>;

[CollectionDefinition(TopologyConfig.MySql)]
public sealed class MySqlCollection : ICollectionFixture<MySqlTopology>;
