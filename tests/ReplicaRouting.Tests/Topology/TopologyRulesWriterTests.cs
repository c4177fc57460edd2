using Microsoft.Extensions.Time.Testing;
using ReplicaRouting.Internal;

namespace ReplicaRouting.Tests.Topology;

public sealed class TopologyRulesWriterTests : IDisposable
{
    private readonly FakeTimeProvider _clock = new();
    private readonly RoutingNode[] _nodes;

    public TopologyRulesWriterTests() => _nodes = TopologyTestNodes.Cluster(_clock, replicas: 2);

    private RoutingNode Primary => _nodes[0];

    private DateTimeOffset Now => _clock.GetUtcNow();

    public void Dispose() => TopologyTestNodes.DisposeAll(_nodes);

    [Fact]
    public void Before_any_probe_the_configured_primary_is_the_writer()
    {
        var (writer, problem, splitBrain) = TopologyRules.ChooseWriter(_nodes, Primary);
        Assert.Same(Primary, writer);
        Assert.Null(problem);
        Assert.False(splitBrain);
    }

    [Fact]
    public void The_configured_primary_found_writable_is_the_writer()
    {
        Primary.Probed(NodeRole.Primary, NodeState.Healthy, Now);
        _nodes[1].Probed(NodeRole.Replica, NodeState.Healthy, Now, TimeSpan.Zero);
        _nodes[2].Probed(NodeRole.Replica, NodeState.Lagging, Now, TimeSpan.FromMinutes(1));

        var (writer, problem, splitBrain) = TopologyRules.ChooseWriter(_nodes, Primary);
        Assert.Same(Primary, writer);
        Assert.Null(problem);
        Assert.False(splitBrain);
    }

    [Fact]
    public void The_one_writable_node_is_the_writer_even_when_configured_as_a_replica()
    {
        Primary.Probed(NodeRole.Replica, NodeState.Healthy, Now, TimeSpan.Zero);
        _nodes[1].Probed(NodeRole.Replica, NodeState.Healthy, Now, TimeSpan.Zero);
        _nodes[2].Probed(NodeRole.Primary, NodeState.Healthy, Now);

        var (writer, problem, splitBrain) = TopologyRules.ChooseWriter(_nodes, Primary);
        Assert.Same(_nodes[2], writer);
        Assert.Null(problem);
        Assert.False(splitBrain);
    }

    [Fact]
    public void Two_writable_nodes_are_split_brain_and_no_writer()
    {
        Primary.Probed(NodeRole.Primary, NodeState.Healthy, Now);
        _nodes[1].Probed(NodeRole.Replica, NodeState.Healthy, Now, TimeSpan.Zero);
        _nodes[2].Probed(NodeRole.Primary, NodeState.Healthy, Now);

        var (writer, problem, splitBrain) = TopologyRules.ChooseWriter(_nodes, Primary);
        Assert.Null(writer);
        Assert.True(splitBrain);
        Assert.NotNull(problem);
        Assert.Contains("split brain", problem);
        Assert.Contains(Primary.Endpoint, problem);
        Assert.Contains(_nodes[2].Endpoint, problem);
        Assert.DoesNotContain(_nodes[1].Endpoint, problem);
    }

    [Fact]
    public void Three_writable_nodes_are_all_named()
    {
        foreach (var node in _nodes)
            node.Probed(NodeRole.Primary, NodeState.Healthy, Now);

        var (writer, problem, splitBrain) = TopologyRules.ChooseWriter(_nodes, Primary);
        Assert.Null(writer);
        Assert.True(splitBrain);
        Assert.All(_nodes, n => Assert.Contains(n.Endpoint, problem));
        Assert.Equal(3, _nodes.Count(n => problem!.Split(n.Endpoint).Length == 2));   // each named once
    }

