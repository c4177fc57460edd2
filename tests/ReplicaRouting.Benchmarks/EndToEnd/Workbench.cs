using System.Data.Common;
using System.Globalization;
using System.Text;
using MySqlConnector;
using ReplicaRouting.Internal;

namespace ReplicaRouting.Benchmarks.EndToEnd;

/// <summary>
/// The data sources one run of a pair needs: plain MySqlConnector pools on the primary and the replica, and routed data
/// sources over the same two servers (one per behaviour, so what one learns cannot change what another measures).
/// </summary>
internal sealed class Workbench : IAsyncDisposable
{
    public const string Table = "rr_bench";
    public const int Rows = 1000;

    /// <summary>The inserts of one unit of work (open, writes, close) in the unit-of-work pairs.</summary>
    public const int UnitOfWorkWrites = 4;

    private Workbench(BenchTopology topology)
    {
        Topology = topology;
        RawPrimary = new MySqlDataSource(topology.ConnectionString(topology.Primary));
        RawReplica = new MySqlDataSource(topology.ConnectionString(topology.Replica));
        Routed = topology.BuildRouted(ReadConsistency.ReadYourWrites);
        Eventual = topology.BuildRouted(ReadConsistency.Eventual);
        CausalKnown = topology.BuildRouted(ReadConsistency.ReadYourWrites);
        CausalWait = topology.BuildRouted(ReadConsistency.ReadYourWrites);

        // What the causal-wait replica is known to have applied is replaced by a position of the other flavor before each
        // read, which no session position is satisfied by: every read then needs the wait (and the replica, caught up,
        // answers it at once). This is the state of a replica right after the session's write, without a write per read.
        ForgetAppliedBy = CausalWait.Configuration.Replicas[0];
        OtherFlavorEmpty = topology.IsMariaDb ? MySqlGtidSet.Empty : MariaDbGtidPosition.Empty;
        WaitSql = topology.IsMariaDb ? "SELECT MASTER_GTID_WAIT(@gtid, 1)" : "SELECT WAIT_FOR_EXECUTED_GTID_SET(@gtid, 1)";
        CaptureSql = ServerDialect.For(topology.IsMariaDb ? ServerFlavor.MariaDb : ServerFlavor.MySql).CaptureSql;
    }

    public BenchTopology Topology { get; }

    public MySqlDataSource RawPrimary { get; }

    public MySqlDataSource RawReplica { get; }

    /// <summary>The default configuration (read-your-writes, GTID waits): plain reads, writes captured once per unit of work.</summary>
    public ReplicaRoutingDataSource Routed { get; }

    /// <summary>No read-your-writes: writes run as written, without a capture.</summary>
    public ReplicaRoutingDataSource Eventual { get; }

    /// <summary>Causal reads on a replica known to have the session's position.</summary>
    public ReplicaRoutingDataSource CausalKnown { get; }

    /// <summary>Causal reads that must wait (in the same round trip).</summary>
    public ReplicaRoutingDataSource CausalWait { get; }

    public RoutingNode ForgetAppliedBy { get; }

    public GtidPosition OtherFlavorEmpty { get; }

    /// <summary>The plain form of the GTID wait, sent in its own round trip before the read.</summary>
    public string WaitSql { get; }

    /// <summary>The statement the routed connection reads its writes' GTID with (the same text, so the server does the same work).</summary>
    public string CaptureSql { get; }

    public static Workbench Create(string flavor) => new(BenchTopology.Load(flavor));

    /// <summary>A fresh table of <see cref="Rows"/> rows, present on the replica before anything is measured.</summary>
    public static async Task CreateTableAsync(BenchTopology topology)
    {
        await using var primary = new MySqlConnection(topology.ConnectionString(topology.Primary));
        await primary.OpenAsync();
        var values = new StringBuilder();
        for (var i = 1; i <= Rows; i++)
            values.Append(CultureInfo.InvariantCulture, $"{(i == 1 ? "" : ",")}('item {i}', {i % 17})");
        await ExecuteAsync(primary, $"CREATE TABLE IF NOT EXISTS {Table} (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, item VARCHAR(64) NOT NULL, qty INT NOT NULL)");
        await ExecuteAsync(primary, $"TRUNCATE TABLE {Table}");
        await ExecuteAsync(primary, $"INSERT INTO {Table} (item, qty) VALUES {values}");
        await WaitForReplicaAsync(topology, TimeSpan.FromSeconds(60));
    }

    /// <summary>Waits until the replica has applied everything the primary has (inserts leave a backlog behind them).</summary>
    public static async Task WaitForReplicaAsync(BenchTopology topology, TimeSpan timeout)
    {
        var position = await ReadPrimaryPositionAsync(topology);
        await using var replica = new MySqlConnection(topology.ConnectionString(topology.Replica));
        await replica.OpenAsync();
        var waitSql = topology.IsMariaDb ? "SELECT MASTER_GTID_WAIT(@gtid, @timeout)" : "SELECT WAIT_FOR_EXECUTED_GTID_SET(@gtid, @timeout)";
        await using var wait = new MySqlCommand(waitSql, replica) { CommandTimeout = (int)timeout.TotalSeconds + 10 };
        wait.Parameters.AddWithValue("@gtid", position);
        wait.Parameters.AddWithValue("@timeout", timeout.TotalSeconds);
        if (Convert.ToInt64(await wait.ExecuteScalarAsync(), CultureInfo.InvariantCulture) != 0)
            throw new InvalidOperationException($"The replica {topology.Replica} did not reach {position} within {timeout}.");
    }

    /// <summary>The primary's executed position, as the text the wait functions take.</summary>
    public static async Task<string> ReadPrimaryPositionAsync(BenchTopology topology)
    {
        await using var primary = new MySqlConnection(topology.ConnectionString(topology.Primary));
        await primary.OpenAsync();
        await using var read = new MySqlCommand(topology.IsMariaDb ? "SELECT @@gtid_binlog_pos" : "SELECT @@global.gtid_executed", primary);
        return (string)(await read.ExecuteScalarAsync())!;
    }

    public async ValueTask DisposeAsync()
    {
        await RawPrimary.DisposeAsync();
        await RawReplica.DisposeAsync();
        await Routed.DisposeAsync();
        await Eventual.DisposeAsync();
        await CausalKnown.DisposeAsync();
        await CausalWait.DisposeAsync();
    }

    private static async Task ExecuteAsync(DbConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.CommandTimeout = 120;
        await command.ExecuteNonQueryAsync();
    }
}
