using static ReplicaRouting.TopologyAudit;

namespace ReplicaRouting.Tests;

/// <summary>The audit's rules on hand-made facts: every rule fires on its problem, and a clean topology says nothing.</summary>
public sealed class TopologyAuditRulesTests
{
    private const string Primary = "10.0.0.1:3306";
    private const string Replica1 = "10.0.0.2:3306";
    private const string Replica2 = "10.0.0.3:3306";

    private static readonly TopologyAuditOptions Options = new();

    private static ReplicationChannelFacts Channel() => new("", Primary, "Yes", "Yes", 0, "", 0, "", UsesGtidPositioning: true);

    private static NodeFacts Node(string endpoint, bool primary, ServerFlavor flavor, long serverId) => new(endpoint, primary)
    {
        Flavor = flavor,
        ServerId = serverId,
        LogBin = true,
        GtidMode = flavor == ServerFlavor.MySql ? "ON" : null,
        GtidStrictMode = flavor == ServerFlavor.MariaDb ? true : null,
        BinlogFormat = "ROW",
        ReadOnly = !primary,
        SuperReadOnly = flavor == ServerFlavor.MySql ? !primary : null,
        LogReplicaUpdates = true,
        SyncBinlog = 1,
        InnodbFlushLogAtTrxCommit = 1,
        BinlogExpireLogsSeconds = (long)TimeSpan.FromDays(7).TotalSeconds,
        ExpireLogsDays = flavor == ServerFlavor.MariaDb ? 7 : null,
        ParallelWorkers = 4,
        Channels = primary ? [] : [Channel()],
    };

    private static NodeFacts[] Clean(ServerFlavor flavor) =>
        [Node(Primary, true, flavor, 1), Node(Replica1, false, flavor, 2), Node(Replica2, false, flavor, 3)];

    /// <summary>Evaluates a clean topology with one node changed.</summary>
    private static IReadOnlyList<TopologyFinding> With(int index, Func<NodeFacts, NodeFacts> change, ServerFlavor flavor = ServerFlavor.MySql)
    {
        var nodes = Clean(flavor);
        nodes[index] = change(nodes[index]);
        return Evaluate(nodes, Options);
    }

    private static TopologyFinding Single(IReadOnlyList<TopologyFinding> findings, FindingSeverity severity, string node, string check)
    {
        var finding = Assert.Single(findings);
        Assert.Equal((severity, node, check), (finding.Severity, finding.Node, finding.Check));
        Assert.False(string.IsNullOrWhiteSpace(finding.Message));
        return finding;
    }

    [Theory]
    [InlineData(ServerFlavor.MySql)]
    [InlineData(ServerFlavor.MariaDb)]
    public void A_clean_topology_yields_no_finding(ServerFlavor flavor) => Assert.Empty(Evaluate(Clean(flavor), Options));