    [Fact]
    public void No_writable_node_with_an_unreachable_one_names_it()
    {
        Primary.Probed(NodeRole.Primary, NodeState.Unreachable, Now.AddSeconds(-3));
        _nodes[1].Probed(NodeRole.Replica, NodeState.Healthy, Now, TimeSpan.Zero);
        _nodes[2].Probed(NodeRole.Replica, NodeState.Healthy, Now, TimeSpan.Zero);

        var (writer, problem, splitBrain) = TopologyRules.ChooseWriter(_nodes, Primary);
        Assert.Null(writer);
        Assert.False(splitBrain);
        Assert.NotNull(problem);
        Assert.Contains("unreachable", problem);
        Assert.Contains(Primary.Endpoint, problem);
        Assert.DoesNotContain(_nodes[1].Endpoint, problem);
    }

    [Fact]
    public void A_configured_primary_that_refused_its_first_probe_is_not_the_writer()
    {
        // It never answered (ProbedAt stays null), but the replicas did: the primary is known to be down.
        Primary.Status = TopologyRules.Assess(ProbeResult.Failed("Connection refused", connectionFailed: true), Primary.Status, 0, TimeSpan.FromSeconds(5), null, Now);
        _nodes[1].Probed(NodeRole.Replica, NodeState.Healthy, Now, TimeSpan.Zero);
        _nodes[2].Probed(NodeRole.Replica, NodeState.Healthy, Now, TimeSpan.Zero);

        var (writer, problem, _) = TopologyRules.ChooseWriter(_nodes, Primary);
        Assert.Null(writer);
        Assert.Contains(Primary.Endpoint, problem);
    }

    [Fact]
    public void Every_node_read_only_means_no_writer_and_a_problem()
    {
        Primary.Probed(NodeRole.Demoted, NodeState.Healthy, Now);
        _nodes[1].Probed(NodeRole.Replica, NodeState.Healthy, Now, TimeSpan.Zero);
        _nodes[2].Probed(NodeRole.Replica, NodeState.Healthy, Now, TimeSpan.Zero);

        var (writer, problem, splitBrain) = TopologyRules.ChooseWriter(_nodes, Primary);
        Assert.Null(writer);
        Assert.False(splitBrain);
        Assert.NotNull(problem);
        Assert.Contains("read-only", problem);
    }

    [Fact]
    public void An_unreachable_node_that_was_primary_is_not_the_writer()
    {
        Primary.Probed(NodeRole.Primary, NodeState.Unreachable, Now.AddSeconds(-2));
        _nodes[1].Probed(NodeRole.Primary, NodeState.Healthy, Now);
        _nodes[2].Probed(NodeRole.Replica, NodeState.Healthy, Now, TimeSpan.Zero);

        var (writer, problem, splitBrain) = TopologyRules.ChooseWriter(_nodes, Primary);
        Assert.Same(_nodes[1], writer);
        Assert.Null(problem);
        Assert.False(splitBrain);
    }

    [Fact]
    public void A_primary_that_timed_out_once_is_still_the_writer()
    {
        Primary.Probed(NodeRole.Primary, NodeState.Healthy, Now);
        _nodes[1].Probed(NodeRole.Replica, NodeState.Healthy, Now, TimeSpan.Zero);
        _clock.Advance(TimeSpan.FromSeconds(1));
        Primary.Status = TopologyRules.Assess(ProbeResult.Failed("no answer", connectionFailed: false), Primary.Status, 1, TimeSpan.FromSeconds(5), null, Now);

        Assert.Same(Primary, TopologyRules.ChooseWriter(_nodes, Primary).Writer);

        Primary.Status = TopologyRules.Assess(ProbeResult.Failed("no answer", connectionFailed: false), Primary.Status, 2, TimeSpan.FromSeconds(5), null, Now);
        Assert.Null(TopologyRules.ChooseWriter(_nodes, Primary).Writer);
    }

