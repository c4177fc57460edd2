using System.Data;
using MySqlConnector;

namespace ReplicaRouting.Internal;

/// <summary>What one probe of one server found. Produced by <see cref="NodeProbe"/>, judged by <see cref="TopologyRules"/>.</summary>
internal sealed record ProbeResult
{
    /// <summary>The probe got an answer.</summary>
    public bool Reachable { get; init; }

    /// <summary>The server refused or dropped the connection (not merely slow): unreachable at once.</summary>
    public bool ConnectionFailed { get; init; }

    public string? Error { get; init; }

    public bool ReadOnly { get; init; }

    /// <summary>The server has a replication source configured (a row in <c>SHOW REPLICA STATUS</c>).</summary>
    public bool HasSource { get; init; }

    public bool IoRunning { get; init; }

    public bool SqlRunning { get; init; }

    /// <summary>The apply (SQL) thread's last error, or null: the replica's data stops advancing and may be inconsistent.</summary>
    public string? SqlError { get; init; }

    /// <summary>The receiving (IO) thread's last error, or null: usually its source is unreachable.</summary>
    public string? IoError { get; init; }

    /// <summary><c>Seconds_Behind_*</c>; null when the server reports NULL (a thread is stopped, or it is not known).</summary>
    public long? SecondsBehind { get; init; }

    /// <summary>Lag from the heartbeat table; null without one.</summary>
    public TimeSpan? HeartbeatLag { get; init; }

    /// <summary>Executed (primary) or applied (replica) GTID position, as text.</summary>
    public string? Position { get; init; }

    public bool SemiSyncEnabled { get; init; }

    public bool SemiSyncActive { get; init; }

    /// <summary>Semi-sync replicas connected to this server (as a source); 0 means no commit is acknowledged by any replica.</summary>
    public long SemiSyncClients { get; init; }

    /// <summary>A MySQL Group Replication member's view of its group, or null when the server is not configured as one.</summary>
    public GroupView? Group { get; init; }

    /// <summary>How long the probe's query took to answer: an upper bound of a round trip to the node.</summary>
    public TimeSpan? RoundTrip { get; init; }

    public static ProbeResult Failed(string error, bool connectionFailed) => new() { Error = error, ConnectionFailed = connectionFailed };
}

/// <summary>
/// Probes one server over its own unpooled connection without a database (kept open between probes): one round trip reads read_only, the
/// GTID position, semi-sync state, replication status and, when configured, the heartbeat. Used by one monitor loop at a time.
/// </summary>
internal sealed class NodeProbe : IAsyncDisposable
{
    private readonly string _connectionString;
    private readonly string? _heartbeatTable;
    private readonly string _mariaDbSql;
    private readonly string _mySqlSql;
    private MySqlConnection? _connection;
    private ServerDialect? _dialect;
    private bool _heartbeatMissing;
    private bool? _groupMode;   // a Group Replication member: single-primary or not; null when the server is not one

    public NodeProbe(RoutingNode node, TimeSpan timeout, string? heartbeatTable)
    {
        Node = node;
        _heartbeatTable = heartbeatTable;
        var builder = new MySqlConnectionStringBuilder(node.DataSource.ConnectionString);
        var database = builder.Database;

        // Without a database: a probe reads only server state, and must work before the application's database exists
        // (EnsureCreated, migrations) and while it is dropped. The heartbeat table is named in the configured database instead.
        builder.Database = "";
        builder.Pooling = false;
        builder.ConnectionTimeout = (uint)Math.Max(1, Math.Ceiling(timeout.TotalSeconds));
        _connectionString = builder.ConnectionString;
        if (heartbeatTable is not null && !heartbeatTable.Contains('.', StringComparison.Ordinal) && database.Length > 0)
            heartbeatTable = $"`{database.Replace("`", "``", StringComparison.Ordinal)}`.{heartbeatTable}";

        // Lag in microseconds: the server's UTC clock minus the newest heartbeat it has applied (whichever primary wrote it).
        var heartbeatSql = heartbeatTable is null ? "" : $"SELECT TIMESTAMPDIFF(MICROSECOND, MAX(ts), UTC_TIMESTAMP(6)) FROM {heartbeatTable}";
        _mariaDbSql = MariaDbProbeSql(heartbeatSql);
        _mySqlSql = MySqlProbeSql(heartbeatSql);
    }

