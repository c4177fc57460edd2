using Microsoft.Extensions.Time.Testing;
using MySqlConnector;
using ReplicaRouting.Internal;

namespace ReplicaRouting.Tests.Internal;

public sealed class ReplicaSelectorTests : IDisposable
{
    private readonly FakeTimeProvider _clock = new();
    private readonly RoutingNode[] _replicas;

    public ReplicaSelectorTests() => _replicas = [Node(1), Node(2), Node(3)];

    public void Dispose()
    {
        foreach (var node in _replicas)
            node.Dispose();
    }

    [Fact]
    public void Round_robin_takes_replicas_in_turn()
    {
        var selector = ReplicaSelector.Create(ReplicaSelectionPolicy.RoundRobin);
        var picks = Enumerable.Range(0, 6).Select(_ => selector.Select(_replicas, null)!.Index).ToArray();
        Assert.Equal(picks[..3].Order(), new[] { 1, 2, 3 });
        Assert.Equal(picks[..3], picks[3..]);
    }

    [Theory]
    [InlineData(ReplicaSelectionPolicy.RoundRobin)]
    [InlineData(ReplicaSelectionPolicy.Random)]
    [InlineData(ReplicaSelectionPolicy.LeastOutstanding)]
    public void Unavailable_replicas_are_skipped_until_their_backoff_ends(ReplicaSelectionPolicy policy)
    {
        var selector = ReplicaSelector.Create(policy);
        _replicas[0].MarkUnavailable(TimeSpan.FromSeconds(5));
        _replicas[2].MarkUnavailable(TimeSpan.FromSeconds(10));
        for (var i = 0; i < 20; i++)
            Assert.Same(_replicas[1], selector.Select(_replicas, null));

        _clock.Advance(TimeSpan.FromSeconds(5));
        var picks = Enumerable.Range(0, 40).Select(_ => selector.Select(_replicas, null)!.Index).ToHashSet();
        Assert.Equal([1, 2], picks.Order());

        _clock.Advance(TimeSpan.FromSeconds(5));
        picks = Enumerable.Range(0, 60).Select(_ => selector.Select(_replicas, null)!.Index).ToHashSet();
        Assert.Equal([1, 2, 3], picks.Order());
    }

    [Theory]
    [InlineData(ReplicaSelectionPolicy.RoundRobin)]
    [InlineData(ReplicaSelectionPolicy.Random)]
    [InlineData(ReplicaSelectionPolicy.LeastOutstanding)]
    public void No_available_replica_means_null(ReplicaSelectionPolicy policy)
    {
        var selector = ReplicaSelector.Create(policy);
        Assert.Null(selector.Select([], null));
        foreach (var node in _replicas)
            node.MarkUnavailable(TimeSpan.FromSeconds(1));
        Assert.Null(selector.Select(_replicas, null));
    }

    [Theory]
    [InlineData(ReplicaSelectionPolicy.RoundRobin)]
    [InlineData(ReplicaSelectionPolicy.Random)]
    [InlineData(ReplicaSelectionPolicy.LeastOutstanding)]
    public void The_excluded_replica_is_never_chosen(ReplicaSelectionPolicy policy)
    {
        var selector = ReplicaSelector.Create(policy);
        for (var i = 0; i < 50; i++)
            Assert.NotSame(_replicas[1], selector.Select(_replicas, _replicas[1]));
        Assert.Null(selector.Select(_replicas[1..2], _replicas[1]));
    }

    [Fact]
    public void Least_outstanding_takes_the_idlest_and_spreads_ties()
    {
        var selector = ReplicaSelector.Create(ReplicaSelectionPolicy.LeastOutstanding);
        _replicas[0].CommandStarted();
        _replicas[0].CommandStarted();
        _replicas[2].CommandStarted();
        for (var i = 0; i < 10; i++)
            Assert.Same(_replicas[1], selector.Select(_replicas, null));

        _replicas[0].CommandEnded();
        _replicas[0].CommandEnded();
        _replicas[2].CommandEnded();
        var picks = Enumerable.Range(0, 30).Select(_ => selector.Select(_replicas, null)!.Index).ToHashSet();
        Assert.Equal([1, 2, 3], picks.Order());
    }

    [Fact]
    public void Random_uses_every_replica()
    {
        var selector = ReplicaSelector.Create(ReplicaSelectionPolicy.Random);
        var counts = new int[4];
        for (var i = 0; i < 3000; i++)
            counts[selector.Select(_replicas, null)!.Index]++;
        Assert.All(counts[1..], c => Assert.InRange(c, 700, 1300));
    }

    [Fact]
    public void Selecting_allocates_nothing()
    {
        foreach (var policy in Enum.GetValues<ReplicaSelectionPolicy>())
        {
            var selector = ReplicaSelector.Create(policy);
            selector.Select(_replicas, null);
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 1000; i++)
                selector.Select(_replicas, _replicas[0]);
            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        }
    }

    private RoutingNode Node(int index) =>
        new(index, RouteTarget.Replica, new MySqlDataSource($"Server=replica{index};Port=3306"), $"replica{index}:3306", _clock);
}
