using System.Globalization;
using System.Net.Sockets;
using MySqlConnector;
using ReplicaRouting.Internal;

namespace ReplicaRouting;

/// <summary>
/// Audits a topology against the operational checklist: each node's facts are read over one connection in one round
/// trip (<see cref="GatherAsync"/>), then pure rules turn them into findings (<see cref="Evaluate"/>). Only problems and
/// notes are returned: a check that passes yields nothing.
/// </summary>
/// <remarks>
/// The rules, by check id (<see cref="TopologyFinding.Check"/>):
/// <list type="bullet">
/// <item><c>reachable</c>, Critical: the node could not be connected to or read within <see cref="TopologyAuditOptions.NodeTimeout"/>; nothing else is checked on it.</item>
/// <item><c>privileges</c>, Warning: the replication status could not be read (SLAVE MONITOR on MariaDB, REPLICATION CLIENT on MySQL); replication threads and errors were not checked on that node.</item>
/// <item><c>server_flavor</c>, Critical (topology): MariaDB and MySQL nodes are mixed; GTIDs and waits differ between them.</item>
/// <item><c>server_id_unique</c>, Critical (topology): two nodes share a server_id; replication skips or loops events.</item>
/// <item><c>log_bin</c>: binary log off. Critical on the primary (nothing to replicate, no GTIDs for read-your-writes), Warning on a replica (nothing for the others to follow once it is promoted).</item>
/// <item><c>gtid_mode</c>, Critical: MySQL gtid_mode is not ON (GTID waits and auto-positioned failover need it). MariaDB always writes GTIDs with the binary log.</item>
/// <item><c>gtid_strict_mode</c>, Warning: MariaDB accepts out-of-order GTIDs, so a stray write makes positions diverge silently.</item>
/// <item><c>gtid_positioning</c>, Warning: a replication channel uses file/position instead of GTIDs (MySQL Auto_Position=0, MariaDB Using_Gtid=No): repointing it after a failover is manual and error-prone.</item>
/// <item><c>binlog_format</c>: not ROW. Critical on the primary (statement-based events can apply differently on replicas), Warning on a replica (it would replicate that way once promoted).</item>
/// <item><c>read_only</c>, Critical: the primary is read-only (writes fail), or a replica is writable (writes could land there and diverge).</item>
/// <item><c>super_read_only</c>, Warning: a MySQL replica without super_read_only accepts writes from privileged users.</item>
/// <item><c>log_replica_updates</c>, Warning: a replica does not log what it applies; promoted, it would miss history the other replicas need.</item>
/// <item><c>sync_binlog</c> (not 1) and <c>innodb_flush_log_at_trx_commit</c> (not 1), Warning: acknowledged writes can be lost on a crash.</item>
/// <item><c>binlog_retention</c>: Warning when binary logs are purged sooner than <see cref="TopologyAuditOptions.MaxReplicaDowntime"/> (a replica down that long cannot catch up); Info when they are never purged automatically (disk grows without bound).</item>
/// <item><c>replication_threads</c>, Critical: a replica has no replication configured, or an IO or SQL thread is not running: it serves ever staler data.</item>
/// <item><c>replication_error</c>, Critical: Last_IO_Errno or Last_SQL_Errno is set.</item>
/// <item><c>parallel_workers</c>, Info: a replica applies on one thread (0 or 1 workers), so it lags under write bursts.</item>
/// <item><c>semi_sync_downgraded</c>, Warning: semi-sync is enabled on the primary but its status is OFF: it silently fell back to asynchronous replication. Replicas are not judged: one enabled as a source for a later promotion reports OFF while it has no semi-sync replicas of its own.</item>
/// <item><c>group_size</c>, Warning (topology): a MySQL Group Replication group of 1, 2 or 4 members (or any even number): 2 and 4 tolerate no
/// more failures than 1 and 3, and a split in halves leaves no majority anywhere. Use 3, 5 or 7. On group members the group manages
/// read_only and its own channels, and acknowledges by consensus: the read_only, super_read_only, replication_threads and
/// semi_sync_downgraded checks do not apply there (a member that left the group is reported by the monitor, not the audit).</item>
/// </list>
/// A setting the server does not have (MariaDB has no super_read_only, semi-sync plugin not loaded) is "not configured" and never a finding.
/// </remarks>
internal static class TopologyAudit
{
    /// <summary>One node to audit.</summary>
    /// <param name="Endpoint">The node as <c>host:port</c>, used in findings.</param>
    /// <param name="DataSource">Where the audit's connection to the node comes from.</param>
    /// <param name="IsPrimary">True for the node that should take writes.</param>
    internal readonly record struct AuditTarget(string Endpoint, MySqlDataSource DataSource, bool IsPrimary);

