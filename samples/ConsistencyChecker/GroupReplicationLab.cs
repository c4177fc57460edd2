using System.Globalization;
using MySqlConnector;

namespace ReplicaRouting.ConsistencyChecker;

/// <summary>
/// Drives the MySQL Group Replication set of <c>scripts/servers/servers.sh</c> (<c>RR_SERVERS_SET=gr</c>: three members on
/// 127.0.0.1:3351-3353, node 1 elected primary by <c>start</c>): bring it back to three ONLINE members, kill a member (the
/// group elects another primary by itself), switch the group's mode, and read what the servers counted.
/// </summary>
public sealed class GroupReplicationLab
{
    /// <summary>The set's name in <c>servers.sh</c>.</summary>
    public const string Set = "gr";

    // servers.sh's gr set: member N listens on 3350 + N.
    private const int ScriptBasePort = 3350;

    private GroupReplicationLab(TopologyConfig config) => Config = config;

    /// <summary>The members: <c>RR_GR_MYSQL_NODES</c>, what <c>RR_SERVERS_SET=gr servers.sh env</c> prints.</summary>
    public TopologyConfig Config { get; }

    /// <summary>The lab over the set that <c>RR_GR_MYSQL_NODES</c> names.</summary>
    /// <returns>The lab.</returns>
    /// <exception cref="InvalidOperationException">The variable is not set (the message says how to set it).</exception>
    public static GroupReplicationLab Create() => new(TopologyConfig.LoadClusterSet(Set, TopologyConfig.MySql));

    /// <summary>The endpoint (<c>host:port</c>) of member <paramref name="node"/> (1 to 3).</summary>
    /// <param name="node">1 to 3.</param>
    /// <returns>The endpoint.</returns>
    public string Endpoint(int node) => Config.Nodes[node - 1];

    /// <summary>
    /// <c>RR_SERVERS_SET=gr servers.sh start mysql</c>: reuses a healthy group (well under a second), restarts and rejoins
    /// killed members, bootstraps the group again when no member runs it, asks the group to elect node 1, and verifies the
    /// group end to end; rebuilds it from scratch when anything else is off.
    /// </summary>
    /// <param name="cancellationToken">Abandons the script.</param>
    /// <returns>A task that completes when three members are ONLINE and node 1 is the primary.</returns>
    public static Task StartAsync(CancellationToken cancellationToken = default) =>
        FailoverLab.RunScriptAsync(Set, cancellationToken, "start", TopologyConfig.MySql);