    [Fact]
    public void Replicas_probed_before_the_configured_primary_leave_it_the_writer()
    {
        // The configured primary has not answered yet (one timeout): it is assumed to be what it was configured as.
        _nodes[1].Probed(NodeRole.Replica, NodeState.Healthy, Now, TimeSpan.Zero);
        _nodes[2].Probed(NodeRole.Replica, NodeState.Healthy, Now, TimeSpan.Zero);

        var (writer, problem, splitBrain) = TopologyRules.ChooseWriter(_nodes, Primary);
        Assert.Same(Primary, writer);
        Assert.Null(problem);
        Assert.False(splitBrain);
    }

    [Fact]
    public void Readers_exclude_the_writer_and_demoted_nodes()
    {
        Primary.Probed(NodeRole.Demoted, NodeState.Healthy, Now);
        _nodes[1].Probed(NodeRole.Primary, NodeState.Healthy, Now);
        _nodes[2].Probed(NodeRole.Replica, NodeState.Healthy, Now, TimeSpan.Zero);

        Assert.Equal([_nodes[2]], TopologyRules.ChooseReaders(_nodes, _nodes[1]));
    }

    [Fact]
    public void Before_any_probe_the_readers_are_the_configured_replicas()
    {
        Assert.Equal(_nodes[1..], TopologyRules.ChooseReaders(_nodes, Primary));
        // Even without a writer, an unprobed configured primary takes no reads.
        Assert.Equal(_nodes[1..], TopologyRules.ChooseReaders(_nodes, null));
    }

    [Fact]
    public void Readers_include_unprobed_configured_replicas()
    {
        Primary.Probed(NodeRole.Primary, NodeState.Healthy, Now);
        _nodes[1].Probed(NodeRole.Replica, NodeState.Healthy, Now, TimeSpan.Zero);

        Assert.Equal(_nodes[1..], TopologyRules.ChooseReaders(_nodes, Primary));
    }

    [Theory]
    [InlineData(NodeState.Broken)]
    [InlineData(NodeState.Lagging)]
    [InlineData(NodeState.Unreachable)]
    public void Readers_include_unhealthy_replicas_the_selector_skips_per_read(NodeState state)
    {
        Primary.Probed(NodeRole.Primary, NodeState.Healthy, Now);
        _nodes[1].Probed(NodeRole.Replica, state, Now);
        _nodes[2].Probed(NodeRole.Replica, NodeState.Healthy, Now, TimeSpan.Zero);

        Assert.Equal(_nodes[1..], TopologyRules.ChooseReaders(_nodes, Primary));
    }

    [Fact]
    public void After_a_failover_the_old_primary_replicating_again_takes_reads()
    {
        Primary.Probed(NodeRole.Replica, NodeState.Healthy, Now, TimeSpan.Zero);
        _nodes[1].Probed(NodeRole.Primary, NodeState.Healthy, Now);
        _nodes[2].Probed(NodeRole.Replica, NodeState.Healthy, Now, TimeSpan.Zero);

        var (writer, _, _) = TopologyRules.ChooseWriter(_nodes, Primary);
        Assert.Same(_nodes[1], writer);
        Assert.Equal([Primary, _nodes[2]], TopologyRules.ChooseReaders(_nodes, writer));
    }

    [Fact]
    public void Split_brain_nodes_take_no_reads()
    {
        Primary.Probed(NodeRole.Primary, NodeState.Healthy, Now);
        _nodes[1].Probed(NodeRole.Primary, NodeState.Healthy, Now);
        _nodes[2].Probed(NodeRole.Replica, NodeState.Healthy, Now, TimeSpan.Zero);

        Assert.Equal([_nodes[2]], TopologyRules.ChooseReaders(_nodes, null));
    }

    [Fact]
    public void An_unreachable_former_primary_takes_no_reads()
    {
        Primary.Probed(NodeRole.Primary, NodeState.Unreachable, Now);
        _nodes[1].Probed(NodeRole.Primary, NodeState.Healthy, Now);
        _nodes[2].Probed(NodeRole.Replica, NodeState.Healthy, Now, TimeSpan.Zero);

        Assert.Equal([_nodes[2]], TopologyRules.ChooseReaders(_nodes, _nodes[1]));
    }
}
