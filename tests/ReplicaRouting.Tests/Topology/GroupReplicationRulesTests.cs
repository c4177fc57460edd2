using ReplicaRouting.Internal;
using static ReplicaRouting.TopologyAudit;

namespace ReplicaRouting.Tests.Topology;

/// <summary>How a Group Replication member is judged from its view of the group, and what the audit says about groups.</summary>
public sealed class GroupReplicationRulesTests
{
    private const string Endpoint = "db1:3306";
    private static readonly TimeSpan MaxLag = TimeSpan.FromSeconds(5);
    private static readonly DateTimeOffset Now = new(2030, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private static ProbeResult Member(string state, string role, int online = 3, int members = 3, bool readOnly = true, bool singlePrimary = true, long queue = 0, TimeSpan? applyingFor = null) => new()
    {
        Reachable = true,
        ReadOnly = readOnly,
        HasSource = true,   // the group's own channels: never judged as replication threads
        Group = new GroupView(state, role, online, members, singlePrimary, queue, applyingFor),
    };

    private static NodeStatus Assess(ProbeResult probe, bool groupWriter = true) =>
        TopologyRules.Assess(probe, NodeStatus.NotProbed(Endpoint, NodeRole.Replica), 0, MaxLag, position: null, Now, primaryPosition: null, groupWriter);

    [Fact]
    public void The_groups_primary_is_the_primary_whatever_was_configured()
    {
        var status = Assess(Member("ONLINE", "PRIMARY", readOnly: false));
        Assert.Equal((NodeRole.Primary, NodeState.Healthy), (status.Role, status.State));
    }

    [Fact]
    public void An_online_secondary_is_a_healthy_replica_its_lag_from_what_it_is_applying()
    {
        var idle = Assess(Member("ONLINE", "SECONDARY"));
        Assert.Equal((NodeRole.Replica, NodeState.Healthy, TimeSpan.Zero), (idle.Role, idle.State, idle.Lag));

        var behind = Assess(Member("ONLINE", "SECONDARY", queue: 40, applyingFor: TimeSpan.FromSeconds(9)));
        Assert.Equal((NodeRole.Replica, NodeState.Lagging, TimeSpan.FromSeconds(9)), (behind.Role, behind.State, behind.Lag));

        var unknown = Assess(Member("ONLINE", "SECONDARY", queue: 3));
        Assert.Equal((NodeState.Lagging, (TimeSpan?)null), (unknown.State, unknown.Lag));
    }

    [Theory]
    [InlineData("RECOVERING", NodeRole.Replica)]
    [InlineData("ERROR", NodeRole.Demoted)]
    [InlineData("OFFLINE", NodeRole.Demoted)]
    [InlineData("UNREACHABLE", NodeRole.Demoted)]
    public void A_member_that_is_not_online_gets_no_reads_and_no_writes(string state, NodeRole role)
    {
        var status = Assess(Member(state, "SECONDARY", readOnly: false));
        Assert.Equal((role, NodeState.Broken), (status.Role, status.State));
        Assert.Contains(state, status.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public void A_writable_primary_in_a_minority_is_demoted()
    {
        var status = Assess(Member("ONLINE", "PRIMARY", online: 1, members: 3, readOnly: false));
        Assert.Equal((NodeRole.Demoted, NodeState.Broken), (status.Role, status.State));
        Assert.Contains("quorum", status.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public void Multi_primary_writes_go_to_the_first_configured_member_that_can_commit_the_others_serve_reads()
    {
        ProbeResult[] results =
        [
            new() { Reachable = false, Error = "down" },
            Member("ONLINE", "PRIMARY", online: 2, readOnly: false, singlePrimary: false),
            Member("ONLINE", "PRIMARY", online: 2, readOnly: false, singlePrimary: false),
        ];
        Assert.Equal(1, GroupReplication.MultiPrimaryWriter(results));
        Assert.Equal(NodeRole.Primary, Assess(results[1], groupWriter: true).Role);
        Assert.Equal((NodeRole.Replica, NodeState.Healthy), (Assess(results[2], groupWriter: false).Role, Assess(results[2], groupWriter: false).State));
        Assert.Equal(-1, GroupReplication.MultiPrimaryWriter([Member("ONLINE", "PRIMARY", readOnly: false)]));   // single-primary: the group's choice
    }

    private static NodeFacts GroupMember(string endpoint, long serverId, bool configuredPrimary, bool readOnly, long? members = 3) => new(endpoint, configuredPrimary)
    {
        Flavor = ServerFlavor.MySql,
        ServerId = serverId,
        LogBin = true,
        GtidMode = "ON",
        BinlogFormat = "ROW",
        ReadOnly = readOnly,
        SuperReadOnly = readOnly,
        LogReplicaUpdates = true,
        SyncBinlog = 1,
        InnodbFlushLogAtTrxCommit = 1,
        BinlogExpireLogsSeconds = (long)TimeSpan.FromDays(7).TotalSeconds,
        ParallelWorkers = 4,
        SemiSyncSourceEnabled = true,
        SemiSyncSourceOn = false,   // would be a finding on a primary with replicas; a group does not use semi-sync
        Channels = [new("group_replication_applier", "", "No", "Yes", 0, "", 0, "", UsesGtidPositioning: true), new("group_replication_recovery", "", "No", "No", 0, "", 0, "", UsesGtidPositioning: true)],
        GroupName = "15151515-0000-4000-8000-000000000015",
        GroupMembers = members,
    };

    [Fact]
    public void A_healthy_group_of_three_yields_no_finding_even_after_the_group_elected_another_primary()
    {
        // Configured primary first, but the group elected the second member: roles, channels and semi-sync are the group's.
        NodeFacts[] nodes = [GroupMember("a:1", 1, true, readOnly: true), GroupMember("b:1", 2, false, readOnly: false), GroupMember("c:1", 3, false, readOnly: true)];
        Assert.Empty(Evaluate(nodes, new TopologyAuditOptions()));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(6)]
    public void A_group_of_an_even_size_or_of_one_member_is_a_finding(long size)
    {
        var finding = Assert.Single(Evaluate([GroupMember("a:1", 1, true, readOnly: false, members: size)], new TopologyAuditOptions()));
        Assert.Equal((FindingSeverity.Warning, "", Checks.GroupSize), (finding.Severity, finding.Node, finding.Check));
    }

    [Theory]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(7)]
    public void A_group_of_an_odd_size_is_fine(long size) =>
        Assert.Empty(Evaluate([GroupMember("a:1", 1, true, readOnly: false, members: size)], new TopologyAuditOptions()));

    [Fact]
    public void The_group_name_is_read_from_the_variables()
    {
        var variables = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["group_replication_group_name"] = "g" };
        Assert.Equal("g", NodeFacts.From("a:1", true, ServerFlavor.MySql, variables, new Dictionary<string, string>(), [], null).GroupName);
        variables["group_replication_group_name"] = "";   // the plugin loaded, no group configured
        Assert.Null(NodeFacts.From("a:1", true, ServerFlavor.MySql, variables, new Dictionary<string, string>(), [], null).GroupName);
    }
}
