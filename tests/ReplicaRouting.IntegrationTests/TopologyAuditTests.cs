using Dapper;
using MySqlConnector;
using ReplicaRouting.IntegrationTests.Infrastructure;
using Xunit.Abstractions;
using static ReplicaRouting.TopologyAudit;

namespace ReplicaRouting.IntegrationTests;

/// <summary>
/// The topology audit against the real servers: what their configuration (scripts/servers/*.sh) really yields, and real
/// faults injected for a moment (a stopped apply thread, a dead node, a user without the status privilege). Runs once per flavor.
/// </summary>
public abstract class TopologyAuditTests(TopologyFixture topology, ITestOutputHelper output) : IDisposable
{
    private readonly List<MySqlDataSource> _dataSources = [];

    public void Dispose()
    {
        foreach (var dataSource in _dataSources)
            dataSource.Dispose();
        GC.SuppressFinalize(this);
    }

    private bool IsMariaDb => topology.Flavor == TopologyConfig.MariaDb;

    private AuditTarget Target(string endpoint, bool isPrimary, string? connectionString = null)
    {
        var dataSource = new MySqlDataSource(connectionString ?? topology.Config.ConnectionString(endpoint));
        _dataSources.Add(dataSource);
        return new AuditTarget(endpoint, dataSource, isPrimary);
    }

    private AuditTarget[] Topology() =>
        [Target(topology.Config.PrimaryEndpoint, true), .. topology.Config.ReplicaEndpoints.Select(endpoint => Target(endpoint, false))];

    private async Task<IReadOnlyList<TopologyFinding>> AuditAsync(params AuditTarget[] targets)
    {
        var findings = await RunAsync(targets, new TopologyAuditOptions(), CancellationToken.None);
        foreach (var finding in findings)
            output.WriteLine($"{finding.Severity,-8} {(finding.Node.Length == 0 ? "(topology)" : finding.Node),-16} {finding.Check,-22} {finding.Message}");
        if (findings.Count == 0)
            output.WriteLine("(no findings)");
        return findings;
    }

    [Fact]
    public async Task Healthy_topology_has_no_critical_finding_and_exactly_the_configured_notes()
    {
        var findings = await AuditAsync(Topology());

        Assert.DoesNotContain(findings, f => f.Severity == FindingSeverity.Critical);
        // What the server scripts set up explicitly must pass: GTIDs, ROW, read-only replicas, logged replica updates, running threads.
        string[] configured = [Checks.GtidMode, Checks.GtidStrictMode, Checks.GtidPositioning, Checks.BinlogFormat, Checks.ReadOnly, Checks.SuperReadOnly,
            Checks.LogReplicaUpdates, Checks.LogBin, Checks.ReplicationThreads, Checks.ReplicationError, Checks.ServerIdUnique, Checks.Privileges, Checks.Reachable];
        Assert.DoesNotContain(findings, f => configured.Contains(f.Check));

        // The rest are the servers' defaults, which the scripts leave alone.
        var all = topology.Config.Nodes;
        var replicas = topology.Config.ReplicaEndpoints;
        var expected = IsMariaDb
            ? all.Select(n => (FindingSeverity.Warning, n, Checks.SyncBinlog))              // MariaDB's sync_binlog defaults to 0
                .Concat(all.Select(n => (FindingSeverity.Info, n, Checks.BinlogRetention))  // binlog_expire_logs_seconds = 0: never purged
                .Concat(replicas.Select(n => (FindingSeverity.Info, n, Checks.ParallelWorkers)))) // slave_parallel_threads = 0
            : [];   // MySQL 9.7: sync_binlog=1, 30 days of binlogs, 4 workers: nothing to say
        Assert.Equal(expected.Order(), findings.Select(f => (f.Severity, f.Node, f.Check)).Order());
    }

    [Fact]
    public async Task Stopped_apply_thread_is_a_critical_finding_for_that_replica_only()
    {
        var stopped = topology.Config.ReplicaEndpoints[0];
        var control = new ReplicaControl(topology);
        await control.StopApplyAsync(stopped);
        try
        {
            var findings = await AuditAsync(Topology());

            var critical = Assert.Single(findings, f => f.Severity == FindingSeverity.Critical);
            Assert.Equal((stopped, Checks.ReplicationThreads), (critical.Node, critical.Check));
            Assert.Contains("SQL thread: No", critical.Message, StringComparison.Ordinal);
            Assert.Contains(topology.Config.PrimaryEndpoint, critical.Message, StringComparison.Ordinal);
        }
        finally
        {
            await control.StartApplyAsync(stopped);
            await topology.WaitForReplicasAsync();
        }

        Assert.DoesNotContain(await AuditAsync(Topology()), f => f.Severity == FindingSeverity.Critical);
    }

    [Fact]
    public async Task Node_nobody_listens_on_is_critical_and_the_others_are_still_audited()
    {
        var dead = TopologyConfig.ClosedEndpoint();
        var findings = await AuditAsync([.. Topology(), Target(dead, false)]);

        var critical = Assert.Single(findings, f => f.Severity == FindingSeverity.Critical);
        Assert.Equal((dead, Checks.Reachable), (critical.Node, critical.Check));
        Assert.Equal(IsMariaDb, findings.Any(f => f.Node == topology.Config.PrimaryEndpoint && f.Check == Checks.SyncBinlog));
    }

    [Fact]
    public async Task User_without_the_status_privilege_gets_a_warning_naming_it_not_an_exception()
    {
        var primary = topology.Config.PrimaryEndpoint;
        var user = "rr_audit_" + Guid.NewGuid().ToString("N")[..8];
        const string password = "rr_audit_pw";
        await using (var admin = await topology.OpenAdminAsync(primary))
        {
            // Off the binary log: the replicas never see this user and the primary gains no GTID.
            await admin.ExecuteAsync(
                $"SET SESSION sql_log_bin = 0; CREATE USER '{user}'@'%' IDENTIFIED {(IsMariaDb ? "" : "WITH caching_sha2_password ")}BY '{password}'");
        }

        try
        {
            var connectionString = new MySqlConnectionStringBuilder(topology.Config.ConnectionString(primary))
            {
                UserID = user,
                Password = password,
                Database = "",   // it may use no database at all
                Pooling = false,
            }.ConnectionString;

            var findings = await AuditAsync(Target(primary, true, connectionString));

            var warning = Assert.Single(findings, f => f.Check == Checks.Privileges);
            Assert.Equal((FindingSeverity.Warning, primary), (warning.Severity, warning.Node));
            Assert.Contains(IsMariaDb ? "SLAVE MONITOR" : "REPLICATION CLIENT", warning.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(findings, f => f.Severity == FindingSeverity.Critical);
            // The settings were still read: the same durability facts as with the privileged user.
            Assert.Equal(IsMariaDb, findings.Any(f => f.Check == Checks.SyncBinlog));
        }
        finally
        {
            await using var admin = await topology.OpenAdminAsync(primary);
            await admin.ExecuteAsync($"SET SESSION sql_log_bin = 0; DROP USER IF EXISTS '{user}'@'%'");
        }
    }
}

[Collection(TopologyConfig.MariaDb), Trait("Flavor", TopologyConfig.MariaDb)]
public sealed class MariaDbTopologyAuditTests(MariaDbTopology topology, ITestOutputHelper output) : TopologyAuditTests(topology, output);

[Collection(TopologyConfig.MySql), Trait("Flavor", TopologyConfig.MySql)]
public sealed class MySqlTopologyAuditTests(MySqlTopology topology, ITestOutputHelper output) : TopologyAuditTests(topology, output);
