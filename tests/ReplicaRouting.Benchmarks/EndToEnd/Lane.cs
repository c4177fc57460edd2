using System.Data.Common;
using System.Diagnostics;
using MySqlConnector;

namespace ReplicaRouting.Benchmarks.EndToEnd;

/// <summary>
/// One worker's connections, opened on first use and kept open: what is measured is the command, on a connection the
/// application already holds (as with Dapper inside a request). Plain and routed sides run the same code over
/// <see cref="DbConnection"/>.
/// </summary>
internal sealed class Lane(Workbench bench) : IAsyncDisposable
{
    private const string SelectByKey = $"SELECT id, item, qty FROM {Workbench.Table} WHERE id = @id";
    private const string InsertRow = $"INSERT INTO {Workbench.Table} (item, qty) VALUES (@item, @qty)";
    private const string InsertWriteRead = $"INSERT INTO {Workbench.WriteReadTable} (id, written) VALUES (@id, 1)";
    private const string SelectWriteRead = $"SELECT written FROM {Workbench.WriteReadTable} WHERE id = @id";

    /// <summary>The routed reads over both replicas: the default configuration.</summary>
    private static readonly WriteRead.Variant Spread = new("spread", _ => { });

    private readonly MySqlConnection?[] _rawReplicas = new MySqlConnection?[2];
    private readonly Dictionary<string, ReplicaRoutingConnection> _overTwoReplicas = new(StringComparer.Ordinal);   // by variant
    private MySqlConnection? _rawPrimary;
    private MySqlConnection? _rawReplica;
    private int _nextReplica;
    private ReplicaRoutingConnection? _routed;
    private ReplicaRoutingConnection? _routedWriter;
    private ReplicaRoutingConnection? _eventual;
    private ReplicaRoutingConnection? _causalKnown;
    private ReplicaRoutingConnection? _causalWait;
    private string? _waitPosition;
    private int _nextId;

    // ---- the operations; each pair compares a routed one with the plain one doing the same work on the same server ----

    public async Task<long> RawSelect1() => await Select1Async(_rawReplica ??= await OpenAsync(bench.RawReplica));

    public async Task<long> RoutedSelect1()
    {
        var connection = _routed ??= await OpenAsync(bench.Routed);
        var value = await Select1Async(connection);
        Expect(connection, RoutingReason.Read);
        return value;
    }

    public async Task<long> RawPkRead() => await ReadByKeyAsync(_rawReplica ??= await OpenAsync(bench.RawReplica));

    public async Task<long> RoutedPkRead()
    {
        var connection = _routed ??= await OpenAsync(bench.Routed);
        var value = await ReadByKeyAsync(connection);
        Expect(connection, RoutingReason.Read);
        return value;
    }

    /// <summary>Plain reads alternating over the two replicas (round robin, as the routed data source spreads them).</summary>
    public async Task<long> RawPkReadTwoReplicas()
    {
        var index = _nextReplica++ % 2;
        return await ReadByKeyAsync(_rawReplicas[index] ??= await OpenAsync(bench.RawReplicas[index]));
    }

    /// <summary>Routed reads over the two replicas (default configuration, round robin).</summary>
    public async Task<long> RoutedPkReadTwoReplicas()
    {
        var connection = await OverTwoReplicasAsync(Spread);
        var value = await ReadByKeyAsync(connection);
        Expect(connection, RoutingReason.Read);
        return value;
    }

    /// <summary>The time this lane spent in the write→read pauses: not part of an operation's latency.</summary>
    public TimeSpan Paused { get; private set; }

    /// <summary>A write→read unit of work with plain MySqlConnector on the primary: the write and its reads on one connection.</summary>
    public async Task<long> RawWriteRead(WriteRead.Scenario scenario) =>
        await WriteThenReadAsync(_rawPrimary ??= await OpenAsync(bench.RawPrimary), scenario, bench.Tally(WriteRead.Operation(scenario, WriteRead.Primary)));

    /// <summary>
    /// The same unit of work routed: one routing session (as a request has), the write and its reads on the connection the
    /// worker holds. Where each read ran and whether it saw the write are counted in the variant's tally.
    /// </summary>
    public async Task<long> RoutedWriteRead(WriteRead.Scenario scenario, WriteRead.Variant variant)
    {
        var connection = await OverTwoReplicasAsync(variant);
        using var session = connection.DataSourceOwner.BeginSession();
        return await WriteThenReadAsync(connection, scenario, bench.Tally(WriteRead.Operation(scenario, variant.Name)));
    }

    public async Task<long> RawInsert() => await InsertAsync(_rawPrimary ??= await OpenAsync(bench.RawPrimary));

