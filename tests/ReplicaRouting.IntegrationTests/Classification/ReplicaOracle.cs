using System.Data;
using MySqlConnector;
using ReplicaRouting.IntegrationTests.Infrastructure;

namespace ReplicaRouting.IntegrationTests.Classification;

/// <summary>What the server did with one statement, strongest first.</summary>
public enum ServerOutcome
{
    /// <summary>Ran, and left nothing behind: a read.</summary>
    Read,

    /// <summary>Refused by the parser (1064, 1149 …): generated garbage, never a failure.</summary>
    SyntaxError,

    /// <summary>Failed for another reason (unknown column, wrong usage …): not a write either.</summary>
    OtherError,

    /// <summary>Set user variables on the replica session.</summary>
    SetUserVariables,

    /// <summary>Took row or table locks in the replica transaction: a locking read.</summary>
    TookLocks,

    /// <summary>Refused because the replica is read-only (1290, 1792, 1836, …): a write.</summary>
    RefusedAsWrite,

    /// <summary>Moved the replica's own GTID position: a write that landed on the replica.</summary>
    MovedGtid,
}

/// <summary>
/// Runs statements on one read-only replica as the application user, each in its own transaction that is rolled back, and
/// says what the server did: refused it as a write, took locks, set user variables, wrote a GTID of its own — or just read.
/// One application connection and one observer (admin) connection are reused for every statement.
/// </summary>
/// <remarks>
/// Locks: MySQL's <c>performance_schema.data_locks</c> for the connection's thread. MariaDB has no live lock table
/// (<c>information_schema.INNODB_TRX</c> is a cache refreshed at most every 100 ms, too stale for one statement), so the
/// observer counts the rows of the test's tables it cannot lock (<c>FOR UPDATE SKIP LOCKED</c>); a lock on a gap only is
/// not seen there. Each statement starts on a clean session: the previous transaction is rolled back, and the session is
/// reset (<c>COM_RESET_CONNECTION</c>: user variables, temporary tables, session variables, table locks) after any
/// statement that could have changed more; so each statement is observed alone and reproduces alone.
/// </remarks>
public sealed class ReplicaOracle : IAsyncDisposable
{
    private static readonly HashSet<int> ReadOnlyErrors = [1290, 1792, 1836, 1036, 1223, 1874];
    private static readonly HashSet<int> SyntaxErrors = [1064, 1149, 1065];
    private static readonly string[] SessionWords = ["SET", "USE", "TEMPORARY", "LOCK", "PREPARE", "EXECUTE", "HANDLER", "XA", "CALL", "DECLARE"];

    private readonly MySqlConnection _app;
    private readonly MySqlConnection _observer;
    private readonly MySqlCommand _statement;
    private readonly MySqlCommand _probe;
    private readonly MySqlCommand? _ownVariables;
    private readonly bool _mariaDb;
    private readonly string _ownServer;
    private readonly long _lockableRows;
    private string _ownGtids;

    private ReplicaOracle(MySqlConnection app, MySqlConnection observer, bool mariaDb, string ownServer, long appThread, long lockableRows)
    {
        _app = app;
        _observer = observer;
        _mariaDb = mariaDb;
        _ownServer = ownServer;
        _lockableRows = lockableRows;
        _statement = new MySqlCommand { Connection = app, CommandTimeout = 10 };
        _probe = new MySqlCommand(
            mariaDb
                ? "SELECT COUNT(*) FROM classdiff_t FOR UPDATE SKIP LOCKED; SELECT COUNT(*) FROM classdiff_u FOR UPDATE SKIP LOCKED; SELECT 0, @@global.gtid_binlog_state"
                : $"SELECT (SELECT COUNT(*) FROM performance_schema.data_locks WHERE THREAD_ID = {appThread}), " +
                  $"(SELECT COUNT(*) FROM performance_schema.user_variables_by_thread WHERE THREAD_ID = {appThread}), @@global.gtid_executed",
            observer) { CommandTimeout = 10 };
        if (mariaDb)
            _ownVariables = new MySqlCommand("SELECT COUNT(*) FROM information_schema.USER_VARIABLES", app) { CommandTimeout = 10 };
        _ownGtids = "";
    }

