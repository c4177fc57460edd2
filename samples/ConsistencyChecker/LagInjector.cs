using System.Diagnostics;
using System.Net;
using MySqlConnector;

namespace ReplicaRouting.ConsistencyChecker;

/// <summary>
/// Injects REAL replication lag: stops and restarts the SQL (apply) thread of replicas in windows, so that the
/// replicas keep receiving the primary's changes but apply them only when their thread runs again.
/// </summary>
/// <remarks>
/// <para>
/// Only loopback servers (<c>127.0.0.1</c>, <c>::1</c>, <c>localhost</c>) are accepted: this is a test tool, and it must
/// never stop replication on a real server. Every run is bounded (<see cref="MaxDuration"/>, <see cref="MaxCycles"/>),
/// and whatever ends it (cancellation, the bounds, an error) it restarts every replica's SQL thread and then waits,
/// bounded by <see cref="CatchUpTimeout"/>, until each replica has applied everything it received.
/// </para>
/// <para>The connection strings need a user allowed to stop and start replication (the admin user of the local topologies).</para>
/// </remarks>
public sealed class LagInjector
{
    /// <summary>The longest a stopped or a running window may be.</summary>
    public static readonly TimeSpan MaxWindow = TimeSpan.FromMinutes(1);

    private readonly bool _isMariaDb;
    private readonly IReadOnlyList<string> _replicas;
    private int _active;

    /// <summary>Creates an injector for the replicas of one topology.</summary>
    /// <param name="flavor"><c>mariadb</c> or <c>mysql</c> (case-insensitive): the SQL to stop and start replication differs.</param>
    /// <param name="replicaAdminConnectionStrings">
    /// One connection string per replica, for a user that may stop and start replication; every server must be loopback.
    /// </param>
    /// <exception cref="ArgumentException">An unknown flavor, no replica, or a server that is not loopback.</exception>
    public LagInjector(string flavor, IEnumerable<string> replicaAdminConnectionStrings)
    {
        ArgumentNullException.ThrowIfNull(flavor);
        ArgumentNullException.ThrowIfNull(replicaAdminConnectionStrings);
        _isMariaDb = flavor.ToLowerInvariant() switch
        {
            "mariadb" => true,
            "mysql" => false,
            _ => throw new ArgumentException($"Unknown flavor '{flavor}': expected 'mariadb' or 'mysql'.", nameof(flavor)),
        };

        _replicas = replicaAdminConnectionStrings.ToArray();
        if (_replicas.Count == 0)
            throw new ArgumentException("At least one replica is needed.", nameof(replicaAdminConnectionStrings));
        foreach (var connectionString in _replicas)
        {
            var server = new MySqlConnectionStringBuilder(connectionString).Server;
            if (!IsLoopback(server))
                throw new ArgumentException($"The lag injector only touches loopback servers, not '{server}'.", nameof(replicaAdminConnectionStrings));
        }
    }

    /// <summary>
    /// Gets or sets whether the replicas' cycles are offset from each other by an equal share of one cycle, so they are
    /// never all stopped, or all running, at the same moments.
    /// </summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool Stagger { get; init; } = true;

