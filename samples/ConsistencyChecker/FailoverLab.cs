using System.Diagnostics;
using System.Globalization;
using System.Net;
using MySqlConnector;

namespace ReplicaRouting.ConsistencyChecker;

/// <summary>
/// Drives a REAL failover on the failover set of <c>scripts/servers/servers.sh</c> (<c>RR_SERVERS_SET=failover</c>:
/// MariaDB 3331-3333, MySQL 3341-3343, node 1 starting as the primary): rebuild the set, kill a node, promote a replica,
/// repoint the others to it, demote a primary.
/// </summary>
/// <remarks>
/// <para>
/// Nodes are numbered 1 to 3 as in <c>servers.sh</c> (node N is <c>Config.Nodes[N - 1]</c>). SQL runs as the admin user of
/// <see cref="Config"/>, on unpooled connections: a node that was killed or rebuilt leaves no stale pooled connection
/// behind in the lab.
/// </para>
/// <para>
/// Only loopback servers are accepted, and never the shared topologies (the endpoints <see cref="TopologyConfig.Load"/>
/// returns): other tests use those at the same time, and a promotion or a kill there would break them.
/// </para>
/// <para>
/// In the failover set replicas notice a dead primary within about 2 s (heartbeat 1 s, net timeout 2 s) and replication is
/// semi-synchronous on every node (timeout 2 s, then the primary falls back to asynchronous by itself).
/// </para>
/// </remarks>
public sealed class FailoverLab
{
    /// <summary>The replication user of the local topologies (the one <c>servers.sh</c> wires replicas with).</summary>
    public const string ReplicationUser = "rr_repl";

    /// <summary>The password of <see cref="ReplicationUser"/>.</summary>
    public const string ReplicationPassword = "rr_repl_pw";

    /// <summary>The longest a <c>servers.sh</c> call of the lab may take (a first MySQL fetch included).</summary>
    public static readonly TimeSpan ScriptTimeout = TimeSpan.FromMinutes(10);

    /// <summary>How long <see cref="PromoteAsync"/> waits for a replica to apply what it received, and <see cref="RepointAsync(int, int, CancellationToken)"/> for the threads to run.</summary>
    public static readonly TimeSpan ReplicationTimeout = TimeSpan.FromSeconds(30);

    // servers.sh's failover set: node N listens on base + N (fixed in the script, whatever RR_SERVERS_HOME says).
    private static readonly Dictionary<string, int> ScriptBasePorts = new()
    {
        [TopologyConfig.MariaDb] = 3330,
        [TopologyConfig.MySql] = 3340,
    };

    private readonly bool _isMariaDb;

    /// <summary>Creates a lab for one topology; <see cref="Create"/> is the usual way to get one for the failover set.</summary>
    /// <param name="config">The topology: <c>mariadb</c> or <c>mysql</c>, loopback endpoints only, none of the shared set.</param>
    /// <exception cref="ArgumentException">An unknown flavor, a server that is not loopback, or an endpoint of the shared topologies.</exception>
    public FailoverLab(TopologyConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        _isMariaDb = config.Flavor switch
        {
            TopologyConfig.MariaDb => true,
            TopologyConfig.MySql => false,
            _ => throw new ArgumentException($"Unknown flavor '{config.Flavor}': expected 'mariadb' or 'mysql'.", nameof(config)),
        };
        if (config.Nodes.Count == 0)
            throw new ArgumentException("The topology has no nodes.", nameof(config));

        var sharedPorts = new[] { TopologyConfig.MariaDb, TopologyConfig.MySql }
            .SelectMany(flavor => TopologyConfig.Load(flavor).Nodes)
            .Select(endpoint => TopologyConfig.Split(endpoint).Port)
            .ToHashSet();
        foreach (var endpoint in config.Nodes)
        {
            var (host, port) = TopologyConfig.Split(endpoint);
            if (!IsLoopback(host))
                throw new ArgumentException($"The failover lab only touches loopback servers, not '{endpoint}'.", nameof(config));
            if (sharedPorts.Contains(port))
            {
                throw new ArgumentException(
                    $"'{endpoint}' belongs to the shared topology that other tests use at the same time; the failover lab only drives " +
                    "the failover set (TopologyConfig.LoadFailoverSet, RR_SERVERS_SET=failover scripts/servers/servers.sh).", nameof(config));
            }
        }

        Config = config;
    }

    /// <summary>Gets the topology the lab drives.</summary>
    public TopologyConfig Config { get; }

    /// <summary>A lab for the failover set of <paramref name="flavor"/> (<see cref="FailoverConfig"/>).</summary>
    /// <param name="flavor"><c>mariadb</c> or <c>mysql</c>.</param>
    /// <returns>The lab.</returns>
    public static FailoverLab Create(string flavor) => new(FailoverConfig(flavor));

