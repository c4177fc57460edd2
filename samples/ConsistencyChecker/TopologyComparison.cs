using System.Diagnostics;
using System.Globalization;
using MySqlConnector;

namespace ReplicaRouting.ConsistencyChecker;

/// <summary>
/// The same write→read pair on each kind of MySQL topology (asynchronous replicas, semi-synchronous replicas, a Group
/// Replication group), measured with plain MySqlConnector so the library adds nothing: how long a commit takes on the primary,
/// and how long until a replica has applied it (a GTID wait started right after the commit returns).
/// </summary>
public static class TopologyComparison
{
    private const string Table = "gr_compare_writes";

    /// <summary>Measures <paramref name="samples"/> pairs on one topology and returns the <c>COMPARE …</c> line.</summary>
    /// <param name="name">The topology's name in the line: <c>async</c>, <c>semi-sync</c>, <c>group</c>.</param>
    /// <param name="config">The topology (its primary first, then one replica or secondary that is read).</param>
    /// <param name="samples">Pairs to run (sequential: one write, then the wait on the replica).</param>
    /// <param name="cancellationToken">Stops the run.</param>
    /// <returns><c>COMPARE topology=… samples=… commit_p50_ms=… commit_p99_ms=… visible_p50_ms=… visible_p99_ms=…</c>.</returns>
    public static async Task<string> RunAsync(string name, TopologyConfig config, int samples, CancellationToken cancellationToken = default)
    {
        await using var primary = new MySqlConnection(config.AdminConnectionString(config.PrimaryEndpoint));
        await using var replica = new MySqlConnection(config.AdminConnectionString(config.ReplicaEndpoints[0]));
        await primary.OpenAsync(cancellationToken);
        await replica.OpenAsync(cancellationToken);
        await using (var create = new MySqlCommand($"CREATE TABLE IF NOT EXISTS {Table} (id BIGINT AUTO_INCREMENT PRIMARY KEY, at DATETIME(6) NOT NULL) ENGINE=InnoDB", primary))
            await create.ExecuteNonQueryAsync(cancellationToken);

        // The position after the commit in the same round trip: a superset of the write's own GTID (SERVERS.md).
        await using var write = new MySqlCommand($"INSERT INTO {Table} (at) VALUES (NOW(6)); SELECT REPLACE(@@global.gtid_executed, '\\n', '')", primary);
        await using var wait = new MySqlCommand("SELECT WAIT_FOR_EXECUTED_GTID_SET(@position, 10)", replica);
        var position = wait.Parameters.Add("@position", MySqlDbType.VarChar);
        var commits = new List<double>(samples);
        var visible = new List<double>(samples);
        for (var i = 0; i < samples; i++)
        {
            var start = Stopwatch.GetTimestamp();
            position.Value = (string)(await write.ExecuteScalarAsync(cancellationToken))!;
            commits.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            if (Convert.ToInt64(await wait.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture) != 0)
                throw new InvalidOperationException($"{name}: the replica {config.ReplicaEndpoints[0]} did not apply a write within 10 s.");
            visible.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }

        commits.Sort();
        visible.Sort();
        return string.Create(CultureInfo.InvariantCulture,
            $"COMPARE topology={name} samples={samples} commit_p50_ms={ResultLine.Percentile(commits, 0.5):F2} commit_p99_ms={ResultLine.Percentile(commits, 0.99):F2} " +
            $"visible_p50_ms={ResultLine.Percentile(visible, 0.5):F2} visible_p99_ms={ResultLine.Percentile(visible, 0.99):F2}");
    }
}
