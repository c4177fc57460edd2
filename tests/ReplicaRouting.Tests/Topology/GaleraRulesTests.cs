using ReplicaRouting.Internal;

namespace ReplicaRouting.Tests.Topology;

/// <summary>Galera's judgement as pure functions: who writes, and what each member's wsrep state means for routing.</summary>
public class GaleraRulesTests
{
    private static readonly DateTimeOffset Now = new(2030, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly GaleraProbe Synced = new(GaleraProbe.Synced, "Synced", Ready: true, PrimaryComponent: true, ClusterSize: 3, RecvQueue: 0, FlowControlPaused: 0);

    private static ProbeResult Member(GaleraProbe galera) => new() { Reachable = true, ReadOnly = false, Galera = galera };

    private static readonly ProbeResult Desynced = Member(Synced with { LocalState = GaleraProbe.DonorDesynced, LocalStateComment = "Donor/Desynced" });
    private static readonly ProbeResult NonPrimary = Member(Synced with { LocalState = 0, LocalStateComment = "Initialized", Ready = false, PrimaryComponent = false, ClusterSize = 1 });
    private static readonly ProbeResult Down = ProbeResult.Failed("Connection refused", connectionFailed: true);

    [Fact]
    public void The_configured_primary_writes_while_it_is_synced_in_the_primary_component()
    {
        var (index, reason) = Galera.ChooseWriter([Member(Synced), Member(Synced), Member(Synced)])!.Value;
        Assert.Equal(0, index);
        Assert.Contains("configured primary", reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("desynced")]
    [InlineData("non-primary")]
    [InlineData("down")]
    public void Otherwise_the_first_configured_member_that_is_synced_writes(string primary)
    {
        var first = primary switch { "desynced" => Desynced, "non-primary" => NonPrimary, _ => Down };
        var (index, reason) = Galera.ChooseWriter([first, NonPrimary, Member(Synced)])!.Value;
        Assert.Equal(2, index);
        Assert.Contains("first configured member", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_a_synced_member_in_the_primary_component_there_is_no_writer()
    {
        var (index, reason) = Galera.ChooseWriter([NonPrimary, NonPrimary, Down])!.Value;
        Assert.Equal(-1, index);
        Assert.False(string.IsNullOrEmpty(reason));
    }

    [Fact]
    public void Servers_without_wsrep_are_not_a_galera_cluster() =>
        Assert.Null(Galera.ChooseWriter([new ProbeResult { Reachable = true, ReadOnly = false }, new ProbeResult { Reachable = true, ReadOnly = true, HasSource = true }]));

    [Fact]
    public void The_chosen_writer_is_the_primary_and_other_synced_members_serve_reads()
    {
        var previous = NodeStatus.NotProbed("db1:3306", NodeRole.Replica);
        var writer = TopologyRules.Assess(Member(Synced), previous, 0, TimeSpan.FromSeconds(5), null, Now, galeraWriter: true);
        var reader = TopologyRules.Assess(Member(Synced), previous, 0, TimeSpan.FromSeconds(5), null, Now, galeraWriter: false);
        Assert.Equal((NodeRole.Primary, NodeState.Healthy), (writer.Role, writer.State));
        Assert.Equal((NodeRole.Replica, NodeState.Healthy), (reader.Role, reader.State));
    }

    [Fact]
    public void A_member_outside_the_primary_component_gets_nothing_and_a_desynced_one_no_reads()
    {
        var previous = NodeStatus.NotProbed("db1:3306", NodeRole.Replica);
        var outside = TopologyRules.Assess(NonPrimary, previous, 0, TimeSpan.FromSeconds(5), null, Now);
        var desynced = TopologyRules.Assess(Desynced, previous, 0, TimeSpan.FromSeconds(5), null, Now);
        Assert.Equal((NodeRole.Replica, NodeState.Broken), (outside.Role, outside.State));
        Assert.Contains("primary component", outside.LastError, StringComparison.Ordinal);
        Assert.Equal((NodeRole.Replica, NodeState.Lagging), (desynced.Role, desynced.State));
        Assert.Contains("Donor/Desynced", desynced.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public void A_desynced_member_reads_when_configured_to_and_a_joining_or_partitioned_one_still_does_not()
    {
        var previous = NodeStatus.NotProbed("db1:3306", NodeRole.Replica);
        NodeStatus Assess(ProbeResult probe) => TopologyRules.Assess(probe, previous, 0, TimeSpan.FromSeconds(5), null, Now, galeraDesyncedReads: true);
        var joining = Member(Synced with { LocalState = 1, LocalStateComment = "Joining" });
        Assert.Equal(NodeState.Healthy, Assess(Desynced).State);
        Assert.Equal(NodeState.Lagging, Assess(joining).State);
        Assert.Equal(NodeState.Broken, Assess(NonPrimary).State);
    }
}