    /// <summary>
    /// Read-your-writes on a connection the application holds: the insert runs as written; its GTID is owed, read only
    /// when something needs it (a read elsewhere, the session's token, close), so it costs nothing here.
    /// </summary>
    public async Task<long> RoutedInsert()
    {
        var connection = _routedWriter ??= await OpenAsync(bench.Routed);
        var value = await InsertAsync(connection);
        Expect(connection, RoutingReason.Write);
        return value;
    }

    /// <summary>Eventual consistency: the insert runs as written and nothing is ever captured.</summary>
    public async Task<long> RoutedInsertEventual()
    {
        var connection = _eventual ??= await OpenAsync(bench.Eventual);
        var value = await InsertAsync(connection);
        Expect(connection, RoutingReason.Write);
        return value;
    }

    /// <summary>
    /// A unit of work as applications write it (a request, a Dapper repository method): open, <see cref="Workbench.UnitOfWorkWrites"/>
    /// inserts, close. The routed connection reads the GTID once, at close, on the primary session that wrote.
    /// </summary>
    public Task<long> RoutedUnitOfWork() => RoutedWritesAsync(Workbench.UnitOfWorkWrites);

    /// <summary>The same unit of work with plain MySqlConnector.</summary>
    public Task<long> RawUnitOfWork() => RawWritesAsync(Workbench.UnitOfWorkWrites, capture: false);

    /// <summary>
    /// The floor under the routed unit of work: plain MySqlConnector doing the same inserts and then the capture statement
    /// itself, in its own round trip before close, as the routed connection does. No ReplicaRouting code runs.
    /// </summary>
    public Task<long> RawUnitOfWorkWithCapture() => RawWritesAsync(Workbench.UnitOfWorkWrites, capture: true);

    /// <summary>The smallest unit of work, a single write (open, insert, close): the capture's round trip is not shared.</summary>
    public Task<long> RoutedSingleWrite() => RoutedWritesAsync(1);

    /// <summary>The same single write with plain MySqlConnector.</summary>
    public Task<long> RawSingleWrite() => RawWritesAsync(1, capture: false);

    /// <summary>A read of a session with a position the replica is known to have: no wait is sent.</summary>
    public async Task<long> RoutedCausalKnown()
    {
        var connection = _causalKnown ?? throw new InvalidOperationException("PrepareCausalAsync first.");
        var node = bench.CausalKnown.Configuration.Replicas[0];
        var waits = node.CausalWaits;
        var value = await ReadByKeyAsync(connection);
        Expect(connection, RoutingReason.CausalRead);
        if (node.CausalWaits != waits)
            throw new InvalidOperationException("A read on a replica known to be caught up sent a wait.");
        return value;
    }

    /// <summary>A read that needs the wait: the wait and the query go as one batch, one round trip.</summary>
    public async Task<long> RoutedCausalWait()
    {
        var connection = _causalWait ?? throw new InvalidOperationException("PrepareCausalAsync first.");
        var node = bench.ForgetAppliedBy;
        node.ObserveAppliedPosition(bench.OtherFlavorEmpty);
        var waits = node.CausalWaits;
        var value = await ReadByKeyAsync(connection);
        Expect(connection, RoutingReason.CausalRead);
        if (node.CausalWaits != waits + 1)
            throw new InvalidOperationException("A causal read that needed the wait did not send it.");
        return value;
    }

    /// <summary>The same wait and read with plain MySqlConnector: two round trips.</summary>
    public async Task<long> RawWaitThenRead()
    {
        var replica = _rawReplica ??= await OpenAsync(bench.RawReplica);
        var position = _waitPosition ?? throw new InvalidOperationException("PrepareCausalAsync first.");
        await using (var wait = replica.CreateCommand())
        {
            wait.CommandText = bench.WaitSql;
            wait.Parameters.AddWithValue("@gtid", position);
            if (Convert.ToInt64(await wait.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture) != 0)
                throw new InvalidOperationException("The replica did not reach the position.");
        }

        return await ReadByKeyAsync(replica);
    }