    /// <summary>The stable check ids of <see cref="TopologyFinding.Check"/>.</summary>
    internal static class Checks
    {
        public const string Reachable = "reachable";
        public const string Privileges = "privileges";
        public const string Flavor = "server_flavor";
        public const string ServerIdUnique = "server_id_unique";
        public const string LogBin = "log_bin";
        public const string GtidMode = "gtid_mode";
        public const string GtidStrictMode = "gtid_strict_mode";
        public const string GtidPositioning = "gtid_positioning";
        public const string BinlogFormat = "binlog_format";
        public const string ReadOnly = "read_only";
        public const string SuperReadOnly = "super_read_only";
        public const string LogReplicaUpdates = "log_replica_updates";
        public const string SyncBinlog = "sync_binlog";
        public const string InnodbFlushLogAtTrxCommit = "innodb_flush_log_at_trx_commit";
        public const string BinlogRetention = "binlog_retention";
        public const string ReplicationThreads = "replication_threads";
        public const string ReplicationError = "replication_error";
        public const string ParallelWorkers = "parallel_workers";
        public const string SemiSyncDowngraded = "semi_sync_downgraded";
        public const string GroupSize = "group_size";
    }

    // Both flavors' names in one list: SHOW ... WHERE simply leaves out the ones a server does not have, and needs no privilege.
    private const string VariablesSql =
        "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('server_id', 'log_bin', 'gtid_mode', 'gtid_strict_mode', 'binlog_format', " +
        "'read_only', 'super_read_only', 'log_replica_updates', 'log_slave_updates', 'sync_binlog', 'innodb_flush_log_at_trx_commit', " +
        "'binlog_expire_logs_seconds', 'expire_logs_days', 'binlog_expire_logs_auto_purge', 'replica_parallel_workers', " +
        "'slave_parallel_threads', 'slave_parallel_workers', 'rpl_semi_sync_source_enabled', 'rpl_semi_sync_master_enabled', 'group_replication_group_name')";

    // MySQL Group Replication: the members in this member's view (needs SELECT on the table; denied or absent means unknown).
    private const string GroupMembersSql = "SELECT COUNT(*) FROM performance_schema.replication_group_members WHERE MEMBER_ID <> ''";

    private const string StatusSql =
        "SHOW GLOBAL STATUS WHERE Variable_name IN ('Rpl_semi_sync_source_status', 'Rpl_semi_sync_master_status', 'Rpl_semi_sync_source_clients', 'Rpl_semi_sync_master_clients')";

    /// <summary>Audits every node in parallel (one connection each) and evaluates the rules over all of them.</summary>
    /// <param name="nodes">The primary and the replicas.</param>
    /// <param name="options">Expectations and the per-node timeout.</param>
    /// <param name="cancellationToken">Cancels the whole audit (it then throws, instead of reporting nodes unreachable).</param>
    /// <returns>The findings, most severe first; empty for a clean topology.</returns>
    public static async Task<IReadOnlyList<TopologyFinding>> RunAsync(IReadOnlyList<AuditTarget> nodes, TopologyAuditOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentNullException.ThrowIfNull(options);
        if (options.NodeTimeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(options), options.NodeTimeout, "NodeTimeout must be positive.");

        var facts = await Task.WhenAll(nodes.Select(node => GatherAsync(node, options.NodeTimeout, cancellationToken))).ConfigureAwait(false);
        return Evaluate(facts, options);
    }