    /// <summary>
    /// The endpoints and users of the failover set of <paramref name="flavor"/>: <see cref="TopologyConfig.LoadFailoverSet"/>
    /// (<c>RR_FAILOVER_MARIADB_NODES</c> / <c>RR_FAILOVER_MYSQL_NODES</c>, else 3331-3333 / 3341-3343).
    /// </summary>
    /// <param name="flavor"><c>mariadb</c> or <c>mysql</c>.</param>
    /// <returns>The failover set's configuration.</returns>
    public static TopologyConfig FailoverConfig(string flavor) => TopologyConfig.LoadFailoverSet(flavor);

    /// <summary>The endpoint (<c>host:port</c>) of node <paramref name="node"/>.</summary>
    /// <param name="node">1 to the number of nodes.</param>
    /// <returns>The endpoint.</returns>
    public string Endpoint(int node)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(node, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(node, Config.Nodes.Count);
        return Config.Nodes[node - 1];
    }

    /// <summary>
    /// Rebuilds the failover set of <paramref name="flavor"/> from scratch: <c>RR_SERVERS_SET=failover
    /// scripts/servers/servers.sh reset &lt;flavor&gt;</c> (kills its servers, wipes their datadirs, starts a fresh primary and
    /// two replicas and verifies them end to end). About 2 s for MariaDB, 8 s for MySQL on this project's machines.
    /// </summary>
    /// <param name="flavor"><c>mariadb</c> or <c>mysql</c>.</param>
    /// <param name="cancellationToken">Abandons the reset (the script is killed; the set is then in no known state).</param>
    /// <returns>A task that completes when the set is up and healthy.</returns>
    /// <exception cref="InvalidOperationException">The script failed; the message holds the end of its report.</exception>
    /// <exception cref="TimeoutException">The script did not finish within <see cref="ScriptTimeout"/>.</exception>
    /// <exception cref="DirectoryNotFoundException">No repository (a folder with <c>build.sh</c>) above the application's directory.</exception>
    public static Task ResetAsync(string flavor, CancellationToken cancellationToken)
    {
        CheckFlavor(flavor);
        return RunScriptAsync("failover", cancellationToken, "reset", flavor);
    }

    /// <summary>
    /// Brings the failover set of <paramref name="flavor"/> up: <c>RR_SERVERS_SET=failover scripts/servers/servers.sh start
    /// &lt;flavor&gt;</c>. A healthy set is reused (well under a second), a killed node of an otherwise intact set is restarted
    /// and catches up, and a set left promoted, repointed or delayed is rebuilt from scratch (its data is then gone).
    /// </summary>
    /// <param name="flavor"><c>mariadb</c> or <c>mysql</c>.</param>
    /// <param name="cancellationToken">Abandons the start (the script is killed; the set is then in no known state).</param>
    /// <returns>A task that completes when the set is up and healthy.</returns>
    /// <exception cref="InvalidOperationException">The script failed; the message holds the end of its report.</exception>
    /// <exception cref="TimeoutException">The script did not finish within <see cref="ScriptTimeout"/>.</exception>
    /// <exception cref="DirectoryNotFoundException">No repository (a folder with <c>build.sh</c>) above the application's directory.</exception>
    public static Task StartAsync(string flavor, CancellationToken cancellationToken)
    {
        CheckFlavor(flavor);
        return RunScriptAsync("failover", cancellationToken, "start", flavor);
    }