    /// <summary>SIGKILLs member <paramref name="node"/> (<c>servers.sh kill</c>) and returns once its port refuses connections.</summary>
    /// <param name="node">1 to 3.</param>
    /// <param name="cancellationToken">Abandons the script.</param>
    /// <returns>A task that completes when the member is gone.</returns>
    /// <exception cref="InvalidOperationException">The node is not the gr set's member <paramref name="node"/>, or the script failed.</exception>
    public Task KillAsync(int node, CancellationToken cancellationToken = default)
    {
        var port = TopologyConfig.Split(Endpoint(node)).Port;
        if (port != ScriptBasePort + node)
            throw new InvalidOperationException($"servers.sh kills the gr set's member {node} (port {ScriptBasePort + node}), but this lab's member {node} is {Endpoint(node)}.");
        return FailoverLab.RunScriptAsync(Set, cancellationToken, "kill", TopologyConfig.MySql, node.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>An unpooled admin connection to member <paramref name="node"/>.</summary>
    /// <param name="node">1 to 3.</param>
    /// <param name="cancellationToken">Cancels the open.</param>
    /// <returns>The open connection.</returns>
    public async Task<MySqlConnection> OpenAdminAsync(int node, CancellationToken cancellationToken = default)
    {
        var connection = new MySqlConnection(Config.AdminConnectionString(Endpoint(node)) + ";Pooling=false");
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    /// <summary>Runs <paramref name="sql"/> as the admin user on member <paramref name="node"/>; returns the first column of the first row.</summary>
    /// <param name="node">1 to 3.</param>
    /// <param name="sql">The statement(s).</param>
    /// <param name="cancellationToken">Cancels the command.</param>
    /// <returns>The value, or <see langword="null"/>.</returns>
    public async Task<object?> AdminScalarAsync(int node, string sql, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAdminAsync(node, cancellationToken);
        await using var command = new MySqlCommand(sql, connection);
        var result = await command.ExecuteScalarAsync(cancellationToken);
        return result is DBNull ? null : result;
    }

    /// <summary>
    /// How often member <paramref name="node"/> has raised the error <paramref name="errorNumber"/> since it started
    /// (<c>performance_schema.events_errors_summary_global_by_error</c>): 1290 counts writes refused by a read-only member.
    /// </summary>
    /// <param name="node">1 to 3.</param>
    /// <param name="errorNumber">The server error number.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The count.</returns>
    public async Task<long> ErrorCountAsync(int node, int errorNumber, CancellationToken cancellationToken = default) =>
        Convert.ToInt64(await AdminScalarAsync(node, string.Create(CultureInfo.InvariantCulture,
            $"SELECT COALESCE(SUM(SUM_ERROR_RAISED), 0) FROM performance_schema.events_errors_summary_global_by_error WHERE ERROR_NUMBER = {errorNumber}"),
            cancellationToken), CultureInfo.InvariantCulture);

    /// <summary>
    /// Delays the secondaries' appliers for real until <paramref name="cancellationToken"/> fires: on members 2 and 3 in turn
    /// (out of phase), a global read lock (<c>FLUSH TABLES WITH READ LOCK</c>) is held for <paramref name="held"/>, then
    /// released for <paramref name="released"/>. The group keeps certifying and the primary keeps committing; the secondaries'
    /// appliers wait for the lock, as behind a long backup. Every lock is released when this returns.
    /// </summary>
    /// <param name="held">How long each lock is held (keep it under the causal wait cap so a wait can succeed).</param>
    /// <param name="released">How long each member applies between two locks.</param>
    /// <param name="cancellationToken">Ends the delays.</param>
    /// <returns>A task that completes once cancelled and every lock is released; its result is the number of locks taken.</returns>
    public async Task<int> DelayAppliersAsync(TimeSpan held, TimeSpan released, CancellationToken cancellationToken)
    {
        var cycle = held + released;
        var counts = await Task.WhenAll(new[] { 2, 3 }.Select((node, i) => HoldLoopAsync(node, held, released, cycle / 2 * i, cancellationToken)));
        return counts.Sum();
    }

    private async Task<int> HoldLoopAsync(int node, TimeSpan held, TimeSpan released, TimeSpan offset, CancellationToken cancellationToken)
    {
        var locks = 0;
        await using var connection = await OpenAdminAsync(node, CancellationToken.None);   // closing it releases the lock too
        try
        {
            await Task.Delay(offset, cancellationToken);
            while (!cancellationToken.IsCancellationRequested)
            {
                await Dapper.SqlMapper.ExecuteAsync(connection, "FLUSH TABLES WITH READ LOCK");
                locks++;
                try
                {
                    await Task.Delay(held, cancellationToken);
                }
                finally
                {
                    await Dapper.SqlMapper.ExecuteAsync(connection, "UNLOCK TABLES");
                }

                await Task.Delay(released, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }

        return locks;
    }

    /// <summary>The member the group says is primary (single-primary mode), as 1 to 3, or 0 when it names none of ours.</summary>
    /// <param name="askNode">The member to ask.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The primary's node number.</returns>
    public async Task<int> GroupPrimaryAsync(int askNode, CancellationToken cancellationToken = default)
    {
        var port = Convert.ToInt32(await AdminScalarAsync(askNode,
            "SELECT MEMBER_PORT FROM performance_schema.replication_group_members WHERE MEMBER_ROLE = 'PRIMARY' AND MEMBER_STATE = 'ONLINE' LIMIT 1",
            cancellationToken) ?? 0, CultureInfo.InvariantCulture);
        var node = port - ScriptBasePort;
        return node is >= 1 and <= 3 && TopologyConfig.Split(Endpoint(node)).Port == port ? node : 0;
    }
}