    /// <summary>Reads one node's facts; a node that cannot be reached or read becomes facts saying so, never an exception.</summary>
    internal static async Task<NodeFacts> GatherAsync(AuditTarget target, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            var connection = await target.DataSource.OpenConnectionAsync(deadline.Token).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
                return await ReadFactsAsync(target, connection, timeout, deadline.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when ((ex is MySqlException or OperationCanceledException or TimeoutException or IOException or SocketException)
            && !cancellationToken.IsCancellationRequested)
        {
            // A timeout surfaces as a cancellation or as an interrupted query: say what happened, not how it ended.
            var error = deadline.IsCancellationRequested ? $"no answer within {timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s" : ex.Message;
            return new NodeFacts(target.Endpoint, target.IsPrimary) { UnreachableError = error };
        }
    }

    private static async Task<NodeFacts> ReadFactsAsync(AuditTarget target, MySqlConnection connection, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var flavor = ServerDialect.FromServerVersion(connection.ServerVersion).Flavor;
        var batch = new MySqlBatch(connection)
        {
            BatchCommands =
            {
                new MySqlBatchCommand(VariablesSql),
                new MySqlBatchCommand(StatusSql),
                // Last, so that a denied status query ends the batch after the facts before it were read.
                // MariaDB: ALL shows every named connection (multi-source), not just the default one.
                new MySqlBatchCommand(flavor == ServerFlavor.MariaDb ? "SHOW ALL REPLICAS STATUS" : "SHOW REPLICA STATUS"),
            },
            Timeout = (int)Math.Ceiling(timeout.TotalSeconds),
        };
        await using (batch.ConfigureAwait(false))
        {
            var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                var variables = await ReadNameValuesAsync(reader, cancellationToken).ConfigureAwait(false);
                await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
                var status = await ReadNameValuesAsync(reader, cancellationToken).ConfigureAwait(false);

                IReadOnlyList<ReplicationChannelFacts>? channels = null;
                string? denied = null;
                try
                {
                    await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
                    channels = await ReadChannelsAsync(reader, cancellationToken).ConfigureAwait(false);
                }
                catch (MySqlException ex) when (ex.ErrorCode is MySqlErrorCode.SpecifiedAccessDeniedError or MySqlErrorCode.AccessDenied)
                {
                    denied = ex.Message;
                }

                var facts = NodeFacts.From(target.Endpoint, target.IsPrimary, flavor, variables, status, channels, denied);
                return facts.GroupName is null ? facts : facts with { GroupMembers = await CountGroupMembersAsync(connection, timeout, cancellationToken).ConfigureAwait(false) };
            }
        }
    }

    private static async Task<long?> CountGroupMembersAsync(MySqlConnection connection, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var command = new MySqlCommand(GroupMembersSql, connection) { CommandTimeout = (int)Math.Ceiling(timeout.TotalSeconds) };
        await using (command.ConfigureAwait(false))
        {
            try
            {
                return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
            }
            catch (MySqlException ex) when (ex.ErrorCode is MySqlErrorCode.TableAccessDenied or MySqlErrorCode.SpecifiedAccessDeniedError)
            {
                return null;
            }
        }
    }

    private static async Task<Dictionary<string, string>> ReadNameValuesAsync(MySqlDataReader reader, CancellationToken cancellationToken)
    {
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            values[reader.GetString(0)] = reader.IsDBNull(1) ? "" : reader.GetString(1);
        return values;
    }

    private static async Task<List<ReplicationChannelFacts>> ReadChannelsAsync(MySqlDataReader reader, CancellationToken cancellationToken)
    {
        var columns = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < reader.FieldCount; i++)
            columns.TryAdd(reader.GetName(i), i);

        // MySQL's column names first, MariaDB's second.
        string Text(string name, string? alternative = null)
        {
            if (!columns.TryGetValue(name, out var ordinal) && (alternative is null || !columns.TryGetValue(alternative, out ordinal)))
                return "";
            return reader.IsDBNull(ordinal) ? "" : Convert.ToString(reader.GetValue(ordinal), CultureInfo.InvariantCulture) ?? "";
        }

        int Number(string name) => int.TryParse(Text(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : 0;

        var channels = new List<ReplicationChannelFacts>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var autoPosition = Text("Auto_Position");
            var usingGtid = Text("Using_Gtid");
            var host = Text("Source_Host", "Master_Host");
            channels.Add(new ReplicationChannelFacts(
                Name: Text("Channel_Name", "Connection_name"),
                Source: host.Length == 0 ? "" : host + ":" + Text("Source_Port", "Master_Port"),
                IoRunning: Text("Replica_IO_Running", "Slave_IO_Running"),
                SqlRunning: Text("Replica_SQL_Running", "Slave_SQL_Running"),
                LastIoErrno: Number("Last_IO_Errno"),
                LastIoError: Text("Last_IO_Error"),
                LastSqlErrno: Number("Last_SQL_Errno"),
                LastSqlError: Text("Last_SQL_Error"),
                // A column the server does not have is unknown, not a finding.
                UsesGtidPositioning: autoPosition.Length > 0 ? autoPosition != "0" : usingGtid.Length == 0 || !usingGtid.Equals("No", StringComparison.OrdinalIgnoreCase)));
        }

        return channels;
    }