    /// <summary>Gets or sets the longest a run injects lag before it ends by itself.</summary>
    /// <value>The default value is 5 minutes.</value>
    public TimeSpan MaxDuration { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Gets or sets how many stop/start cycles a run performs at most on each replica before it ends by itself.</summary>
    /// <value>The default value is 2000.</value>
    public int MaxCycles { get; init; } = 2000;

    /// <summary>Gets or sets how long, after the threads are restarted, the run waits at most for the replicas to catch up.</summary>
    /// <value>The default value is 30 seconds.</value>
    public TimeSpan CatchUpTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Alternates, on every replica, a window with the SQL thread stopped and a window with it running, until
    /// <paramref name="cancellationToken"/> is cancelled (the normal way to end a run) or <see cref="MaxDuration"/> or
    /// <see cref="MaxCycles"/> is reached. Then it restarts every SQL thread and waits until the replicas caught up.
    /// </summary>
    /// <param name="stopped">How long each replica's SQL thread stays stopped per cycle (1 ms to <see cref="MaxWindow"/>).</param>
    /// <param name="running">How long it then runs before the next stop (10 ms to <see cref="MaxWindow"/>).</param>
    /// <param name="cancellationToken">Ends the injection. Cancelling it is not an error: the method then returns normally.</param>
    /// <returns>What was done: stops per replica, how long lag was injected, and how long the catch-up took.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A window out of range.</exception>
    /// <exception cref="InvalidOperationException">This injector is already running, or a server is of the other flavor.</exception>
    /// <exception cref="TimeoutException">A replica did not catch up within <see cref="CatchUpTimeout"/>.</exception>
    /// <exception cref="MySqlException">A server refused a command (the threads are still restarted first).</exception>
    public async Task<LagInjectionReport> RunAsync(TimeSpan stopped, TimeSpan running, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(stopped, TimeSpan.FromMilliseconds(1));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(stopped, MaxWindow);
        ArgumentOutOfRangeException.ThrowIfLessThan(running, TimeSpan.FromMilliseconds(10));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(running, MaxWindow);
        if (Interlocked.Exchange(ref _active, 1) == 1)
            throw new InvalidOperationException("This lag injector is already running.");

        try
        {
            var started = Stopwatch.GetTimestamp();
            var stops = new int[_replicas.Count];
            Exception? failure = null;
            using (var end = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                end.CancelAfter(MaxDuration);
                var cycle = stopped + running;
                var loops = new Task[_replicas.Count];
                for (var i = 0; i < loops.Length; i++)
                {
                    var offset = Stagger ? cycle * i / loops.Length : TimeSpan.Zero;
                    loops[i] = CycleAsync(i, offset, stopped, running, stops, end);
                }

                try
                {
                    await Task.WhenAll(loops);
                }
                catch (Exception)
                {
                    // The loops swallow their own cancellation, so any fault here is a real error: keep the first.
                    failure = loops.Where(t => t.IsFaulted).Select(t => t.Exception!.InnerException!).First();
                }
            }

            var injected = Stopwatch.GetElapsedTime(started);

            // Always: never leave a replica with its apply thread stopped.
            await RestartAllAsync(failure);
            if (failure is not null)
                throw failure;

            var catchUpStarted = Stopwatch.GetTimestamp();
            await CatchUpAsync();
            return new LagInjectionReport(stops, injected, Stopwatch.GetElapsedTime(catchUpStarted));
        }
        finally
        {
            Volatile.Write(ref _active, 0);
        }
    }

    /// <summary>
    /// Sets the replication delay of one replica (MariaDB <c>MASTER_DELAY</c>, MySQL <c>SOURCE_DELAY</c>): it then applies each
    /// transaction no earlier than <paramref name="delay"/> after the primary committed it. Zero removes the delay. MariaDB
    /// changes it with replication stopped for a moment, MySQL with only the SQL thread stopped.
    /// </summary>
    /// <param name="replica">The replica's index, in the order the connection strings were given.</param>
    /// <param name="delay">Whole seconds, 0 to <see cref="MaxWindow"/>.</param>
    /// <param name="cancellationToken">Cancels opening the connection (the commands themselves always run to the end).</param>
    /// <returns>A task that completes when the replica runs with the new delay.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An unknown replica, or a delay out of range or not in whole seconds.</exception>
    /// <exception cref="MySqlException">The server refused a command.</exception>
    public async Task SetDelayAsync(int replica, TimeSpan delay, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(replica);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(replica, _replicas.Count);
        ArgumentOutOfRangeException.ThrowIfLessThan(delay, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(delay, MaxWindow);
        if (delay.Ticks % TimeSpan.TicksPerSecond != 0)
            throw new ArgumentOutOfRangeException(nameof(delay), delay, "Replication delays are whole seconds.");

        // CHANGE MASTER takes no parameters; the delay is a whole number checked above.
        var seconds = (long)delay.TotalSeconds;
        await using var connection = await OpenAsync(_replicas[replica], cancellationToken);
        await ExecuteAsync(connection, _isMariaDb
            ? $"STOP SLAVE; CHANGE MASTER TO MASTER_DELAY={seconds}; START SLAVE"
            : $"STOP REPLICA SQL_THREAD; CHANGE REPLICATION SOURCE TO SOURCE_DELAY={seconds}; START REPLICA SQL_THREAD");
    }

    private string ThreadCommand(string verb) => _isMariaDb ? $"{verb} SLAVE SQL_THREAD" : $"{verb} REPLICA SQL_THREAD";

    private async Task CycleAsync(int index, TimeSpan offset, TimeSpan stopped, TimeSpan running, int[] stops, CancellationTokenSource end)
    {
        var token = end.Token;
        try
        {
            await Task.Delay(offset, token);
            await using var connection = await OpenAsync(_replicas[index], token);
            for (var cycle = 0; cycle < MaxCycles; cycle++)
            {
                // The commands themselves are not cancelled half-way; only the windows are.
                await ExecuteAsync(connection, ThreadCommand("STOP"));
                stops[index]++;
                await Task.Delay(stopped, token);
                await ExecuteAsync(connection, ThreadCommand("START"));
                await Task.Delay(running, token);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // The normal end of a run.
        }
        catch
        {
            await end.CancelAsync();   // stop the other replicas' cycles too
            throw;
        }
    }

    /// <summary>Starts every replica's SQL thread (harmless when it runs already), on fresh connections.</summary>
    private async Task RestartAllAsync(Exception? earlier)
    {
        var restarts = _replicas.Select(async connectionString =>
        {
            await using var connection = await OpenAsync(connectionString, CancellationToken.None);
            await ExecuteAsync(connection, ThreadCommand("START"));
        }).ToArray();

        try
        {
            await Task.WhenAll(restarts);
        }
        catch (Exception) when (earlier is not null)
        {
            // The earlier error is the one to report; the replica that could not be restarted is likely the same cause.
        }
    }

    /// <summary>Waits until every replica has applied what it had received when this was called (bounded).</summary>
    private async Task CatchUpAsync()
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(CatchUpTimeout.TotalSeconds * Stopwatch.Frequency);
        foreach (var connectionString in _replicas)
        {
            await using var connection = await OpenAsync(connectionString, CancellationToken.None);
            var received = await ReceivedPositionAsync(connection);
            if (string.IsNullOrEmpty(received))
                continue;

            var remaining = Math.Max(1, (int)Math.Ceiling((deadline - Stopwatch.GetTimestamp()) / (double)Stopwatch.Frequency));
            var waitSql = _isMariaDb ? "SELECT MASTER_GTID_WAIT(@position, @timeout)" : "SELECT WAIT_FOR_EXECUTED_GTID_SET(@position, @timeout)";
            await using var wait = new MySqlCommand(waitSql, connection) { CommandTimeout = remaining + 10 };
            wait.Parameters.AddWithValue("@position", received);
            wait.Parameters.AddWithValue("@timeout", remaining);
            var result = await wait.ExecuteScalarAsync();
            if (result is null or DBNull || Convert.ToInt64(result, System.Globalization.CultureInfo.InvariantCulture) != 0)
            {
                throw new TimeoutException(
                    $"Replica {connection.DataSource}:{new MySqlConnectionStringBuilder(connectionString).Port} did not apply what it received ({received}) " +
                    $"within {CatchUpTimeout.TotalSeconds:0.#} s (wait returned {(result is null or DBNull ? "NULL" : result)}); check its replication status.");
            }
        }
    }

    /// <summary>The GTIDs the replica has received from its source (applied or not).</summary>
    private async Task<string?> ReceivedPositionAsync(MySqlConnection connection)
    {
        if (_isMariaDb)
        {
            await using var status = new MySqlCommand("SHOW SLAVE STATUS", connection);
            await using var reader = await status.ExecuteReaderAsync();
            return await reader.ReadAsync() ? reader.GetString(reader.GetOrdinal("Gtid_IO_Pos")) : null;
        }

        await using var query = new MySqlCommand("SELECT RECEIVED_TRANSACTION_SET FROM performance_schema.replication_connection_status WHERE CHANNEL_NAME = ''", connection);
        return await query.ExecuteScalarAsync() as string;
    }

    private Task<MySqlConnection> OpenAsync(string connectionString, CancellationToken cancellationToken) =>
        CheckedConnection.OpenAsync(connectionString, _isMariaDb, "the lag injector", cancellationToken);

    private static async Task ExecuteAsync(MySqlConnection connection, string sql)
    {
        await using var command = new MySqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static bool IsLoopback(string server)
    {
        var hosts = server.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        return hosts.Length > 0 && hosts.All(host =>
            string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address)));
    }
}

/// <summary>What one <see cref="LagInjector.RunAsync"/> did.</summary>
/// <param name="StopsPerReplica">How many times each replica's SQL thread was stopped, in the order the replicas were given.</param>
/// <param name="Injected">How long lag was injected (from the start of the run to its end, before the catch-up).</param>
/// <param name="CatchUp">How long the replicas took to apply what they had received once restarted.</param>
public sealed record LagInjectionReport(IReadOnlyList<int> StopsPerReplica, TimeSpan Injected, TimeSpan CatchUp)
{
    /// <summary>Gets the number of stops over all replicas.</summary>
    public int Stops => StopsPerReplica.Sum();
}
