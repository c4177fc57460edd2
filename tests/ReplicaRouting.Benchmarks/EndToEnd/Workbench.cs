using System.Data.Common;
using System.Globalization;
using System.Text;
using MySqlConnector;
using ReplicaRouting.Internal;

namespace ReplicaRouting.Benchmarks.EndToEnd;

/// <summary>
/// The data sources one run of a pair needs: plain MySqlConnector pools on the primary and the replicas, and routed data
/// sources over the same servers (one per behaviour, so what one learns cannot change what another measures).
/// </summary>
internal sealed class Workbench : IAsyncDisposable
{
    private static long s_lastWriteReadId;

    private readonly Dictionary<string, ReplicaRoutingDataSource> _overTwoReplicas = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ReadTally> _tallies = new(StringComparer.Ordinal);

    public const string Table = "rr_bench";
    public const int Rows = 1000;

    /// <summary>The table of the write→read pairs: each unit of work writes a new row and reads it back by its key.</summary>
    public const string WriteReadTable = "rr_bench_write_read";

    /// <summary>The inserts of one unit of work (open, writes, close) in the unit-of-work pairs.</summary>
    public const int UnitOfWorkWrites = 4;

    private Workbench(BenchTopology topology)
    {
        Topology = topology;
        RawPrimary = new MySqlDataSource(topology.ConnectionString(topology.Primary));
        RawReplicas = [.. topology.Replicas.Select(replica => new MySqlDataSource(topology.ConnectionString(replica)))];
        Routed = topology.BuildRouted(1, o => o.Consistency = ReadConsistency.ReadYourWrites);
        Eventual = topology.BuildRouted(1, o => o.Consistency = ReadConsistency.Eventual);
        CausalKnown = topology.BuildRouted(1, o => o.Consistency = ReadConsistency.ReadYourWrites);
        CausalWait = topology.BuildRouted(1, o => o.Consistency = ReadConsistency.ReadYourWrites);

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

    /// <summary>The first replica: the one the single-replica pairs read.</summary>
    public MySqlDataSource RawReplica => RawReplicas[0];

    public IReadOnlyList<MySqlDataSource> RawReplicas { get; }

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

    /// <summary>
    /// The routed data source of one behaviour over the primary and both replicas, made on first use (each runs its own
    /// topology monitor, which would load the servers during pairs that do not use it).
    /// </summary>
    public ReplicaRoutingDataSource OverTwoReplicas(WriteRead.Variant variant)
    {
        lock (_overTwoReplicas)
        {
            if (!_overTwoReplicas.TryGetValue(variant.Name, out var source))
                _overTwoReplicas[variant.Name] = source = Topology.BuildRouted(2, variant.Configure);
            return source;
        }
    }

    /// <summary>The reads of one side of a write→read pair, counted over this run (warm-up included: a stale read is never left out).</summary>
    public ReadTally Tally(string operation)
    {
        lock (_tallies)
        {
            if (!_tallies.TryGetValue(operation, out var tally))
                _tallies[operation] = tally = new ReadTally();
            return tally;
        }
    }

    /// <summary>The tally of <paramref name="operation"/>, or <see langword="null"/> when it reads nothing it checks.</summary>
    public ReadTally? TallyOrNull(string operation)
    {
        lock (_tallies)
            return _tallies.GetValueOrDefault(operation);
    }

    /// <summary>A key no earlier write→read unit of work of this process used (the table is emptied when the program starts).</summary>
    public static long NextWriteReadId() => Interlocked.Increment(ref s_lastWriteReadId);

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
        await ExecuteAsync(primary, $"CREATE TABLE IF NOT EXISTS {WriteReadTable} (id BIGINT NOT NULL PRIMARY KEY, written INT NOT NULL)");
        await ExecuteAsync(primary, $"TRUNCATE TABLE {WriteReadTable}");
        await WaitForReplicaAsync(topology, TimeSpan.FromSeconds(60));
    }

    /// <summary>Waits until both replicas have applied everything the primary has (inserts leave a backlog behind them).</summary>
    public static async Task WaitForReplicaAsync(BenchTopology topology, TimeSpan timeout)
    {
        var position = await ReadPrimaryPositionAsync(topology);
        foreach (var endpoint in topology.Replicas)
        {
            await using var replica = new MySqlConnection(topology.ConnectionString(endpoint));
            await replica.OpenAsync();
            var waitSql = topology.IsMariaDb ? "SELECT MASTER_GTID_WAIT(@gtid, @timeout)" : "SELECT WAIT_FOR_EXECUTED_GTID_SET(@gtid, @timeout)";
            await using var wait = new MySqlCommand(waitSql, replica) { CommandTimeout = (int)timeout.TotalSeconds + 10 };
            wait.Parameters.AddWithValue("@gtid", position);
            wait.Parameters.AddWithValue("@timeout", timeout.TotalSeconds);
            if (Convert.ToInt64(await wait.ExecuteScalarAsync(), CultureInfo.InvariantCulture) != 0)
                throw new InvalidOperationException($"The replica {endpoint} did not reach {position} within {timeout}.");
        }
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
        foreach (var replica in RawReplicas)
            await replica.DisposeAsync();
        foreach (var source in _overTwoReplicas.Values)
            await source.DisposeAsync();
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