    /// <summary>
    /// Gives both causal connections a session position (a write through each, captured), waits until the replica has it,
    /// and lets the known-caught-up data source learn that (its first read waits once).
    /// </summary>
    public async Task PrepareCausalAsync()
    {
        _causalKnown ??= await OpenAsync(bench.CausalKnown);
        _causalWait ??= await OpenAsync(bench.CausalWait);
        await InsertAsync(_causalKnown);
        await InsertAsync(_causalWait);
        _waitPosition = await Workbench.ReadPrimaryPositionAsync(bench.Topology);
        await Workbench.WaitForReplicaAsync(bench.Topology, TimeSpan.FromSeconds(60));

        await ReadByKeyAsync(_causalKnown);
        Expect(_causalKnown, RoutingReason.CausalRead);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var connection in new DbConnection?[] { _rawPrimary, _rawReplica, _routed, _routedWriter, _eventual, _causalKnown, _causalWait }
            .Concat(_rawReplicas).Concat(_overTwoReplicas.Values))
        {
            if (connection is not null)
                await connection.DisposeAsync();
        }
    }

    private static void Expect(ReplicaRoutingConnection connection, RoutingReason expected)
    {
        if (connection.LastRoutingDecision is not { Reason: var reason } || reason != expected)
            throw new InvalidOperationException(
                $"Expected a {expected} decision, got {connection.LastRoutingDecision}: the benchmark would measure the wrong path. "
                + $"Topology: {string.Join("; ", connection.DataSourceOwner.Topology.Nodes)}");
    }

    private static async Task<MySqlConnection> OpenAsync(MySqlDataSource dataSource) => await dataSource.OpenConnectionAsync();

    private static async Task<ReplicaRoutingConnection> OpenAsync(ReplicaRoutingDataSource dataSource) => await dataSource.OpenConnectionAsync();

    private async Task<long> RoutedWritesAsync(int writes)
    {
        long affected = 0;
        await using (var connection = await OpenAsync(bench.Routed))
        {
            for (var i = 0; i < writes; i++)
                affected += await InsertAsync(connection);
            Expect(connection, RoutingReason.Write);
        }

        return affected;
    }

    private async Task<long> RawWritesAsync(int writes, bool capture)
    {
        long affected = 0;
        await using var connection = await OpenAsync(bench.RawPrimary);
        for (var i = 0; i < writes; i++)
            affected += await InsertAsync(connection);
        if (capture)
        {
            await using var read = connection.CreateCommand();
            read.CommandText = bench.CaptureSql;
            if (await read.ExecuteScalarAsync() is not string { Length: > 0 })
                throw new InvalidOperationException("The capture statement returned no GTID.");
        }

        return affected;
    }

    private async Task<ReplicaRoutingConnection> OverTwoReplicasAsync(WriteRead.Variant variant)
    {
        if (!_overTwoReplicas.TryGetValue(variant.Name, out var connection))
            _overTwoReplicas[variant.Name] = connection = await OpenAsync(bench.OverTwoReplicas(variant));
        return connection;
    }

    /// <summary>Writes a new row, pauses, and reads it back; the same code on both sides. Returns how many reads saw the row.</summary>
    private async Task<long> WriteThenReadAsync(DbConnection connection, WriteRead.Scenario scenario, ReadTally tally)
    {
        var id = Workbench.NextWriteReadId();
        await using (var insert = CommandWithId(connection, InsertWriteRead, id))
            await insert.ExecuteNonQueryAsync();
        if (scenario.Pause > TimeSpan.Zero)
        {
            var start = Stopwatch.GetTimestamp();
            await Task.Delay(scenario.Pause);
            Paused += Stopwatch.GetElapsedTime(start);
        }

        long seen = 0;
        for (var i = 0; i < scenario.Reads; i++)
        {
            await using var select = CommandWithId(connection, SelectWriteRead, id);
            var sawWrite = await select.ExecuteScalarAsync() is not (null or DBNull);
            tally.Record(sawWrite, onReplica: connection is ReplicaRoutingConnection { LastRoutingDecision: { Target: RouteTarget.Replica } });
            seen += sawWrite ? 1 : 0;
        }

        return seen;
    }

    private static DbCommand CommandWithId(DbConnection connection, string sql, long id)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        var parameter = command.CreateParameter();
        parameter.ParameterName = "@id";
        parameter.Value = id;
        command.Parameters.Add(parameter);
        return command;
    }

    private static async Task<long> Select1Async(DbConnection connection)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT 1";
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private async Task<long> ReadByKeyAsync(DbConnection connection)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = SelectByKey;
        var id = command.CreateParameter();
        id.ParameterName = "@id";
        id.Value = 1 + (_nextId++ % Workbench.Rows);
        command.Parameters.Add(id);
        await using var reader = await command.ExecuteReaderAsync();
        long sum = 0;
        while (await reader.ReadAsync())
            sum += reader.GetInt32(0) + reader.GetString(1).Length + reader.GetInt32(2);
        return sum;
    }

    private static async Task<long> InsertAsync(DbConnection connection)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = InsertRow;
        AddInsertParameters(command.CreateParameter, command.Parameters);
        return await command.ExecuteNonQueryAsync();
    }

    private static void AddInsertParameters(Func<DbParameter> create, DbParameterCollection parameters)
    {
        var item = create();
        item.ParameterName = "@item";
        item.Value = "tea";
        parameters.Add(item);
        var quantity = create();
        quantity.ParameterName = "@qty";
        quantity.Value = 2;
        parameters.Add(quantity);
    }
}