    /// <summary>Applies every rule (see the class remarks) to the nodes' facts; pure, so the rules are testable without a server.</summary>
    /// <returns>The findings, most severe first, then in node order; empty for a clean topology.</returns>
    public static IReadOnlyList<TopologyFinding> Evaluate(IReadOnlyList<NodeFacts> nodes, TopologyAuditOptions options)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentNullException.ThrowIfNull(options);

        var findings = new List<TopologyFinding>();
        EvaluateTopology(nodes, findings);
        foreach (var node in nodes)
            EvaluateNode(node, options, findings);

        // Stable: within one severity, topology-wide findings first, then nodes in the order given.
        return findings.OrderByDescending(f => f.Severity).ToArray();
    }

    private static void EvaluateTopology(IReadOnlyList<NodeFacts> nodes, List<TopologyFinding> findings)
    {
        var reachable = nodes.Where(n => n.IsReachable).ToArray();

        var flavors = reachable.Select(n => n.Flavor).Distinct().ToArray();
        if (flavors.Length > 1)
        {
            findings.Add(new(FindingSeverity.Critical, "", Checks.Flavor,
                $"MariaDB and MySQL nodes are mixed ({Describe(reachable.Select(n => $"{n.Endpoint} {n.Flavor}"))}): their GTIDs and waits are incompatible, so reads cannot be made consistent."));
        }

        foreach (var group in reachable.Where(n => n.ServerId is not null).GroupBy(n => n.ServerId!.Value).Where(g => g.Count() > 1))
        {
            findings.Add(new(FindingSeverity.Critical, "", Checks.ServerIdUnique,
                $"server_id {group.Key} is used by {Describe(group.Select(n => n.Endpoint))}: replication ignores events carrying its own server_id, so these nodes lose or loop changes. Give every node its own server_id."));
        }

        foreach (var group in reachable.Where(n => n.GroupName is not null).GroupBy(n => n.GroupName!))
        {
            // The members' own count when readable (members not configured here count too), else the configured members.
            var size = group.Max(n => n.GroupMembers) ?? group.Count();
            if (size % 2 == 0 || size == 1)
            {
                findings.Add(new(FindingSeverity.Warning, "", Checks.GroupSize, size == 1
                    ? $"Group Replication group {group.Key} has 1 member: it tolerates no failure. Use 3, 5 or 7 members."
                    : $"Group Replication group {group.Key} has {size} members: an even size tolerates no more failures than {size - 1} members ({(size - 1) / 2}), and a split in halves leaves no majority on either side. Use 3, 5 or 7 members."));
            }
        }
    }

    private static void EvaluateNode(NodeFacts node, TopologyAuditOptions options, List<TopologyFinding> findings)
    {
        void Add(FindingSeverity severity, string check, string message) => findings.Add(new(severity, node.Endpoint, check, message));

        var role = node.IsPrimary ? "primary" : "replica";
        if (!node.IsReachable)
        {
            Add(FindingSeverity.Critical, Checks.Reachable, $"The {role} could not be audited: {node.UnreachableError}");
            return;
        }

        if (node.ReplicaStatusDenied is not null)
        {
            var privilege = node.Flavor == ServerFlavor.MariaDb ? "SLAVE MONITOR" : "REPLICATION CLIENT";
            Add(FindingSeverity.Warning, Checks.Privileges,
                $"The audit user lacks the {privilege} privilege, so replication threads and errors were not checked ({node.ReplicaStatusDenied}). GRANT {privilege} ON *.* to it.");
        }

        // Binary log and GTIDs.
        var binlogOn = node.LogBin != false;
        if (!binlogOn)
        {
            if (node.IsPrimary)
                Add(FindingSeverity.Critical, Checks.LogBin, "The binary log is off on the primary: replicas have nothing to follow and no GTIDs are written, so reads cannot wait for a write.");
            else
                Add(FindingSeverity.Warning, Checks.LogBin, "The binary log is off on this replica: if it is promoted, the other replicas have nothing to follow.");
        }

        if (node.Flavor == ServerFlavor.MySql && node.GtidMode is { } gtidMode && !gtidMode.Equals("ON", StringComparison.OrdinalIgnoreCase))
            Add(FindingSeverity.Critical, Checks.GtidMode, $"gtid_mode is {gtidMode}: GTID waits (read-your-writes) and auto-positioned failover need gtid_mode=ON with enforce_gtid_consistency=ON.");

        if (node.Flavor == ServerFlavor.MariaDb && node.GtidStrictMode == false)
            Add(FindingSeverity.Warning, Checks.GtidStrictMode, "gtid_strict_mode is OFF: an out-of-order or duplicate GTID (a stray write on a replica) is accepted silently and the nodes' positions diverge. Set gtid_strict_mode=ON.");

        if (binlogOn && node.BinlogFormat is { } format && !format.Equals("ROW", StringComparison.OrdinalIgnoreCase))
        {
            if (node.IsPrimary)
                Add(FindingSeverity.Critical, Checks.BinlogFormat, $"binlog_format is {format}: statement-based events can apply differently on the replicas (non-deterministic statements). Set binlog_format=ROW.");
            else
                Add(FindingSeverity.Warning, Checks.BinlogFormat, $"binlog_format is {format}: once promoted, this replica would replicate statement-based events. Set binlog_format=ROW.");
        }

        // Read-only roles (a group member's are the group's to set, and its primary is whichever member the group elected).
        if (node.GroupName is null)
            EvaluateReadOnly(node, Add);

        if (!node.IsPrimary && binlogOn && node.LogReplicaUpdates == false)
            Add(FindingSeverity.Warning, Checks.LogReplicaUpdates, "log_replica_updates is OFF: this replica does not log what it applies, so if it is promoted the other replicas miss that history. Set log_replica_updates=ON.");

        // Durability: a write acknowledged to the client must survive a crash of this node.
        if (binlogOn && node.SyncBinlog is { } syncBinlog && syncBinlog != 1)
            Add(FindingSeverity.Warning, Checks.SyncBinlog, $"sync_binlog is {syncBinlog}: the binary log is not flushed at every commit, so acknowledged transactions can be missing from it after a crash (and replicas diverge). Set sync_binlog=1.");

        if (node.InnodbFlushLogAtTrxCommit is { } flush && flush != 1)
            Add(FindingSeverity.Warning, Checks.InnodbFlushLogAtTrxCommit, $"innodb_flush_log_at_trx_commit is {flush}: the redo log is not flushed at every commit, so acknowledged transactions can be lost on a crash. Set it to 1.");

        if (binlogOn)
            EvaluateRetention(node, options, Add);

        EvaluateReplication(node, Add);

        if (!node.IsPrimary && node.ParallelWorkers is { } workers && workers <= 1)
        {
            var setting = node.Flavor == ServerFlavor.MariaDb ? "slave_parallel_threads" : "replica_parallel_workers";
            Add(FindingSeverity.Info, Checks.ParallelWorkers, $"{setting} is {workers}: this replica applies on a single thread, so it lags behind under write bursts. Consider 4 or more.");
        }

        if (node.GroupName is not null)
            return;   // a group acknowledges by consensus: semi-sync does not apply
        if (node.IsPrimary && node.SemiSyncSourceEnabled == true && node.SemiSyncSourceOn == false)
            Add(FindingSeverity.Warning, Checks.SemiSyncDowngraded, "Semi-synchronous replication is enabled but its status is OFF: the primary silently fell back to asynchronous replication (no replica acknowledged in time), so a failover now can lose acknowledged writes.");
        else if (node.IsPrimary && node.SemiSyncSourceEnabled == true && node.SemiSyncClients == 0)
            Add(FindingSeverity.Warning, Checks.SemiSyncDowngraded, "Semi-synchronous replication is enabled but no semi-sync replica is connected: commits are acknowledged by no replica (status can still read ON when the primary does not wait without replicas), so a failover now can lose acknowledged writes.");
    }

    private static void EvaluateReadOnly(NodeFacts node, Action<FindingSeverity, string, string> add)
    {
        if (node.IsPrimary && node.ReadOnly == true)
            add(FindingSeverity.Critical, Checks.ReadOnly, "The primary is read_only: every write fails. Was it demoted, or is another node the primary now?");

        if (!node.IsPrimary && node.ReadOnly == false)
            add(FindingSeverity.Critical, Checks.ReadOnly, "The replica is not read_only: a misrouted write would land on it, diverge from the primary and later break replication. Set read_only=ON.");
        else if (!node.IsPrimary && node.Flavor == ServerFlavor.MySql && node.SuperReadOnly == false)
            add(FindingSeverity.Warning, Checks.SuperReadOnly, "super_read_only is OFF: users with SUPER or CONNECTION_ADMIN can still write on this replica. Set super_read_only=ON.");
    }

    private static void EvaluateRetention(NodeFacts node, TopologyAuditOptions options, Action<FindingSeverity, string, string> add)
    {
        TimeSpan? retention;
        if (node.BinlogExpireLogsAutoPurge == false)
            retention = null;
        else if (node.BinlogExpireLogsSeconds > 0)
            retention = TimeSpan.FromSeconds(node.BinlogExpireLogsSeconds.Value);
        else if (node.ExpireLogsDays > 0)
            retention = TimeSpan.FromDays(node.ExpireLogsDays.Value);
        else if (node.BinlogExpireLogsSeconds is null && node.ExpireLogsDays is null)
            return; // Unknown: nothing to judge.
        else
            retention = null;

        if (retention is null)
        {
            add(FindingSeverity.Info, Checks.BinlogRetention, "Binary logs are never purged automatically: the disk grows without bound unless they are purged by hand. Consider binlog_expire_logs_seconds.");
        }
        else if (retention < options.MaxReplicaDowntime)
        {
            add(FindingSeverity.Warning, Checks.BinlogRetention,
                $"Binary logs are purged after {Format(retention.Value)}, less than the allowed replica downtime of {Format(options.MaxReplicaDowntime)}: a replica down that long cannot catch up and must be rebuilt. Raise binlog_expire_logs_seconds.");
        }
    }

    private static void EvaluateReplication(NodeFacts node, Action<FindingSeverity, string, string> add)
    {
        if (node.Channels is null)
            return; // Unknown (the status could not be read): reported as a privilege problem.

        if (!node.IsPrimary && node.Channels.Count == 0 && node.GroupName is null)
        {
            add(FindingSeverity.Critical, Checks.ReplicationThreads, "No replication is configured on this replica: it never receives new writes, so every read from it is stale.");
            return;
        }

        foreach (var channel in node.Channels)
        {
            if (node.GroupName is not null && channel.Name.StartsWith("group_replication_", StringComparison.Ordinal))
                continue;   // the group's own channels: the member's state in the group says whether it applies

            var what = channel.Name.Length == 0 ? "Replication" : $"Replication channel '{channel.Name}'";
            var from = channel.Source.Length == 0 ? "" : $" from {channel.Source}";
            if (!IsYes(channel.IoRunning) || !IsYes(channel.SqlRunning))
            {
                add(FindingSeverity.Critical, Checks.ReplicationThreads,
                    $"{what}{from} is not fully running (IO thread: {Show(channel.IoRunning)}, SQL thread: {Show(channel.SqlRunning)}): this node falls ever further behind.");
            }

            if (channel.LastIoErrno != 0)
                add(FindingSeverity.Critical, Checks.ReplicationError, $"{what}{from}: IO thread error {channel.LastIoErrno}: {channel.LastIoError}");

            if (channel.LastSqlErrno != 0)
                add(FindingSeverity.Critical, Checks.ReplicationError, $"{what}{from}: SQL thread error {channel.LastSqlErrno}: {channel.LastSqlError}");

            if (!channel.UsesGtidPositioning)
            {
                var fix = node.Flavor == ServerFlavor.MariaDb ? "MASTER_USE_GTID=slave_pos" : "SOURCE_AUTO_POSITION=1";
                add(FindingSeverity.Warning, Checks.GtidPositioning, $"{what}{from} uses binary log file positions, not GTIDs: repointing it after a failover is manual and error-prone. Use {fix}.");
            }
        }
    }

    private static bool IsYes(string value) => value.Equals("Yes", StringComparison.OrdinalIgnoreCase);

    private static string Show(string value) => value.Length == 0 ? "unknown" : value;

    private static string Describe(IEnumerable<string> items) => string.Join(", ", items);

    private static string Format(TimeSpan span) =>
        span.TotalDays >= 1 && span.Ticks % TimeSpan.TicksPerDay == 0 ? $"{span.TotalDays.ToString(CultureInfo.InvariantCulture)} d"
        : span.TotalHours >= 1 && span.Ticks % TimeSpan.TicksPerHour == 0 ? $"{span.TotalHours.ToString(CultureInfo.InvariantCulture)} h"
        : $"{span.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s";

    /// <summary>One replication channel of a node, as <c>SHOW REPLICA STATUS</c> reports it.</summary>
    /// <param name="Name">The channel (MySQL) or connection (MariaDB) name; empty for the default one.</param>
    /// <param name="Source">The node it replicates from, as <c>host:port</c>; empty when unknown.</param>
    /// <param name="IoRunning">The IO thread's state: <c>Yes</c>, <c>No</c>, <c>Connecting</c>…</param>
    /// <param name="SqlRunning">The SQL (apply) thread's state: <c>Yes</c> or <c>No</c>.</param>
    /// <param name="LastIoErrno">The IO thread's last error number; 0 for none.</param>
    /// <param name="LastIoError">The IO thread's last error text.</param>
    /// <param name="LastSqlErrno">The SQL thread's last error number; 0 for none.</param>
    /// <param name="LastSqlError">The SQL thread's last error text.</param>
    /// <param name="UsesGtidPositioning">True with MySQL Auto_Position=1 or MariaDB Using_Gtid other than No.</param>
    internal sealed record ReplicationChannelFacts(
        string Name,
        string Source,
        string IoRunning,
        string SqlRunning,
        int LastIoErrno,
        string LastIoError,
        int LastSqlErrno,
        string LastSqlError,
        bool UsesGtidPositioning);

    /// <summary>
    /// What one node said about itself. A setting is <see langword="null"/> when unknown: the node was unreachable, or the
    /// server has no such variable (MariaDB has no super_read_only, semi-sync variables exist only with the plugin).
    /// </summary>
    /// <param name="Endpoint">The node as <c>host:port</c>.</param>
    /// <param name="IsPrimary">True for the node that should take writes.</param>
    internal sealed record NodeFacts(string Endpoint, bool IsPrimary)
    {
        /// <summary>Why the node could not be audited; <see langword="null"/> when it was.</summary>
        public string? UnreachableError { get; init; }

        public bool IsReachable => UnreachableError is null;

        public ServerFlavor Flavor { get; init; }

        public long? ServerId { get; init; }

        public bool? LogBin { get; init; }

        /// <summary>MySQL's gtid_mode (OFF, OFF_PERMISSIVE, ON_PERMISSIVE, ON). MariaDB has none: it always writes GTIDs with the binary log.</summary>
        public string? GtidMode { get; init; }

        /// <summary>MariaDB's gtid_strict_mode.</summary>
        public bool? GtidStrictMode { get; init; }

        public string? BinlogFormat { get; init; }

        public bool? ReadOnly { get; init; }

        /// <summary>MySQL only.</summary>
        public bool? SuperReadOnly { get; init; }

        /// <summary>log_replica_updates, or log_slave_updates where that is the only name.</summary>
        public bool? LogReplicaUpdates { get; init; }

        public long? SyncBinlog { get; init; }

        public long? InnodbFlushLogAtTrxCommit { get; init; }

        /// <summary>binlog_expire_logs_seconds; 0 = not set (then expire_logs_days applies, and 0 there too means never).</summary>
        public long? BinlogExpireLogsSeconds { get; init; }

        /// <summary>expire_logs_days (MariaDB; MySQL before 8.4).</summary>
        public double? ExpireLogsDays { get; init; }

        /// <summary>MySQL 8.0.29+: OFF disables automatic purging whatever the expiry says.</summary>
        public bool? BinlogExpireLogsAutoPurge { get; init; }

        /// <summary>MySQL replica_parallel_workers, MariaDB slave_parallel_threads.</summary>
        public long? ParallelWorkers { get; init; }

        /// <summary>rpl_semi_sync_source_enabled / rpl_semi_sync_master_enabled; null when semi-sync is not available.</summary>
        public bool? SemiSyncSourceEnabled { get; init; }

        /// <summary>The status Rpl_semi_sync_source_status / Rpl_semi_sync_master_status: OFF once it fell back to async.</summary>
        public bool? SemiSyncSourceOn { get; init; }

        /// <summary>Rpl_semi_sync_source_clients / Rpl_semi_sync_master_clients: semi-sync replicas connected now.</summary>
        public long? SemiSyncClients { get; init; }

        /// <summary>The replication channels (empty: none configured); <see langword="null"/> when the status could not be read.</summary>
        public IReadOnlyList<ReplicationChannelFacts>? Channels { get; init; }

        /// <summary>The server's error when reading the replication status was denied.</summary>
        public string? ReplicaStatusDenied { get; init; }

        /// <summary>MySQL group_replication_group_name: set on a Group Replication member; <see langword="null"/> otherwise.</summary>
        public string? GroupName { get; init; }

        /// <summary>Members in the group's view, as this member sees it; <see langword="null"/> when not readable.</summary>
        public long? GroupMembers { get; init; }

        /// <summary>Builds the facts from <c>SHOW GLOBAL VARIABLES</c> and <c>SHOW GLOBAL STATUS</c> name/value pairs (names case-insensitive).</summary>
        public static NodeFacts From(
            string endpoint,
            bool isPrimary,
            ServerFlavor flavor,
            IReadOnlyDictionary<string, string> variables,
            IReadOnlyDictionary<string, string> status,
            IReadOnlyList<ReplicationChannelFacts>? channels,
            string? replicaStatusDenied)
        {
            string? Text(params string[] names)
            {
                foreach (var name in names)
                {
                    if (variables.TryGetValue(name, out var value))
                        return value;
                }

                return null;
            }

            return new NodeFacts(endpoint, isPrimary)
            {
                Flavor = flavor,
                ServerId = ParseLong(Text("server_id")),
                LogBin = ParseBool(Text("log_bin")),
                GtidMode = flavor == ServerFlavor.MySql ? Text("gtid_mode") : null,
                GtidStrictMode = flavor == ServerFlavor.MariaDb ? ParseBool(Text("gtid_strict_mode")) : null,
                BinlogFormat = Text("binlog_format"),
                ReadOnly = ParseBool(Text("read_only")),
                SuperReadOnly = ParseBool(Text("super_read_only")),
                LogReplicaUpdates = ParseBool(Text("log_replica_updates", "log_slave_updates")),
                SyncBinlog = ParseLong(Text("sync_binlog")),
                InnodbFlushLogAtTrxCommit = ParseLong(Text("innodb_flush_log_at_trx_commit")),
                BinlogExpireLogsSeconds = ParseLong(Text("binlog_expire_logs_seconds")),
                ExpireLogsDays = double.TryParse(Text("expire_logs_days"), NumberStyles.Float, CultureInfo.InvariantCulture, out var days) ? days : null,
                BinlogExpireLogsAutoPurge = ParseBool(Text("binlog_expire_logs_auto_purge")),
                ParallelWorkers = ParseLong(Text("replica_parallel_workers", "slave_parallel_threads", "slave_parallel_workers")),
                SemiSyncSourceEnabled = ParseBool(Text("rpl_semi_sync_source_enabled", "rpl_semi_sync_master_enabled")),
                SemiSyncSourceOn = ParseBool(status.TryGetValue("Rpl_semi_sync_source_status", out var on) ? on
                    : status.TryGetValue("Rpl_semi_sync_master_status", out on) ? on : null),
                SemiSyncClients = ParseLong(status.TryGetValue("Rpl_semi_sync_source_clients", out var clients) ? clients
                    : status.TryGetValue("Rpl_semi_sync_master_clients", out clients) ? clients : null),
                Channels = channels,
                ReplicaStatusDenied = replicaStatusDenied,
                GroupName = Text("group_replication_group_name") is { Length: > 0 } groupName ? groupName : null,
            };
        }

        private static long? ParseLong(string? text) =>
            long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : null;

        // Anything but an explicit off counts as on: MariaDB 11's read_only also has NO_LOCK and NO_LOCK_NO_ADMIN.
        private static bool? ParseBool(string? text) => text switch
        {
            null => null,
            _ when text.Equals("OFF", StringComparison.OrdinalIgnoreCase) || text == "0" || text.Length == 0
                || text.Equals("FALSE", StringComparison.OrdinalIgnoreCase) || text.Equals("NO", StringComparison.OrdinalIgnoreCase) => false,
            _ => true,
        };
    }
}
