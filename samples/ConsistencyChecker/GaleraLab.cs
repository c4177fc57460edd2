using System.Diagnostics;
using System.Globalization;
using MySqlConnector;

namespace ReplicaRouting.ConsistencyChecker;

/// <summary>
/// Drives the MariaDB Galera cluster of <c>scripts/servers/servers.sh</c> (<c>RR_SERVERS_SET=galera</c>: nodes 1 to 3 on
/// 3361-3363) for tests and the demo: kills a node, brings it back, partitions one away with Galera's own setting
/// (<c>gmcast.isolate</c>, nothing outside 127.0.0.1 is touched), and reads the members' <c>wsrep_*</c> state. SQL runs as
/// the admin user on unpooled connections.
/// </summary>
public sealed class GaleraLab
{
    /// <summary>The set's name in <c>servers.sh</c> (<c>RR_SERVERS_SET=galera</c>).</summary>
    public const string Set = "galera";

    /// <summary>The longest the cluster may take to settle after a kill, a restart or a partition.</summary>
    public static readonly TimeSpan SettleTimeout = TimeSpan.FromSeconds(90);

    private const int ScriptBasePort = 3360;   // servers.sh's galera set: node N listens on 3360 + N

    /// <summary>Creates the lab over the cluster named by <c>RR_GALERA_MARIADB_NODES</c>.</summary>
    /// <exception cref="InvalidOperationException">The variable is not set (the cluster is not up): a test must fail, not skip.</exception>
    public GaleraLab()
    {
        Config = TopologyConfig.LoadClusterSet(Set, TopologyConfig.MariaDb);
        for (var node = 1; node <= Config.Nodes.Count; node++)
        {
            var (host, port) = TopologyConfig.Split(Config.Nodes[node - 1]);
            if (host is not ("127.0.0.1" or "localhost") || port != ScriptBasePort + node)
                throw new InvalidOperationException($"The Galera lab drives servers.sh's galera set (node N on 127.0.0.1:{ScriptBasePort}+N), not '{Config.Nodes[node - 1]}'.");
        }
    }

    /// <summary>The cluster's endpoints (node N is <c>Config.Nodes[N - 1]</c>), users and database.</summary>
    public TopologyConfig Config { get; }

    /// <summary>The endpoint of node <paramref name="node"/> (1 to 3).</summary>
    /// <param name="node">The node.</param>
    /// <returns><c>host:port</c>.</returns>
    public string Endpoint(int node) => Config.Nodes[node - 1];

    /// <summary>
    /// <c>servers.sh start</c> for the galera set: reuses a healthy cluster, brings killed or stopped nodes back (IST), or
    /// rebuilds it; returns when all three are Synced in one primary component.
    /// </summary>
    /// <param name="cancellationToken">Abandons the wait for the script.</param>
    /// <returns>A task that completes when the cluster is healthy.</returns>
    public static Task StartAsync(CancellationToken cancellationToken = default) =>
        FailoverLab.RunScriptAsync(Set, cancellationToken, "start");

    /// <summary>SIGKILLs node <paramref name="node"/> (<c>servers.sh kill mariadb N</c>); returns once its port is closed.</summary>
    /// <param name="node">1 to 3.</param>
    /// <param name="cancellationToken">Abandons the wait for the script.</param>
    /// <returns>A task that completes when the node is gone.</returns>
    public static Task KillAsync(int node, CancellationToken cancellationToken = default) =>
        FailoverLab.RunScriptAsync(Set, cancellationToken, "kill", TopologyConfig.MariaDb, node.ToString(CultureInfo.InvariantCulture));