    public RoutingNode Node { get; }

    /// <summary>True when the last probe found no heartbeat table (not created yet, not replicated yet, or its database does not exist): the monitor logs it once.</summary>
    public bool HeartbeatMissing => _heartbeatMissing;

    public async Task<ProbeResult> ProbeAsync(ClusterState cluster, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            if (_connection is not { State: ConnectionState.Open })
            {
                await CloseAsync().ConfigureAwait(false);
                _connection = new MySqlConnection(_connectionString);
                await _connection.OpenAsync(deadline.Token).ConfigureAwait(false);
                _dialect = cluster.ObserveServerVersion(_connection.ServerVersion);
            }

            var result = await ReadAsync(_connection, _dialect!, deadline.Token).ConfigureAwait(false);
            if (_groupMode is { } singlePrimary)
                result = result with { Group = await GroupReplication.ReadAsync(_connection, singlePrimary, deadline.Token).ConfigureAwait(false) };
            return result;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await CloseAsync().ConfigureAwait(false);
            return ProbeResult.Failed($"no answer within {timeout.TotalMilliseconds:0} ms", connectionFailed: false);
        }
        catch (MySqlException ex) when (!cancellationToken.IsCancellationRequested)
        {
            await CloseAsync().ConfigureAwait(false);
            return ProbeResult.Failed(ex.Message, connectionFailed: ServerErrors.IsConnectionFailure(ex) || ex.ErrorCode == MySqlErrorCode.QueryInterrupted);
        }
    }

    /// <summary>Reads the server's stored functions on the probe's connection (open after a successful probe).</summary>
    public async Task<RoutineCatalog?> LoadRoutinesAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (_connection is not { State: ConnectionState.Open } connection)
            return null;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            return await RoutineCatalog.LoadAsync(connection, deadline.Token).ConfigureAwait(false);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            await CloseAsync().ConfigureAwait(false);   // a cancelled read leaves the connection unusable
            throw;
        }
    }

    private async Task<ProbeResult> ReadAsync(MySqlConnection connection, ServerDialect dialect, CancellationToken cancellationToken)
    {
        var mariaDb = dialect.Flavor == ServerFlavor.MariaDb;
        var command = new MySqlCommand(mariaDb ? _mariaDbSql : _mySqlSql, connection);
        await using var disposeCommand = command.ConfigureAwait(false);
        var sentAt = System.Diagnostics.Stopwatch.GetTimestamp();
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var roundTrip = System.Diagnostics.Stopwatch.GetElapsedTime(sentAt);
        await using var disposeReader = reader.ConfigureAwait(false);

        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        var readOnly = reader.GetInt64(0) != 0;
        var executed = reader.IsDBNull(1) ? null : reader.GetString(1);
        var applied = reader.IsDBNull(2) ? null : reader.GetString(2);
        var semiSyncEnabled = !reader.IsDBNull(3) && IsOn(reader.GetString(3));
        var semiSyncActive = !reader.IsDBNull(4) && IsOn(reader.GetString(4));
        var semiSyncClients = !reader.IsDBNull(5) && long.TryParse(reader.GetString(5), out var clients) ? clients : 0;
        _groupMode = !mariaDb && !reader.IsDBNull(6) && reader.GetString(6).Length > 0 ? !reader.IsDBNull(7) && IsOn(reader.GetString(7)) : null;

        await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        var result = new ProbeResult
        {
            Reachable = true,
            ReadOnly = readOnly,
            SemiSyncEnabled = semiSyncEnabled,
            SemiSyncActive = semiSyncActive,
            SemiSyncClients = semiSyncClients,
            RoundTrip = roundTrip,
        };
        if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var io = Text(reader, mariaDb ? "Slave_IO_Running" : "Replica_IO_Running");
            var sql = Text(reader, mariaDb ? "Slave_SQL_Running" : "Replica_SQL_Running");
            var behind = Text(reader, mariaDb ? "Seconds_Behind_Master" : "Seconds_Behind_Source");
            result = result with
            {
                HasSource = true,
                IoRunning = string.Equals(io, "Yes", StringComparison.OrdinalIgnoreCase),
                SqlRunning = string.Equals(sql, "Yes", StringComparison.OrdinalIgnoreCase),
                SecondsBehind = long.TryParse(behind, out var seconds) ? seconds : null,
                SqlError = ErrorOf(reader, "Last_SQL_Errno", "Last_SQL_Error"),
                IoError = ErrorOf(reader, "Last_IO_Errno", "Last_IO_Error"),
                // MASTER_GTID_WAIT compares with gtid_slave_pos on MariaDB; MySQL has one executed set.
                Position = mariaDb ? applied : executed,
            };
        }
        else
        {
            result = result with { Position = executed };
        }

        if (_heartbeatTable is not null)
            result = result with { HeartbeatLag = await ReadHeartbeatAsync(reader, cancellationToken).ConfigureAwait(false) };
        return result;
    }

    /// <summary>The heartbeat's statement runs last in the batch, so a missing table costs only the heartbeat.</summary>
    private async Task<TimeSpan?> ReadHeartbeatAsync(MySqlDataReader reader, CancellationToken cancellationToken)
    {
        try
        {
            var hasRow = await reader.NextResultAsync(cancellationToken).ConfigureAwait(false) && await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            _heartbeatMissing = false;
            return hasRow && !reader.IsDBNull(0) ? TimeSpan.FromMicroseconds(Math.Max(0, reader.GetInt64(0))) : null;
        }
        catch (MySqlException ex) when (ex.ErrorCode is MySqlErrorCode.NoSuchTable or MySqlErrorCode.BadFieldError or MySqlErrorCode.UnknownDatabase or MySqlErrorCode.NoDatabaseSelected)
        {
            _heartbeatMissing = true;
            return null;
        }
    }

    private static string MariaDbProbeSql(string heartbeatSql) => """
        SELECT @@read_only, @@gtid_binlog_pos, @@gtid_slave_pos,
          (SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_VARIABLES WHERE VARIABLE_NAME = 'RPL_SEMI_SYNC_MASTER_ENABLED'),
          (SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'RPL_SEMI_SYNC_MASTER_STATUS'),
          (SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'RPL_SEMI_SYNC_MASTER_CLIENTS');
        SHOW SLAVE STATUS;
        """ + heartbeatSql;

    private static string MySqlProbeSql(string heartbeatSql) => """
        SELECT @@read_only, @@global.gtid_executed, NULL,
          (SELECT VARIABLE_VALUE FROM performance_schema.global_variables WHERE VARIABLE_NAME = 'rpl_semi_sync_source_enabled'),
          (SELECT VARIABLE_VALUE FROM performance_schema.global_status WHERE VARIABLE_NAME = 'Rpl_semi_sync_source_status'),
          (SELECT VARIABLE_VALUE FROM performance_schema.global_status WHERE VARIABLE_NAME = 'Rpl_semi_sync_source_clients'),
        """ + GroupReplication.ProbeColumns + """
        ;
        SHOW REPLICA STATUS;
        """ + heartbeatSql;


    private static bool IsOn(string value) => value is "ON" or "on" or "1";

    private static string? Text(MySqlDataReader reader, string column)
    {
        var ordinal = Ordinal(reader, column);
        return ordinal < 0 || reader.IsDBNull(ordinal) ? null : Convert.ToString(reader.GetValue(ordinal), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static int Ordinal(MySqlDataReader reader, string column)
    {
        for (var i = 0; i < reader.FieldCount; i++)
        {
            if (string.Equals(reader.GetName(i), column, StringComparison.OrdinalIgnoreCase))
                return i;
        }

        return -1;
    }

    private static string? ErrorOf(MySqlDataReader reader, string number, string text) =>
        Text(reader, number) is { } errno && errno != "0" ? $"error {errno}: {Text(reader, text)}" : null;

    private async ValueTask CloseAsync()
    {
        if (_connection is { } connection)
        {
            _connection = null;
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    public ValueTask DisposeAsync() => CloseAsync();
}