    /// <summary>Opens the two connections to <paramref name="endpoint"/> and checks it is a replica the application user cannot write to.</summary>
    public static async Task<ReplicaOracle> OpenAsync(TopologyFixture topology, string endpoint, long lockableRows)
    {
        var mariaDb = topology.Flavor == TopologyConfig.MariaDb;
        var app = new MySqlConnection(topology.Config.ConnectionString(endpoint, "AllowUserVariables=True;Pooling=False"));
        await app.OpenAsync();
        var observer = await topology.OpenAdminAsync(endpoint);

        await using (var check = new MySqlCommand(mariaDb ? "SELECT @@read_only, @@server_id, CONNECTION_ID()" : "SELECT @@super_read_only, @@server_uuid, PS_CURRENT_THREAD_ID()", app))
        await using (var reader = await check.ExecuteReaderAsync())
        {
            await reader.ReadAsync();
            if (Convert.ToInt64(reader.GetValue(0)) != 1)
                throw new InvalidOperationException($"{endpoint} is not read-only: the server cannot be the oracle of writes.");
            var oracle = new ReplicaOracle(app, observer, mariaDb, Convert.ToString(reader.GetValue(1))!, Convert.ToInt64(reader.GetValue(2)), lockableRows);
            await reader.DisposeAsync();
            oracle._ownGtids = oracle.OwnGtids((await oracle.ProbeAsync()).Position);
            return oracle;
        }
    }

    /// <summary>
    /// Runs <paramref name="sql"/> in a transaction on the replica and observes it. The transaction is rolled back in the
    /// next statement's round trip; the session is reset when the statement may have left more than a transaction behind.
    /// </summary>
    public async Task<(ServerOutcome Outcome, int Error)> ExecuteAsync(string sql)
    {
        var error = 0;
        _statement.CommandText = "ROLLBACK; START TRANSACTION;\n" + sql;
        try
        {
            await using var reader = await _statement.ExecuteReaderAsync();
            do
            {
                while (await reader.ReadAsync())
                {
                }
            }
            while (await reader.NextResultAsync());
        }
        catch (MySqlException ex)
        {
            error = ex.Number;
        }

        if (_app.State != ConnectionState.Open)
            throw new InvalidOperationException($"The replica connection broke on: {sql}");
        var (locks, variables, position) = await ProbeAsync();
        if (_ownVariables is not null && sql.Contains('@'))
            variables = Convert.ToInt64(await _ownVariables.ExecuteScalarAsync());
        if (variables > 0 || MayChangeSession(sql))
            await _app.ResetConnectionAsync();

        var own = OwnGtids(position);
        var outcome = own != _ownGtids ? ServerOutcome.MovedGtid
            : ReadOnlyErrors.Contains(error) ? ServerOutcome.RefusedAsWrite
            : locks > 0 ? ServerOutcome.TookLocks
            : variables > 0 ? ServerOutcome.SetUserVariables
            : SyntaxErrors.Contains(error) ? ServerOutcome.SyntaxError
            : error != 0 ? ServerOutcome.OtherError
            : ServerOutcome.Read;
        _ownGtids = own;
        return (outcome, error);
    }

    /// <summary>
    /// Whether a text could change session state other than user variables (which are observed): a generous textual test,
    /// so that no statement runs on a session another one changed (sql_mode, autocommit, temporary tables, table locks …).
    /// </summary>
    private static bool MayChangeSession(string sql)
    {
        foreach (var word in SessionWords)
        {
            if (sql.Contains(word, StringComparison.OrdinalIgnoreCase))
                return true;
        }

        return false;
    }

    /// <summary>Locks held by the application session, its user variables (MySQL), and the replica's GTID position.</summary>
    private async Task<(long Locks, long Variables, string Position)> ProbeAsync()
    {
        await using var reader = await _probe.ExecuteReaderAsync();
        if (_mariaDb)
        {
            await reader.ReadAsync();
            var free = reader.GetInt64(0);
            await reader.NextResultAsync();
            await reader.ReadAsync();
            free += reader.GetInt64(0);
            await reader.NextResultAsync();
            await reader.ReadAsync();
            return (_lockableRows - free, 0, reader.GetString(1));
        }

        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2));
    }

    /// <summary>
    /// The part of a replica's GTID position that the replica wrote itself: its own server_uuid's intervals (MySQL), or the
    /// gtid_binlog_state entries with its own server_id (MariaDB). Replication from the primary never changes it.
    /// </summary>
    private string OwnGtids(string position)
    {
        var own = "";
        foreach (var part in position.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var mine = _mariaDb
                ? part.Split('-') is [_, var server, _] && server == _ownServer
                : part.StartsWith(_ownServer, StringComparison.OrdinalIgnoreCase);
            if (mine)
                own += part + ",";
        }

        return own;
    }

    public async ValueTask DisposeAsync()
    {
        await _statement.DisposeAsync();
        await _probe.DisposeAsync();
        if (_ownVariables is not null)
            await _ownVariables.DisposeAsync();
        await _app.DisposeAsync();
        await _observer.DisposeAsync();
    }
}
