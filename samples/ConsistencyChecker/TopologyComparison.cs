using System.Diagnostics;
using System.Globalization;
using MySqlConnector;

namespace ReplicaRouting.ConsistencyChecker;

/// <summary>
/// The same write→read pair on each kind of MySQL topology (asynchronous replicas, semi-synchronous replicas, a Group
/// Replication group), measured with plain MySqlConnector so the library adds nothing: how long a commit takes on the primary,
/// and how long until a read on a replica returns it (or misses it: <c>stale</c>), for each way of making that read see the write.
/// </summary>
public static class TopologyComparison
{
    private const string Table = "gr_compare_writes";

    /// <summary>How the read after the write makes sure it sees the write.</summary>
    public enum ReadMode
    {
        /// <summary>Nothing: read the replica at once (shows how often that is stale).</summary>
        NoWait,

        /// <summary>What this library does: wait for the write's GTID on the replica, in the same round trip as the read.</summary>
        GtidWait,

        /// <summary>Group Replication only: the read runs with <c>group_replication_consistency=BEFORE</c> on the secondary.</summary>
        GroupBefore,

        /// <summary>Group Replication only: the write runs with <c>group_replication_consistency=AFTER</c> (its commit returns once every member applied it).</summary>
        GroupAfter,
    }

    /// <summary>Measures <paramref name="samples"/> pairs on one topology and returns the <c>COMPARE …</c> line.</summary>
    /// <param name="name">The topology's name in the line: <c>async</c>, <c>semi-sync</c>, <c>group</c>.</param>
    /// <param name="config">The topology (its primary first, then one replica or secondary that is read).</param>
    /// <param name="samples">Pairs to run (sequential: one write, then one read of it on the replica).</param>
    /// <param name="mode">How the read is made to see the write.</param>
    /// <param name="cancellationToken">Stops the run.</param>
    /// <returns><c>COMPARE topology=… read=… samples=… commit_p50_ms=… commit_p99_ms=… visible_p50_ms=… visible_p99_ms=… stale=…</c>.</returns>
    public static async Task<string> RunAsync(string name, TopologyConfig config, int samples, ReadMode mode, CancellationToken cancellationToken = default)
    {
        await using var primary = new MySqlConnection(config.AdminConnectionString(config.PrimaryEndpoint));
        await using var replica = new MySqlConnection(config.AdminConnectionString(config.ReplicaEndpoints[0]));
        await primary.OpenAsync(cancellationToken);
        await replica.OpenAsync(cancellationToken);
        await ExecuteAsync(primary, $"CREATE TABLE IF NOT EXISTS {Table} (id BIGINT AUTO_INCREMENT PRIMARY KEY, at DATETIME(6) NOT NULL) ENGINE=InnoDB", cancellationToken);
        if (mode == ReadMode.GroupAfter)
            await ExecuteAsync(primary, "SET SESSION group_replication_consistency = 'AFTER'", cancellationToken);
        if (mode == ReadMode.GroupBefore)
            await ExecuteAsync(replica, "SET SESSION group_replication_consistency = 'BEFORE'", cancellationToken);

        // The position after the commit in the same round trip: a superset of the write's own GTID (SERVERS.md).
        await using var write = new MySqlCommand($"INSERT INTO {Table} (at) VALUES (NOW(6)); SELECT LAST_INSERT_ID(), REPLACE(@@global.gtid_executed, '\\n', '')", primary);
        var readSql = $"SELECT COUNT(*) FROM {Table} WHERE id = @id";
        await using var read = new MySqlCommand(mode == ReadMode.GtidWait ? "SELECT WAIT_FOR_EXECUTED_GTID_SET(@position, 10); " + readSql : readSql, replica);
        var position = read.Parameters.Add("@position", MySqlDbType.VarChar);
        var id = read.Parameters.Add("@id", MySqlDbType.Int64);
        var commits = new List<double>(samples);
        var visible = new List<double>(samples);
        var stale = 0;
        for (var i = 0; i < samples; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await using (var written = await write.ExecuteReaderAsync(cancellationToken))
            {
                await written.ReadAsync(cancellationToken);   // (the INSERT's OK is not a result set: the reader starts at the SELECT)
                (id.Value, position.Value) = (written.GetInt64(0), written.GetString(1));
            }

            commits.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            await using (var seen = await read.ExecuteReaderAsync(cancellationToken))
            {
                if (mode == ReadMode.GtidWait)
                    await seen.NextResultAsync(cancellationToken);
                await seen.ReadAsync(cancellationToken);
                stale += seen.GetInt64(0) == 1 ? 0 : 1;
            }

            visible.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }

        commits.Sort();
        visible.Sort();
        var modeName = mode switch { ReadMode.NoWait => "no-wait", ReadMode.GtidWait => "gtid-wait", ReadMode.GroupBefore => "consistency-before", _ => "consistency-after" };
        return string.Create(CultureInfo.InvariantCulture,
            $"COMPARE topology={name} read={modeName} samples={samples} commit_p50_ms={ResultLine.Percentile(commits, 0.5):F2} commit_p99_ms={ResultLine.Percentile(commits, 0.99):F2} " +
            $"visible_p50_ms={ResultLine.Percentile(visible, 0.5):F2} visible_p99_ms={ResultLine.Percentile(visible, 0.99):F2} stale={stale}");
    }

    private static async Task ExecuteAsync(MySqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new MySqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
