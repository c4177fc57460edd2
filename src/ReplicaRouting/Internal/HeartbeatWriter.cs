using MySqlConnector;

namespace ReplicaRouting.Internal;

/// <summary>
/// Writes a pt-heartbeat compatible row (<c>ts</c> in UTC, <c>server_id</c>) on the current primary every interval, so replicas
/// can measure their lag to the sub-second. Follows failovers: it always writes where the monitor says writes go.
/// </summary>
internal sealed class HeartbeatWriter(TopologyMonitor monitor, RoutingConfiguration configuration)
{
    private readonly string _table = configuration.HeartbeatTable!;

    public async Task RunAsync(CancellationToken stop)
    {
        RoutingNode? createdOn = null;
        var waitingForDatabase = false;   // said once: a database not created yet is how every new application starts
        while (!stop.IsCancellationRequested)
        {
            if (monitor.Snapshot.Writer is { } writer)
            {
                try
                {
                    var connection = await writer.DataSource.OpenConnectionAsync(stop).ConfigureAwait(false);
                    await using (connection.ConfigureAwait(false))
                    {
                        if (createdOn != writer)
                        {
                            await ExecuteAsync(connection, CreateSql, stop).ConfigureAwait(false);
                            createdOn = writer;
                        }

                        await ExecuteAsync(connection, WriteSql, stop).ConfigureAwait(false);
                    }

                    waitingForDatabase = false;
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    return;
                }
                catch (MySqlException ex) when (ex.ErrorCode == MySqlErrorCode.UnknownDatabase)
                {
                    if (!waitingForDatabase)
                        Log.HeartbeatWaitingForDatabase(configuration.Logger, writer.Endpoint);
                    waitingForDatabase = true;
                }
                catch (MySqlException ex)
                {
                    Log.HeartbeatWriteFailed(configuration.Logger, ex, writer.Endpoint);
                    if (ServerErrors.IsReadOnlyRefusal(ex))
                        monitor.ReportReadOnlyWriter(writer);
                }
            }

            await Task.Delay(configuration.HeartbeatInterval, configuration.TimeProvider, stop).ConfigureAwait(false);
        }
    }

    private string CreateSql => $"""
        CREATE TABLE IF NOT EXISTS {_table} (
          ts varchar(26) NOT NULL,
          server_id int unsigned NOT NULL PRIMARY KEY,
          file varchar(255) DEFAULT NULL,
          position bigint unsigned DEFAULT NULL,
          relay_master_log_file varchar(255) DEFAULT NULL,
          exec_master_log_pos bigint unsigned DEFAULT NULL)
        """;

    private string WriteSql => $"REPLACE INTO {_table} (ts, server_id) VALUES (DATE_FORMAT(UTC_TIMESTAMP(6), '%Y-%m-%dT%H:%i:%s.%f'), @@server_id)";

    private static async Task ExecuteAsync(MySqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        var command = new MySqlCommand(sql, connection);
        await using (command.ConfigureAwait(false))
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