    /// <summary>
    /// Partitions node <paramref name="node"/> away from the others (<c>gmcast.isolate=1</c>: it drops its group
    /// connections and refuses new ones) or heals it (<c>0</c>). An isolated node forms a non-primary component alone.
    /// </summary>
    /// <param name="node">The node.</param>
    /// <param name="isolate">True to partition it, false to let it rejoin.</param>
    /// <param name="cancellationToken">Cancels the command.</param>
    /// <returns>A task that completes when the setting is applied (not when the cluster has noticed).</returns>
    public Task IsolateAsync(int node, bool isolate, CancellationToken cancellationToken = default) =>
        AdminScalarAsync(node, $"SET GLOBAL wsrep_provider_options='gmcast.isolate={(isolate ? 1 : 0)}'", cancellationToken);

    /// <summary>The node's <c>wsrep_local_state_comment</c>, <c>wsrep_cluster_status</c> and <c>wsrep_cluster_size</c>, e.g. <c>Synced Primary 3</c>.</summary>
    /// <param name="node">The node.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The three values separated by spaces.</returns>
    /// <exception cref="MySqlException">The node is down.</exception>
    public async Task<string> StateAsync(int node, CancellationToken cancellationToken = default) =>
        Convert.ToString(await AdminScalarAsync(node,
            """
            SELECT CONCAT_WS(' ',
              MAX(IF(VARIABLE_NAME = 'WSREP_LOCAL_STATE_COMMENT', VARIABLE_VALUE, NULL)),
              MAX(IF(VARIABLE_NAME = 'WSREP_CLUSTER_STATUS', VARIABLE_VALUE, NULL)),
              MAX(IF(VARIABLE_NAME = 'WSREP_CLUSTER_SIZE', VARIABLE_VALUE, NULL)))
            FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME LIKE 'WSREP\_%'
            """, cancellationToken), CultureInfo.InvariantCulture) ?? "";

    /// <summary>Waits (bounded by <see cref="SettleTimeout"/>) until node <paramref name="node"/> reports <paramref name="expected"/> (see <see cref="StateAsync"/>).</summary>
    /// <param name="node">The node.</param>
    /// <param name="expected">For example <c>Synced Primary 2</c>, or <c>non-Primary</c> (matched as a part).</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when the node reports it.</returns>
    /// <exception cref="TimeoutException">It did not within <see cref="SettleTimeout"/>.</exception>
    public async Task WaitForStateAsync(int node, string expected, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        var state = "";
        while (Stopwatch.GetElapsedTime(started) < SettleTimeout)
        {
            try
            {
                state = await StateAsync(node, cancellationToken);
                if (state.Contains(expected, StringComparison.Ordinal))
                    return;
            }
            catch (MySqlException ex)
            {
                state = ex.Message;
            }

            await Task.Delay(100, cancellationToken);
        }

        throw new TimeoutException($"Galera node {node} did not report '{expected}' within {SettleTimeout.TotalSeconds:0} s (last: {state}).");
    }

    /// <summary>Runs <paramref name="sql"/> as the admin user on node <paramref name="node"/>; returns the first column of the first row.</summary>
    /// <param name="node">The node.</param>
    /// <param name="sql">The statement(s).</param>
    /// <param name="cancellationToken">Cancels the command.</param>
    /// <returns>The value, or <see langword="null"/>.</returns>
    /// <exception cref="MySqlException">The node is down or refused the command.</exception>
    public async Task<object?> AdminScalarAsync(int node, string sql, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAdminAsync(node, cancellationToken);
        await using var command = new MySqlCommand(sql, connection);
        var value = await command.ExecuteScalarAsync(cancellationToken);
        return value is DBNull ? null : value;
    }

    /// <summary>An open, unpooled admin connection to node <paramref name="node"/> (for a lock the caller holds, e.g. FLUSH TABLES WITH READ LOCK).</summary>
    /// <param name="node">The node.</param>
    /// <param name="cancellationToken">Cancels the connect.</param>
    /// <returns>The connection; the caller disposes it.</returns>
    public async Task<MySqlConnection> OpenAdminAsync(int node, CancellationToken cancellationToken = default)
    {
        var connection = new MySqlConnection(Config.AdminConnectionString(Endpoint(node)) + ";Pooling=false;Connection Timeout=5");
        try
        {
            await connection.OpenAsync(cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }
}