    /// <summary>
    /// Kills node <paramref name="node"/> with SIGKILL (<c>servers.sh kill</c>: a crash, no clean shutdown) and returns
    /// once its port refuses connections.
    /// </summary>
    /// <param name="node">1 to 3.</param>
    /// <param name="cancellationToken">Abandons the wait for the script.</param>
    /// <returns>A task that completes when the node is gone.</returns>
    /// <exception cref="InvalidOperationException">
    /// The node is not where <c>servers.sh</c> puts the failover set's node (another topology), or the script failed
    /// (for example: the node was not running).
    /// </exception>
    public Task KillAsync(int node, CancellationToken cancellationToken = default)
    {
        var port = TopologyConfig.Split(Endpoint(node)).Port;
        var scriptPort = ScriptBasePorts[Config.Flavor] + node;
        if (port != scriptPort)
        {
            throw new InvalidOperationException(
                $"servers.sh kills the failover set's node {node} (port {scriptPort}), but this lab's node {node} is {Endpoint(node)}.");
        }

        return RunScriptAsync("failover", cancellationToken, "kill", Config.Flavor, node.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// Makes replica <paramref name="node"/> a writable primary: by default it first applies everything it had received
    /// (its SQL thread is started if it was stopped; bounded by <see cref="ReplicationTimeout"/>), then MariaDB
    /// <c>STOP SLAVE; RESET SLAVE ALL; SET GLOBAL read_only=OFF</c>, MySQL <c>STOP REPLICA; RESET REPLICA ALL; SET GLOBAL
    /// super_read_only=OFF; SET GLOBAL read_only=OFF</c>.
    /// </summary>
    /// <param name="node">The replica to promote.</param>
    /// <param name="applyReceived">
    /// <see langword="false"/> promotes at once: what the replica received but had not applied yet (its relay log) is
    /// thrown away, as in a hasty failover that loses acknowledged writes.
    /// </param>
    /// <param name="cancellationToken">Cancels the wait and the commands.</param>
    /// <returns>A task that completes when the node accepts writes.</returns>
    /// <exception cref="TimeoutException">The replica did not apply what it had received in time (stopped or broken SQL thread?).</exception>
    /// <exception cref="MySqlException">The node is down or refused a command.</exception>
    public async Task PromoteAsync(int node, bool applyReceived = true, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(node, cancellationToken);
        if (applyReceived)
            await ApplyReceivedAsync(node, connection, cancellationToken);

        await ExecuteAsync(connection, _isMariaDb
            ? "STOP SLAVE; RESET SLAVE ALL; SET GLOBAL read_only=OFF"
            : "STOP REPLICA; RESET REPLICA ALL; SET GLOBAL super_read_only=OFF; SET GLOBAL read_only=OFF", cancellationToken);
    }

    /// <summary>
    /// Points replica <paramref name="replica"/> at <paramref name="newPrimary"/> with GTID auto-positioning (MariaDB
    /// <c>MASTER_USE_GTID=slave_pos</c>, MySQL <c>SOURCE_AUTO_POSITION=1</c>), with the failover set's fast failure detection
    /// (1 s heartbeat and connect retry), and waits until both replication threads run. If the new primary runs semi-sync,
    /// it also waits until the primary counts the replica as a semi-sync replica and has semi-sync ON, so that the next
    /// commit there waits for an acknowledgement.
    /// </summary>
    /// <remarks>
    /// A promoted MySQL replica reports semi-sync OFF (it had no semi-sync replica of its own) and, left alone, switches it
    /// on only after a first commit made asynchronously; the lab switches it off and on again, which turns it on at once.
    /// </remarks>
    /// <param name="replica">The node to repoint.</param>
    /// <param name="newPrimary">The node it replicates from afterwards (usually just promoted).</param>
    /// <param name="cancellationToken">Cancels the commands and the wait.</param>
    /// <returns>A task that completes when the replica is connected to its new primary.</returns>
    /// <exception cref="ArgumentException">Both are the same node.</exception>
    /// <exception cref="InvalidOperationException">A replication thread did not run within <see cref="ReplicationTimeout"/> (the message has its last error).</exception>
    /// <exception cref="MySqlException">The replica is down or refused a command.</exception>
    public Task RepointAsync(int replica, int newPrimary, CancellationToken cancellationToken = default) =>
        RepointAsync(replica, newPrimary, switchSemiSyncOn: true, cancellationToken);

    /// <summary>
    /// As <see cref="RepointAsync(int, int, CancellationToken)"/>; with <paramref name="switchSemiSyncOn"/> false it returns as
    /// soon as both replication threads run and leaves the new primary's semi-sync alone: on MySQL the lab's OFF/ON switch
    /// holds the server's global variables lock for about 0.5 s, and every statement there that reads a system variable (the
    /// topology monitor's probe among them) waits for it, which a measurement of the application's recovery must not include.
    /// Left alone, the new primary turns semi-sync on by itself after its first commit.
    /// </summary>
    /// <param name="replica">The node to repoint.</param>
    /// <param name="newPrimary">The node it replicates from afterwards (usually just promoted).</param>
    /// <param name="switchSemiSyncOn">Whether to wait for the new primary's semi-sync to be ON (switching it off and on if needed).</param>
    /// <param name="cancellationToken">Cancels the commands and the wait.</param>
    /// <returns>A task that completes when the replica is connected to its new primary.</returns>
    /// <exception cref="ArgumentException">Both are the same node.</exception>
    /// <exception cref="InvalidOperationException">A replication thread did not run within <see cref="ReplicationTimeout"/> (the message has its last error).</exception>
    /// <exception cref="MySqlException">The replica is down or refused a command.</exception>
    public async Task RepointAsync(int replica, int newPrimary, bool switchSemiSyncOn, CancellationToken cancellationToken = default)
    {
        if (replica == newPrimary)
            throw new ArgumentException($"Node {replica} cannot replicate from itself.", nameof(newPrimary));

        var (host, port) = TopologyConfig.Split(Endpoint(newPrimary));
        // Replication connects by TCP; "localhost" would mean the replica's own socket to some clients.
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
            host = "127.0.0.1";

        // CHANGE MASTER takes no parameters; host (a loopback address, checked), port (a number) and the constant user are safe literals.
        var sql = _isMariaDb
            ? $"STOP SLAVE; CHANGE MASTER TO MASTER_HOST='{host}', MASTER_PORT={port}, MASTER_USER='{ReplicationUser}', " +
              $"MASTER_PASSWORD='{ReplicationPassword}', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1, MASTER_HEARTBEAT_PERIOD=1; START SLAVE"
            : $"STOP REPLICA; CHANGE REPLICATION SOURCE TO SOURCE_HOST='{host}', SOURCE_PORT={port}, SOURCE_USER='{ReplicationUser}', " +
              $"SOURCE_PASSWORD='{ReplicationPassword}', SOURCE_AUTO_POSITION=1, GET_SOURCE_PUBLIC_KEY=1, SOURCE_CONNECT_RETRY=1, " +
              "SOURCE_RETRY_COUNT=86400, SOURCE_HEARTBEAT_PERIOD=1; START REPLICA";

        await using var connection = await OpenAsync(replica, cancellationToken);
        await ExecuteAsync(connection, sql, cancellationToken);

        var deadline = Stopwatch.GetTimestamp() + (long)(ReplicationTimeout.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            var status = await ReplicaStatusAsync(connection, cancellationToken)
                ?? throw new InvalidOperationException($"Node {replica} ({Endpoint(replica)}) shows no replication after it was repointed.");
            var io = status[_isMariaDb ? "Slave_IO_Running" : "Replica_IO_Running"];
            var applier = status[_isMariaDb ? "Slave_SQL_Running" : "Replica_SQL_Running"];
            if (io == "Yes" && applier == "Yes")
                break;
            if (Stopwatch.GetTimestamp() > deadline || status["Last_SQL_Errno"] is not ("0" or ""))
            {
                throw new InvalidOperationException(
                    $"Node {replica} ({Endpoint(replica)}) repointed to node {newPrimary} ({Endpoint(newPrimary)}): IO thread {io}, SQL thread {applier}; " +
                    $"IO error {status["Last_IO_Errno"]}: {status["Last_IO_Error"]}; SQL error {status["Last_SQL_Errno"]}: {status["Last_SQL_Error"]}.");
            }

            await Task.Delay(50, cancellationToken);
        }

        if (switchSemiSyncOn)
            await SemiSyncOnAsync(newPrimary, cancellationToken);
    }

    /// <summary>
    /// Among <paramref name="candidates"/>, the node holding the most transactions: its position (what it applied plus
    /// what it received and will apply) contains every other candidate's. MariaDB compares the sequence number per
    /// domain (<c>@@gtid_current_pos</c>, <c>Gtid_IO_Pos</c>), MySQL uses <c>GTID_SUBSET</c> (<c>gtid_executed</c> plus the
    /// received transaction set). Among equal ones, the first in <paramref name="candidates"/> wins.
    /// </summary>
    /// <param name="candidates">The nodes to compare (at least one; all must answer).</param>
    /// <param name="cancellationToken">Cancels the queries.</param>
    /// <returns>The node to promote.</returns>
    /// <exception cref="InvalidOperationException">The candidates have diverged: none contains all the others' transactions.</exception>
    /// <exception cref="MySqlException">A candidate is down.</exception>
    public async Task<int> MostAdvancedReplicaAsync(IReadOnlyList<int> candidates, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        if (candidates.Count == 0)
            throw new ArgumentException("At least one candidate is needed.", nameof(candidates));

        var positions = new List<(int Node, string Position)>();
        foreach (var node in candidates)
            positions.Add((node, await ReachablePositionAsync(node, cancellationToken)));

        // MySQL compares on the server (GTID_SUBSET): any candidate's connection will do.
        await using var comparer = _isMariaDb ? null : await OpenAsync(candidates[0], cancellationToken);
        foreach (var (node, position) in positions)
        {
            var containsAll = true;
            foreach (var (other, otherPosition) in positions)
            {
                if (other != node && !await ContainsAsync(comparer, position, otherPosition, cancellationToken))
                {
                    containsAll = false;
                    break;
                }
            }

            if (containsAll)
                return node;
        }

        throw new InvalidOperationException(
            "The candidates have diverged (none holds all the others' transactions): " +
            string.Join("; ", positions.Select(p => $"node {p.Node}: {p.Position}")));
    }

    /// <summary>
    /// Makes node <paramref name="node"/> read-only, as a demoted primary: MariaDB <c>SET GLOBAL read_only=ON</c>, MySQL
    /// <c>SET GLOBAL super_read_only=ON</c> (which sets <c>read_only</c> too). Writes of the application user then fail with
    /// error 1290.
    /// </summary>
    /// <param name="node">The node to demote.</param>
    /// <param name="cancellationToken">Cancels the command.</param>
    /// <returns>A task that completes when the node is read-only.</returns>
    /// <exception cref="MySqlException">The node is down or refused the command.</exception>
    public async Task DemoteAsync(int node, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(node, cancellationToken);
        await ExecuteAsync(connection, _isMariaDb ? "SET GLOBAL read_only=ON" : "SET GLOBAL read_only=ON; SET GLOBAL super_read_only=ON", cancellationToken);
    }

    /// <summary>
    /// Makes node <paramref name="node"/> writable WITHOUT touching its replication (MariaDB <c>SET GLOBAL read_only=OFF</c>,
    /// MySQL <c>SET GLOBAL super_read_only=OFF; SET GLOBAL read_only=OFF</c>): done to a replica while the primary is
    /// writable, this is a split brain. <see cref="DemoteAsync"/> undoes it.
    /// </summary>
    /// <param name="node">The node to make writable.</param>
    /// <param name="cancellationToken">Cancels the command.</param>
    /// <returns>A task that completes when the node accepts writes.</returns>
    /// <exception cref="MySqlException">The node is down or refused the command.</exception>
    public async Task MakeWritableAsync(int node, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(node, cancellationToken);
        await ExecuteAsync(connection, _isMariaDb ? "SET GLOBAL read_only=OFF" : "SET GLOBAL super_read_only=OFF; SET GLOBAL read_only=OFF", cancellationToken);
    }

    /// <summary>
    /// Makes a demoted (read-only, not replicating) former primary <paramref name="oldPrimary"/> a replica of
    /// <paramref name="newPrimary"/>. MariaDB first sets <c>gtid_slave_pos</c> to what the node wrote itself
    /// (<c>@@gtid_binlog_pos</c>), else it would ask its new source for the whole history again; MySQL auto-positions from
    /// <c>gtid_executed</c>. Then as <see cref="RepointAsync(int, int, CancellationToken)"/>. The node must hold nothing the new primary lacks.
    /// </summary>
    /// <param name="oldPrimary">The former primary, read-only.</param>
    /// <param name="newPrimary">The node it replicates from afterwards.</param>
    /// <param name="cancellationToken">Cancels the commands and the wait.</param>
    /// <returns>A task that completes when the node replicates from <paramref name="newPrimary"/>.</returns>
    /// <exception cref="InvalidOperationException">A replication thread did not run in time (the message has its last error).</exception>
    /// <exception cref="MySqlException">A node is down or refused a command.</exception>
    public async Task RejoinAsync(int oldPrimary, int newPrimary, CancellationToken cancellationToken = default)
    {
        if (_isMariaDb)
        {
            await using var connection = await OpenAsync(oldPrimary, cancellationToken);
            await ExecuteAsync(connection, "STOP SLAVE; SET GLOBAL gtid_slave_pos = @@global.gtid_binlog_pos", cancellationToken);
        }

        await RepointAsync(oldPrimary, newPrimary, cancellationToken);
    }

    /// <summary>
    /// Waits (bounded by <see cref="ReplicationTimeout"/>) until every node of <paramref name="replicas"/> has applied what
    /// <paramref name="primary"/> has committed so far (MariaDB <c>MASTER_GTID_WAIT</c> on <c>@@gtid_binlog_pos</c>, MySQL
    /// <c>WAIT_FOR_EXECUTED_GTID_SET</c> on <c>@@global.gtid_executed</c>).
    /// </summary>
    /// <param name="primary">The node whose position the replicas must reach.</param>
    /// <param name="replicas">The replicas to wait for.</param>
    /// <param name="cancellationToken">Cancels the waits.</param>
    /// <returns>A task that completes when all of them caught up.</returns>
    /// <exception cref="TimeoutException">A replica did not catch up in time.</exception>
    /// <exception cref="MySqlException">A node is down.</exception>
    public async Task WaitForReplicasAsync(int primary, IReadOnlyList<int> replicas, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(replicas);
        string position;
        await using (var connection = await OpenAsync(primary, cancellationToken))
        {
            position = (string?)await ScalarAsync(connection,
                _isMariaDb ? "SELECT @@global.gtid_binlog_pos" : "SELECT REPLACE(@@global.gtid_executed, '\\n', '')", cancellationToken) ?? "";
        }

        if (position.Length == 0)
            return;
        foreach (var replica in replicas)
        {
            await using var connection = await OpenAsync(replica, cancellationToken);
            await WaitForPositionAsync(connection, position, $"Node {replica} ({Endpoint(replica)}) did not apply node {primary}'s position {position}", "", cancellationToken);
        }
    }

    /// <summary>Waits (bounded by <see cref="ReplicationTimeout"/>) on a replica's connection until it applied <paramref name="position"/>.</summary>
    private async Task WaitForPositionAsync(MySqlConnection connection, string position, string failure, string advice, CancellationToken cancellationToken)
    {
        var seconds = (int)Math.Ceiling(ReplicationTimeout.TotalSeconds);
        await using var wait = new MySqlCommand(
            _isMariaDb ? "SELECT MASTER_GTID_WAIT(@position, @timeout)" : "SELECT WAIT_FOR_EXECUTED_GTID_SET(@position, @timeout)", connection)
        {
            CommandTimeout = seconds + 10,
        };
        wait.Parameters.AddWithValue("@position", position);
        wait.Parameters.AddWithValue("@timeout", seconds);
        var result = await wait.ExecuteScalarAsync(cancellationToken);
        if (result is null or DBNull || Convert.ToInt64(result, CultureInfo.InvariantCulture) != 0)
            throw new TimeoutException($"{failure} within {seconds} s (wait returned {(result is null or DBNull ? "NULL" : result)}){advice}.");
    }

    /// <summary>The <c>@@server_id</c> of node <paramref name="node"/>.</summary>
    /// <param name="node">The node to ask.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>Its server id.</returns>
    /// <exception cref="MySqlException">The node is down.</exception>
    public async Task<long> ServerIdAsync(int node, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(node, cancellationToken);
        return Convert.ToInt64(await ScalarAsync(connection, "SELECT @@server_id", cancellationToken), CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Runs <paramref name="sql"/> as the admin user on node <paramref name="node"/> (an unpooled connection): setup that
    /// the application user may not do, or inspection (for example of <c>information_schema.PROCESSLIST</c>).
    /// </summary>
    /// <param name="node">The node.</param>
    /// <param name="sql">The statement(s); the first column of the first row is returned.</param>
    /// <param name="cancellationToken">Cancels the command.</param>
    /// <returns>The first column of the first row, or <see langword="null"/> (none, or SQL NULL).</returns>
    /// <exception cref="MySqlException">The node is down or refused the command.</exception>
    public async Task<object?> AdminScalarAsync(int node, string sql, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(node, cancellationToken);
        return await ScalarAsync(connection, sql, cancellationToken);
    }

    /// <summary>Whether node <paramref name="node"/> accepts the application user's writes (neither <c>read_only</c> nor <c>super_read_only</c>).</summary>
    /// <param name="node">The node to ask.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns><see langword="true"/> if the node is writable.</returns>
    /// <exception cref="MySqlException">The node is down.</exception>
    public async Task<bool> IsWritableAsync(int node, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(node, cancellationToken);
        var readOnly = await ScalarAsync(connection,
            _isMariaDb ? "SELECT @@global.read_only" : "SELECT @@global.read_only OR @@global.super_read_only", cancellationToken);
        return Convert.ToInt64(readOnly, CultureInfo.InvariantCulture) == 0;
    }

    /// <summary>The GTID position node <paramref name="node"/> has applied: MariaDB <c>@@gtid_current_pos</c>, MySQL <c>@@global.gtid_executed</c> (without newlines).</summary>
    /// <param name="node">The node to ask.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The position, empty if it has none.</returns>
    /// <exception cref="MySqlException">The node is down.</exception>
    public async Task<string> AppliedPositionAsync(int node, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(node, cancellationToken);
        return await AppliedPositionAsync(connection, cancellationToken);
    }

    /// <summary>
    /// The repository's root: the nearest folder above <see cref="AppContext.BaseDirectory"/> that holds <c>build.sh</c> and
    /// <c>scripts/servers/servers.sh</c>.
    /// </summary>
    /// <returns>The full path of the root.</returns>
    /// <exception cref="DirectoryNotFoundException">No such folder (the application does not run from a clone of the repository).</exception>
    public static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "build.sh")) && File.Exists(ScriptPath(directory.FullName)))
                return directory.FullName;
        }