    [Fact]
    public void Unreachable_node_is_critical_and_nothing_else_is_checked_on_it()
    {
        var findings = Evaluate([Node(Primary, true, ServerFlavor.MySql, 1), new NodeFacts(Replica1, false) { UnreachableError = "Connection refused" }], Options);
        var finding = Single(findings, FindingSeverity.Critical, Replica1, Checks.Reachable);
        Assert.Contains("Connection refused", finding.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("OFF")]
    [InlineData("ON_PERMISSIVE")]
    [InlineData("OFF_PERMISSIVE")]
    public void Mysql_gtid_mode_not_on_is_critical(string mode) =>
        Single(With(0, n => n with { GtidMode = mode }), FindingSeverity.Critical, Primary, Checks.GtidMode);

    [Fact]
    public void Mariadb_without_gtid_strict_mode_is_a_warning() =>
        Single(With(1, n => n with { GtidStrictMode = false }, ServerFlavor.MariaDb), FindingSeverity.Warning, Replica1, Checks.GtidStrictMode);

    [Fact]
    public void Replica_positioned_by_file_and_offset_is_a_warning() =>
        Single(With(2, n => n with { Channels = [Channel() with { UsesGtidPositioning = false }] }, ServerFlavor.MariaDb),
            FindingSeverity.Warning, Replica2, Checks.GtidPositioning);

    [Fact]
    public void Binary_log_off_is_critical_on_the_primary_and_a_warning_on_a_replica()
    {
        Single(With(0, n => n with { LogBin = false }), FindingSeverity.Critical, Primary, Checks.LogBin);
        // Off, sync_binlog, retention and log_replica_updates are moot: only the one finding.
        Single(With(1, n => n with { LogBin = false, SyncBinlog = 0, LogReplicaUpdates = false, BinlogExpireLogsSeconds = 60 }),
            FindingSeverity.Warning, Replica1, Checks.LogBin);
    }

    [Theory]
    [InlineData("STATEMENT")]
    [InlineData("MIXED")]
    public void Binlog_format_not_row_is_critical_on_the_primary_and_a_warning_on_a_replica(string format)
    {
        Single(With(0, n => n with { BinlogFormat = format }), FindingSeverity.Critical, Primary, Checks.BinlogFormat);
        Single(With(1, n => n with { BinlogFormat = format }), FindingSeverity.Warning, Replica1, Checks.BinlogFormat);
    }

    [Theory]
    [InlineData(ServerFlavor.MySql)]
    [InlineData(ServerFlavor.MariaDb)]
    public void Writable_replica_is_critical(ServerFlavor flavor) =>
        Single(With(1, n => n with { ReadOnly = false, SuperReadOnly = flavor == ServerFlavor.MySql ? false : null }, flavor),
            FindingSeverity.Critical, Replica1, Checks.ReadOnly);

    [Fact]
    public void Read_only_primary_is_critical() =>
        Single(With(0, n => n with { ReadOnly = true }), FindingSeverity.Critical, Primary, Checks.ReadOnly);

    [Fact]
    public void Mysql_replica_without_super_read_only_is_a_warning() =>
        Single(With(2, n => n with { SuperReadOnly = false }), FindingSeverity.Warning, Replica2, Checks.SuperReadOnly);

    [Fact]
    public void Mariadb_has_no_super_read_only_and_is_not_blamed_for_it() =>
        Assert.Empty(With(1, n => n with { SuperReadOnly = null }, ServerFlavor.MariaDb));

    [Fact]
    public void Replica_not_logging_what_it_applies_is_a_warning() =>
        Single(With(1, n => n with { LogReplicaUpdates = false }), FindingSeverity.Warning, Replica1, Checks.LogReplicaUpdates);

    [Theory]
    [InlineData(0)]
    [InlineData(100)]
    public void Sync_binlog_other_than_1_is_a_warning(long value) =>
        Single(With(0, n => n with { SyncBinlog = value }), FindingSeverity.Warning, Primary, Checks.SyncBinlog);

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void Innodb_flush_other_than_1_is_a_warning(long value) =>
        Single(With(2, n => n with { InnodbFlushLogAtTrxCommit = value }), FindingSeverity.Warning, Replica2, Checks.InnodbFlushLogAtTrxCommit);

    [Fact]
    public void Binlog_retention_shorter_than_the_allowed_downtime_is_a_warning()
    {
        var finding = Single(With(0, n => n with { BinlogExpireLogsSeconds = 3600 }), FindingSeverity.Warning, Primary, Checks.BinlogRetention);
        Assert.Contains("1 h", finding.Message, StringComparison.Ordinal);
        Assert.Contains("1 d", finding.Message, StringComparison.Ordinal);

        // MariaDB's older setting, in days, when the seconds are not set.
        Single(With(1, n => n with { BinlogExpireLogsSeconds = 0, ExpireLogsDays = 0.5 }, ServerFlavor.MariaDb),
            FindingSeverity.Warning, Replica1, Checks.BinlogRetention);

        // The threshold is the option, not a constant.
        var nodes = Clean(ServerFlavor.MySql);
        Assert.Equal(3, Evaluate(nodes, new TopologyAuditOptions { MaxReplicaDowntime = TimeSpan.FromDays(8) })
            .Count(f => f.Check == Checks.BinlogRetention && f.Severity == FindingSeverity.Warning));
    }

    [Fact]
    public void Binlogs_never_purged_are_an_info()
    {
        Single(With(0, n => n with { BinlogExpireLogsSeconds = 0, ExpireLogsDays = 0 }, ServerFlavor.MariaDb), FindingSeverity.Info, Primary, Checks.BinlogRetention);
        Single(With(0, n => n with { BinlogExpireLogsAutoPurge = false }), FindingSeverity.Info, Primary, Checks.BinlogRetention);
    }

    [Fact]
    public void Unknown_retention_is_not_judged() =>
        Assert.Empty(With(0, n => n with { BinlogExpireLogsSeconds = null, ExpireLogsDays = null }));

    [Fact]
    public void Replication_errors_are_critical_one_per_thread()
    {
        var findings = With(1, n => n with
        {
            Channels = [Channel() with { LastIoErrno = 2003, LastIoError = "Can't connect", LastSqlErrno = 1062, LastSqlError = "Duplicate entry" }],
        });
        Assert.Equal(2, findings.Count);
        Assert.All(findings, f => Assert.Equal((FindingSeverity.Critical, Replica1, Checks.ReplicationError), (f.Severity, f.Node, f.Check)));
        Assert.Contains(findings, f => f.Message.Contains("2003", StringComparison.Ordinal) && f.Message.Contains("Can't connect", StringComparison.Ordinal));
        Assert.Contains(findings, f => f.Message.Contains("1062", StringComparison.Ordinal) && f.Message.Contains("Duplicate entry", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("No", "Yes")]
    [InlineData("Connecting", "Yes")]
    [InlineData("Yes", "No")]
    public void Replica_thread_not_running_is_critical(string io, string sql)
    {
        var finding = Single(With(2, n => n with { Channels = [Channel() with { IoRunning = io, SqlRunning = sql }] }),
            FindingSeverity.Critical, Replica2, Checks.ReplicationThreads);
        Assert.Contains(Primary, finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Replica_without_any_replication_is_critical_but_a_primary_without_is_fine() =>
        Single(With(1, n => n with { Channels = [] }), FindingSeverity.Critical, Replica1, Checks.ReplicationThreads);

    [Fact]
    public void A_broken_channel_on_the_primary_is_reported_too() =>
        Single(With(0, n => n with { Channels = [Channel() with { SqlRunning = "No", Name = "upstream" }] }),
            FindingSeverity.Critical, Primary, Checks.ReplicationThreads);

    [Theory]
    [InlineData(0, ServerFlavor.MariaDb, "slave_parallel_threads")]
    [InlineData(1, ServerFlavor.MySql, "replica_parallel_workers")]
    public void Single_threaded_apply_on_a_replica_is_an_info(long workers, ServerFlavor flavor, string setting)
    {
        var finding = Single(With(1, n => n with { ParallelWorkers = workers }, flavor), FindingSeverity.Info, Replica1, Checks.ParallelWorkers);
        Assert.Contains(setting, finding.Message, StringComparison.Ordinal);
        Assert.Empty(With(0, n => n with { ParallelWorkers = 0 }, flavor));
    }

    [Fact]
    public void Semi_sync_enabled_but_off_is_a_downgrade_warning()
    {
        Single(With(0, n => n with { SemiSyncSourceEnabled = true, SemiSyncSourceOn = false }, ServerFlavor.MariaDb),
            FindingSeverity.Warning, Primary, Checks.SemiSyncDowngraded);
        Assert.Empty(With(0, n => n with { SemiSyncSourceEnabled = true, SemiSyncSourceOn = true }));
        Single(With(0, n => n with { SemiSyncSourceEnabled = true, SemiSyncSourceOn = true, SemiSyncClients = 0 }, ServerFlavor.MariaDb),
            FindingSeverity.Warning, Primary, Checks.SemiSyncDowngraded);
        Assert.Empty(With(0, n => n with { SemiSyncSourceEnabled = true, SemiSyncSourceOn = true, SemiSyncClients = 2 }));
        Assert.Empty(With(0, n => n with { SemiSyncSourceEnabled = false, SemiSyncSourceOn = false }, ServerFlavor.MariaDb));
        // A replica enabled as a source (ready for promotion) has no semi-sync replicas of its own: OFF is normal there.
        Assert.Empty(With(1, n => n with { SemiSyncSourceEnabled = true, SemiSyncSourceOn = false }));
    }

    [Fact]
    public void Duplicate_server_id_is_a_topology_wide_critical()
    {
        var finding = Single(With(2, n => n with { ServerId = 2 }), FindingSeverity.Critical, "", Checks.ServerIdUnique);
        Assert.Contains(Replica1, finding.Message, StringComparison.Ordinal);
        Assert.Contains(Replica2, finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Mixed_flavors_are_a_topology_wide_critical() =>
        Single(With(2, n => n with { Flavor = ServerFlavor.MariaDb, GtidMode = null, GtidStrictMode = true }),
            FindingSeverity.Critical, "", Checks.Flavor);

    [Theory]
    [InlineData(ServerFlavor.MariaDb, "SLAVE MONITOR")]
    [InlineData(ServerFlavor.MySql, "REPLICATION CLIENT")]
    public void Denied_replica_status_names_the_missing_privilege(ServerFlavor flavor, string privilege)
    {
        var finding = Single(With(1, n => n with { Channels = null, ReplicaStatusDenied = "Access denied" }, flavor),
            FindingSeverity.Warning, Replica1, Checks.Privileges);
        Assert.Contains(privilege, finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Findings_come_most_severe_first()
    {
        var findings = With(1, n => n with { ParallelWorkers = 0, SyncBinlog = 0, ReadOnly = false, SuperReadOnly = false });
        Assert.Equal([FindingSeverity.Critical, FindingSeverity.Warning, FindingSeverity.Info], findings.Select(f => f.Severity));
    }

    [Fact]
    public void Facts_are_read_from_mariadb_variables()
    {
        var variables = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["server_id"] = "3312", ["log_bin"] = "ON", ["gtid_strict_mode"] = "ON", ["binlog_format"] = "ROW", ["read_only"] = "ON",
            ["log_slave_updates"] = "ON", ["sync_binlog"] = "0", ["innodb_flush_log_at_trx_commit"] = "1",
            ["binlog_expire_logs_seconds"] = "0", ["expire_logs_days"] = "0.000000", ["slave_parallel_threads"] = "0",
            ["rpl_semi_sync_master_enabled"] = "OFF",
        };
        var status = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["Rpl_semi_sync_master_status"] = "OFF" };

        var facts = NodeFacts.From(Replica1, false, ServerFlavor.MariaDb, variables, status, [Channel()], null);

        Assert.Equal(3312, facts.ServerId);
        Assert.True(facts.GtidStrictMode);
        Assert.Null(facts.GtidMode);
        Assert.True(facts.ReadOnly);
        Assert.Null(facts.SuperReadOnly);
        Assert.True(facts.LogReplicaUpdates);
        Assert.Equal(0, facts.SyncBinlog);
        Assert.Equal(0, facts.ExpireLogsDays);
        Assert.Equal(0, facts.ParallelWorkers);
        Assert.False(facts.SemiSyncSourceEnabled);
        Assert.False(facts.SemiSyncSourceOn);

        var rules = Evaluate([Node(Primary, true, ServerFlavor.MariaDb, 3311), facts], Options);
        Assert.Equal(
            [(FindingSeverity.Warning, Checks.SyncBinlog), (FindingSeverity.Info, Checks.BinlogRetention), (FindingSeverity.Info, Checks.ParallelWorkers)],
            rules.Select(f => (f.Severity, f.Check)));
    }

    [Fact]
    public void Facts_of_mysql_without_the_semi_sync_plugin_mean_not_configured()
    {
        var variables = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["server_id"] = "3321", ["gtid_mode"] = "ON", ["read_only"] = "OFF", ["super_read_only"] = "OFF", ["log_replica_updates"] = "ON",
            ["log_slave_updates"] = "OFF", ["replica_parallel_workers"] = "4", ["binlog_expire_logs_auto_purge"] = "ON",
        };

        var facts = NodeFacts.From(Primary, true, ServerFlavor.MySql, variables, new Dictionary<string, string>(), [], null);

        Assert.Equal("ON", facts.GtidMode);
        Assert.False(facts.SuperReadOnly);
        Assert.True(facts.LogReplicaUpdates);   // the new name wins over the old alias
        Assert.Equal(4, facts.ParallelWorkers);
        Assert.True(facts.BinlogExpireLogsAutoPurge);
        Assert.Null(facts.SemiSyncSourceEnabled);
        Assert.Null(facts.SemiSyncSourceOn);
        Assert.Null(facts.BinlogExpireLogsSeconds);
    }

    private static NodeFacts[] Galera(int members) =>
        Clean(ServerFlavor.MariaDb).Select(n => n with { ReadOnly = false, Channels = [], ParallelWorkers = 1, Galera = true, GaleraClusterSize = members }).ToArray();

    [Theory]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(7)]
    public void A_galera_cluster_of_an_odd_size_with_writable_members_and_no_channels_yields_no_finding(int members) =>
        Assert.Empty(Evaluate(Galera(members), Options));

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public void A_galera_cluster_of_an_even_size_or_a_lone_member_is_a_warning(int members) =>
        Single(Evaluate(Galera(members), Options), FindingSeverity.Warning, "", Checks.GaleraClusterSize);
}
