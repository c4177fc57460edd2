using Microsoft.Extensions.Time.Testing;
using ReplicaRouting.Internal;

namespace ReplicaRouting.Tests.Topology;

public sealed class TopologyReplicaSelectionTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(1);
    private readonly FakeTimeProvider _clock = new();
    private readonly RoutingNode[] _replicas;

    public TopologyReplicaSelectionTests() =>
        _replicas = [.. Enumerable.Range(1, 3).Select(i => TopologyTestNodes.Node(i, RouteTarget.Replica, _clock))];

    private DateTimeOffset Now => _clock.GetUtcNow();

    public void Dispose() => TopologyTestNodes.DisposeAll(_replicas);

    public static TheoryData<ReplicaSelectionPolicy, NodeState> PoliciesAndUnreadableStates()
    {
        var data = new TheoryData<ReplicaSelectionPolicy, NodeState>();
        foreach (var policy in Enum.GetValues<ReplicaSelectionPolicy>())
        {
            foreach (var state in new[] { NodeState.Broken, NodeState.Lagging, NodeState.Unreachable })
                data.Add(policy, state);
        }

        return data;
    }

    private HashSet<int> Picks(ReplicaSelector selector, int count, TimeSpan? maxStaleness = null) =>
        Enumerable.Range(0, count).Select(_ => selector.Select(_replicas, null, maxStaleness)?.Index ?? -1).ToHashSet();

    [Theory]
    [MemberData(nameof(PoliciesAndUnreadableStates))]
    public void An_unhealthy_replica_is_never_selected(ReplicaSelectionPolicy policy, NodeState state)
    {
        var selector = ReplicaSelector.Create(policy);
        _replicas[0].Probed(NodeRole.Replica, state, Now, state == NodeState.Lagging ? TimeSpan.FromMinutes(1) : null);
        _replicas[1].Probed(NodeRole.Replica, NodeState.Healthy, Now, TimeSpan.Zero);
        _replicas[2].Probed(NodeRole.Replica, state, Now, state == NodeState.Lagging ? TimeSpan.FromMinutes(1) : null);

        Assert.Equal([2], Picks(selector, 60));
        Assert.False(_replicas[0].IsReadable);
        Assert.True(_replicas[1].IsReadable);
    }

    [Theory]
    [MemberData(nameof(PoliciesAndUnreadableStates))]
    public void Only_unhealthy_replicas_means_none(ReplicaSelectionPolicy policy, NodeState state)
    {
        var selector = ReplicaSelector.Create(policy);
        foreach (var replica in _replicas)
            replica.Probed(NodeRole.Replica, state, Now);

        Assert.Equal([-1], Picks(selector, 20));
    }

    [Theory]
    [InlineData(ReplicaSelectionPolicy.RoundRobin)]
    [InlineData(ReplicaSelectionPolicy.Random)]
    [InlineData(ReplicaSelectionPolicy.LeastOutstanding)]
    public void Unprobed_replicas_are_selectable(ReplicaSelectionPolicy policy)
    {
        var selector = ReplicaSelector.Create(policy);
        Assert.All(_replicas, r => Assert.Equal(NodeState.Unknown, r.Status.State));
        Assert.Equal([1, 2, 3], Picks(selector, 200).Order());
    }

    [Theory]
    [InlineData(ReplicaSelectionPolicy.RoundRobin)]
    [InlineData(ReplicaSelectionPolicy.Random)]
    [InlineData(ReplicaSelectionPolicy.LeastOutstanding)]
    public void A_replica_that_recovers_is_selected_again(ReplicaSelectionPolicy policy)
    {
        var selector = ReplicaSelector.Create(policy);
        _replicas[0].Probed(NodeRole.Replica, NodeState.Broken, Now);
        Assert.DoesNotContain(1, Picks(selector, 60));

        _replicas[0].Probed(NodeRole.Replica, NodeState.Healthy, Now, TimeSpan.Zero);
        Assert.Contains(1, Picks(selector, 200));
    }

    [Fact]
    public void A_healthy_replica_in_a_connect_backoff_is_not_readable()
    {
        _replicas[0].Probed(NodeRole.Replica, NodeState.Healthy, Now, TimeSpan.Zero);
        _replicas[0].MarkUnavailable(TimeSpan.FromSeconds(5));
        Assert.False(_replicas[0].IsReadable);
        _clock.Advance(TimeSpan.FromSeconds(5));
        Assert.True(_replicas[0].IsReadable);
    }

    [Theory]
    [InlineData(NodeState.Unknown, true)]
    [InlineData(NodeState.Healthy, true)]
    [InlineData(NodeState.Lagging, false)]
    [InlineData(NodeState.Broken, false)]
    [InlineData(NodeState.Unreachable, false)]
    public void Only_healthy_or_unprobed_nodes_are_readable(NodeState state, bool readable)
    {
        _replicas[0].Status = _replicas[0].Status with { State = state };
        Assert.Equal(readable, _replicas[0].IsReadable);
    }

    [Fact]
    public void Freshness_is_lag_plus_the_age_of_the_measurement()
    {
        var replica = _replicas[0].Probed(NodeRole.Replica, NodeState.Healthy, Now, TimeSpan.FromMilliseconds(400));
        Assert.True(replica.IsFreshEnough(Bound));

        _clock.Advance(TimeSpan.FromMilliseconds(600));
        Assert.True(replica.IsFreshEnough(Bound));   // 400 + 600 = the bound exactly

        _clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.False(replica.IsFreshEnough(Bound));
    }

    [Fact]
    public void Unknown_lag_is_never_fresh_enough()
    {
        Assert.False(_replicas[0].IsFreshEnough(TimeSpan.FromHours(1)));   // never probed

        _replicas[1].Probed(NodeRole.Replica, NodeState.Lagging, Now, lag: null);
        Assert.False(_replicas[1].IsFreshEnough(TimeSpan.FromHours(1)));
    }

    [Theory]
    [InlineData(ReplicaSelectionPolicy.RoundRobin)]
    [InlineData(ReplicaSelectionPolicy.Random)]
    [InlineData(ReplicaSelectionPolicy.LeastOutstanding)]
    public void With_a_staleness_bound_only_fresh_replicas_qualify(ReplicaSelectionPolicy policy)
    {
        var selector = ReplicaSelector.Create(policy);
        _replicas[0].Probed(NodeRole.Replica, NodeState.Healthy, Now, TimeSpan.FromMilliseconds(100));
        _replicas[1].Probed(NodeRole.Replica, NodeState.Healthy, Now, TimeSpan.FromMilliseconds(700));
        _replicas[2].Probed(NodeRole.Replica, NodeState.Healthy, Now, TimeSpan.FromMilliseconds(1500));

        Assert.Equal([1, 2], Picks(selector, 100, Bound).Order());
        Assert.Equal([1, 2, 3], Picks(selector, 200).Order());   // without a bound, all healthy ones

        // The measurements age: 700 + 400 is past the bound, 100 + 400 is not.
        _clock.Advance(TimeSpan.FromMilliseconds(400));
        Assert.Equal([1], Picks(selector, 60, Bound));

        // And with no newer probe, eventually none qualifies: the read goes to the primary.
        _clock.Advance(TimeSpan.FromMilliseconds(501));
        Assert.Equal([-1], Picks(selector, 20, Bound));
        Assert.Equal([1, 2, 3], Picks(selector, 200).Order());
    }

    [Theory]
    [InlineData(ReplicaSelectionPolicy.RoundRobin)]
    [InlineData(ReplicaSelectionPolicy.Random)]
    [InlineData(ReplicaSelectionPolicy.LeastOutstanding)]
    public void With_a_staleness_bound_unprobed_replicas_do_not_qualify(ReplicaSelectionPolicy policy)
    {
        var selector = ReplicaSelector.Create(policy);
        Assert.Equal([-1], Picks(selector, 20, TimeSpan.FromHours(1)));

        _replicas[2].Probed(NodeRole.Replica, NodeState.Healthy, Now, TimeSpan.Zero);
        Assert.Equal([3], Picks(selector, 60, TimeSpan.FromHours(1)));
    }

    [Theory]
    [InlineData(ReplicaSelectionPolicy.RoundRobin)]
    [InlineData(ReplicaSelectionPolicy.Random)]
    [InlineData(ReplicaSelectionPolicy.LeastOutstanding)]
    public void A_fresh_but_unhealthy_replica_does_not_qualify(ReplicaSelectionPolicy policy)
    {
        var selector = ReplicaSelector.Create(policy);
        _replicas[0].Probed(NodeRole.Replica, NodeState.Broken, Now, TimeSpan.Zero);
        _replicas[1].Probed(NodeRole.Replica, NodeState.Healthy, Now, TimeSpan.Zero);
        _replicas[2].Probed(NodeRole.Replica, NodeState.Healthy, Now, TimeSpan.FromSeconds(2));

        Assert.Equal([2], Picks(selector, 60, Bound));
    }

    [Theory]
    [InlineData(ReplicaSelectionPolicy.RoundRobin)]
    [InlineData(ReplicaSelectionPolicy.Random)]
    [InlineData(ReplicaSelectionPolicy.LeastOutstanding)]
    public void A_measurement_kept_through_one_timeout_still_ages(ReplicaSelectionPolicy policy)
    {
        var selector = ReplicaSelector.Create(policy);
        _replicas[0].Probed(NodeRole.Replica, NodeState.Healthy, Now, TimeSpan.FromMilliseconds(200));
        _replicas[1].Probed(NodeRole.Replica, NodeState.Lagging, Now, TimeSpan.FromSeconds(30));
        _replicas[2].Probed(NodeRole.Replica, NodeState.Lagging, Now, TimeSpan.FromSeconds(30));

        _clock.Advance(TimeSpan.FromMilliseconds(900));
        _replicas[0].Status = TopologyRules.Assess(ProbeResult.Failed("no answer", connectionFailed: false), _replicas[0].Status, 1, TimeSpan.FromSeconds(5), null, Now);
        Assert.Equal(NodeState.Healthy, _replicas[0].Status.State);
        Assert.Equal([1], Picks(selector, 30));                 // still readable without a bound
        Assert.Equal([-1], Picks(selector, 30, Bound));         // but 200 ms measured 900 ms ago is 1.1 s stale
    }

    [Fact]
    public void Least_outstanding_picks_the_idlest_among_the_qualifying()
    {
        var selector = ReplicaSelector.Create(ReplicaSelectionPolicy.LeastOutstanding);
        _replicas[0].Probed(NodeRole.Replica, NodeState.Lagging, Now, TimeSpan.FromMinutes(1));   // idle but lagging
        _replicas[1].Probed(NodeRole.Replica, NodeState.Healthy, Now, TimeSpan.Zero);
        _replicas[2].Probed(NodeRole.Replica, NodeState.Healthy, Now, TimeSpan.Zero);
        _replicas[1].CommandStarted();
        _replicas[2].CommandStarted();
        _replicas[2].CommandStarted();

        Assert.Equal([2], Picks(selector, 30));
    }
}