        throw new DirectoryNotFoundException(
            $"No folder with build.sh and scripts/servers/servers.sh above {AppContext.BaseDirectory}: the failover lab runs servers.sh from a clone of the repository.");
    }

    private static string ScriptPath(string root) => Path.Combine(root, "scripts", "servers", "servers.sh");

    /// <summary>Runs <c>RR_SERVERS_SET=&lt;set&gt; servers.sh &lt;arguments&gt;</c>; throws with the end of its report if it fails.</summary>
    internal static async Task RunScriptAsync(string set, CancellationToken cancellationToken, params string[] arguments)
    {
        var root = FindRepositoryRoot();
        var start = new ProcessStartInfo("bash")
        {
            WorkingDirectory = root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(ScriptPath(root));
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        start.Environment["RR_SERVERS_SET"] = set;

        var command = $"RR_SERVERS_SET={set} scripts/servers/servers.sh {string.Join(' ', arguments)}";
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start `{command}`.");
        // Both pipes drained at once (a full pipe would block the script). The servers it launches keep neither open.
        var output = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var errors = process.StandardError.ReadToEndAsync(CancellationToken.None);

        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(ScriptTimeout);
        try
        {
            await process.WaitForExitAsync(bounded.Token);
        }
        catch (OperationCanceledException)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // It ended in the meantime.
            }

            cancellationToken.ThrowIfCancellationRequested();
            throw new TimeoutException($"`{command}` did not finish within {ScriptTimeout.TotalMinutes:0} minutes.");
        }

        var report = (await output) + (await errors);
        if (process.ExitCode != 0)
        {
            var lines = report.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            throw new InvalidOperationException(
                $"`{command}` failed (exit code {process.ExitCode}). Last lines of its report:{Environment.NewLine}" +
                string.Join(Environment.NewLine, lines.TakeLast(30)));
        }
    }

    /// <summary>
    /// If <paramref name="primary"/> has semi-sync enabled as a source: waits (bounded) until it has a semi-sync replica,
    /// then makes sure its semi-sync is ON (off and on again: enabling it turns it on at once).
    /// </summary>
    private async Task SemiSyncOnAsync(int primary, CancellationToken cancellationToken)
    {
        var enabledVariable = _isMariaDb ? "rpl_semi_sync_master_enabled" : "rpl_semi_sync_source_enabled";
        var statusPrefix = _isMariaDb ? "Rpl_semi_sync_master_" : "Rpl_semi_sync_source_";
        var statusTable = _isMariaDb ? "information_schema.global_status" : "performance_schema.global_status";
        await using var connection = await OpenAsync(primary, cancellationToken);
        try
        {
            if (Convert.ToInt64(await ScalarAsync(connection, $"SELECT @@global.{enabledVariable}", cancellationToken), CultureInfo.InvariantCulture) == 0)
                return;
        }
        catch (MySqlException e) when (e.ErrorCode == MySqlErrorCode.UnknownSystemVariable)
        {
            return;   // MySQL without the semi-sync plugins: asynchronous replication
        }

        var deadline = Stopwatch.GetTimestamp() + (long)(ReplicationTimeout.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            await using var command = new MySqlCommand(
                $"SELECT UPPER(variable_name), variable_value FROM {statusTable} WHERE UPPER(variable_name) IN (UPPER(@clients), UPPER(@status))", connection);
            command.Parameters.AddWithValue("@clients", statusPrefix + "clients");
            command.Parameters.AddWithValue("@status", statusPrefix + "status");
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                    values[reader.GetString(0).EndsWith("CLIENTS", StringComparison.Ordinal) ? "clients" : "status"] = reader.GetString(1);
            }

            var clients = long.Parse(values.GetValueOrDefault("clients", "0"), CultureInfo.InvariantCulture);
            var on = values.GetValueOrDefault("status") == "ON";
            if (clients > 0 && on)
                return;
            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new InvalidOperationException(
                    $"Node {primary} ({Endpoint(primary)}) has semi-sync enabled, but after {ReplicationTimeout.TotalSeconds:0} s it has " +
                    $"{clients} semi-sync replica(s) connected and semi-sync {(on ? "ON" : "OFF")}.");
            }

            if (clients > 0)
                await ExecuteAsync(connection, $"SET GLOBAL {enabledVariable}=OFF; SET GLOBAL {enabledVariable}=ON", cancellationToken);
            await Task.Delay(50, cancellationToken);
        }
    }

    /// <summary>Waits (bounded) until replica <paramref name="node"/> applied everything it had received.</summary>
    private async Task ApplyReceivedAsync(int node, MySqlConnection connection, CancellationToken cancellationToken)
    {
        var received = await ReceivedPositionAsync(connection, cancellationToken);
        if (string.IsNullOrEmpty(received))
            return;

        // A stopped SQL thread (lag injection, a test's STOP SLAVE SQL_THREAD) would never apply it: start it (no-op if running).
        await ExecuteAsync(connection, _isMariaDb ? "START SLAVE SQL_THREAD" : "START REPLICA SQL_THREAD", cancellationToken);
        await WaitForPositionAsync(connection, received, $"Node {node} ({Endpoint(node)}) did not apply what it had received ({received})",
            ": is its SQL thread broken? Promote it with applyReceived: false to discard its relay log", cancellationToken);
    }

    /// <summary>Applied plus received: what the node holds once its SQL thread has caught up.</summary>
    private async Task<string> ReachablePositionAsync(int node, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(node, cancellationToken);
        var applied = await AppliedPositionAsync(connection, cancellationToken);
        var received = await ReceivedPositionAsync(connection, cancellationToken) ?? "";
        if (_isMariaDb)
        {
            var merged = ParseMariaDb(applied);
            foreach (var (domain, sequence) in ParseMariaDb(received))
            {
                if (!merged.TryGetValue(domain, out var known) || known.Sequence < sequence.Sequence)
                    merged[domain] = sequence;
            }

            return string.Join(',', merged.OrderBy(d => d.Key).Select(d => $"{d.Key}-{d.Value.ServerId}-{d.Value.Sequence}"));
        }

        if (received.Length == 0 || applied.Length == 0)
            return applied.Length == 0 ? received : applied;
        // A GTID set text may name a UUID twice; GTID_SUBTRACT(x, '') gives back the normalised union.
        await using var union = new MySqlCommand("SELECT REPLACE(GTID_SUBTRACT(CONCAT(@applied, ',', @received), ''), '\\n', '')", connection);
        union.Parameters.AddWithValue("@applied", applied);
        union.Parameters.AddWithValue("@received", received);
        return (string)(await union.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>Whether <paramref name="position"/> holds every transaction of <paramref name="other"/>.</summary>
    private async Task<bool> ContainsAsync(MySqlConnection? comparer, string position, string other, CancellationToken cancellationToken)
    {
        if (_isMariaDb)
        {
            // Domain and sequence number, like MASTER_GTID_WAIT (the server id of a GTID says who wrote it, not how far).
            var mine = ParseMariaDb(position);
            return ParseMariaDb(other).All(d => mine.TryGetValue(d.Key, out var known) && known.Sequence >= d.Value.Sequence);
        }

        await using var subset = new MySqlCommand("SELECT GTID_SUBSET(@other, @position)", comparer);
        subset.Parameters.AddWithValue("@other", other);
        subset.Parameters.AddWithValue("@position", position);
        return Convert.ToInt64(await subset.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture) == 1;
    }

    /// <summary>MariaDB <c>domain-server-seq,...</c> to domain → (server id, sequence number).</summary>
    private static Dictionary<long, (long ServerId, long Sequence)> ParseMariaDb(string position)
    {
        var result = new Dictionary<long, (long ServerId, long Sequence)>();
        foreach (var gtid in position.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = gtid.Split('-');
            if (parts.Length != 3)
                throw new FormatException($"Not a MariaDB GTID: '{gtid}' (in '{position}').");
            result[long.Parse(parts[0], CultureInfo.InvariantCulture)] =
                (long.Parse(parts[1], CultureInfo.InvariantCulture), long.Parse(parts[2], CultureInfo.InvariantCulture));
        }

        return result;
    }

    private async Task<string> AppliedPositionAsync(MySqlConnection connection, CancellationToken cancellationToken) =>
        (string?)await ScalarAsync(connection,
            _isMariaDb ? "SELECT @@global.gtid_current_pos" : "SELECT REPLACE(@@global.gtid_executed, '\\n', '')", cancellationToken) ?? "";

    /// <summary>The GTIDs the node received from its source (applied or not); <see langword="null"/> if it is no replica.</summary>
    private async Task<string?> ReceivedPositionAsync(MySqlConnection connection, CancellationToken cancellationToken)
    {
        if (_isMariaDb)
            return (await ReplicaStatusAsync(connection, cancellationToken))?["Gtid_IO_Pos"];

        var received = await ScalarAsync(connection,
            "SELECT REPLACE(RECEIVED_TRANSACTION_SET, '\\n', '') FROM performance_schema.replication_connection_status WHERE CHANNEL_NAME = ''",
            cancellationToken);
        return received as string;
    }

    /// <summary><c>SHOW SLAVE STATUS</c> / <c>SHOW REPLICA STATUS</c> as column → value; <see langword="null"/> if the node is no replica.</summary>
    private async Task<Dictionary<string, string>?> ReplicaStatusAsync(MySqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new MySqlCommand(_isMariaDb ? "SHOW SLAVE STATUS" : "SHOW REPLICA STATUS", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
            return null;

        var status = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < reader.FieldCount; i++)
            status[reader.GetName(i)] = reader.IsDBNull(i) ? "" : Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture) ?? "";
        return status;
    }

    private Task<MySqlConnection> OpenAsync(int node, CancellationToken cancellationToken) =>
        CheckedConnection.OpenAsync(Config.AdminConnectionString(Endpoint(node)) + ";Pooling=false", _isMariaDb, "the failover lab", cancellationToken);

    private static async Task ExecuteAsync(MySqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new MySqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<object?> ScalarAsync(MySqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new MySqlCommand(sql, connection);
        var result = await command.ExecuteScalarAsync(cancellationToken);
        return result is DBNull ? null : result;
    }

    private static void CheckFlavor(string flavor)
    {
        ArgumentNullException.ThrowIfNull(flavor);
        if (!ScriptBasePorts.ContainsKey(flavor))
            throw new ArgumentException($"Unknown flavor '{flavor}': expected 'mariadb' or 'mysql'.", nameof(flavor));
    }

    private static bool IsLoopback(string host) =>
        string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));
}
