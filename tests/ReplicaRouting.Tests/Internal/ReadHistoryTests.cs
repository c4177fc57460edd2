using Microsoft.Extensions.Time.Testing;
using MySqlConnector;
using ReplicaRouting.Internal;

namespace ReplicaRouting.Tests.Internal;

public sealed class ReadHistoryTests : IDisposable
{
    private readonly FakeTimeProvider _clock = new();
    private readonly RoutingNode _replica;
    private readonly ClusterState _cluster;

    public ReadHistoryTests()
    {
        _replica = new RoutingNode(1, RouteTarget.Replica, new MySqlDataSource("Server=replica1;Port=3306"), "replica1:3306", _clock);
        _cluster = new ClusterState("c1", _clock);
    }

    public void Dispose() => _replica.Dispose();

    [Fact]
    public void Nothing_read_means_no_constraint()
    {
        var (sticky, floor, _, known) = new ReadHistory().Plan(_cluster, _clock.GetUtcNow());
        Assert.Null(sticky);
        Assert.Null(floor);
        Assert.True(known);
    }

    [Fact]
    public void A_replica_read_sticks_and_counts_for_the_floor_only_once_probed_after_it_ended()
    {
        var history = new ReadHistory();
        history.Started(_replica, onPrimary: false);
        var probedDuringTheRead = _clock.GetTimestamp();
        _replica.ObserveAppliedPosition(Position("0-1-5"), probedDuringTheRead);
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        history.Ended(_replica, _clock.GetTimestamp());
        Assert.Equal((_replica, (GtidPosition?)null, false), Summary(history.Plan(_cluster, _clock.GetUtcNow())));   // that probe may predate what it saw

        _clock.Advance(TimeSpan.FromMilliseconds(1));
        _replica.ObserveAppliedPosition(Position("0-1-7"), _clock.GetTimestamp());
        Assert.Equal((_replica, Position("0-1-7"), true), Summary(history.Plan(_cluster, _clock.GetUtcNow())));
    }

    [Fact]
    public void A_read_still_running_is_not_in_the_floor()
    {
        var history = new ReadHistory();
        history.Started(_replica, onPrimary: false);
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        _replica.ObserveAppliedPosition(Position("0-1-9"), _clock.GetTimestamp());
        Assert.False(history.Plan(_cluster, _clock.GetUtcNow()).FloorKnown);
    }

    [Fact]
    public void A_primary_read_needs_a_read_of_the_primary_position_after_it_and_has_no_affinity()
    {
        var primary = new RoutingNode(0, RouteTarget.Primary, new MySqlDataSource("Server=primary;Port=3306"), "primary:3306", _clock);
        var history = new ReadHistory();
        history.Started(primary, onPrimary: true);
        history.Ended(primary, _clock.GetTimestamp());
        _cluster.ObservePrimaryPosition(Position("0-1-20"));   // a capture carries no time: it says nothing about that read
        Assert.Equal(((RoutingNode?)null, (GtidPosition?)null, false), Summary(history.Plan(_cluster, _clock.GetUtcNow())));

        _clock.Advance(TimeSpan.FromMilliseconds(1));
        _cluster.ObservePrimaryPosition(Position("0-1-21"), _clock.GetTimestamp());
        Assert.Equal(((RoutingNode?)null, Position("0-1-21"), true), Summary(history.Plan(_cluster, _clock.GetUtcNow())));
        primary.Dispose();
    }

    private static (RoutingNode? Sticky, GtidPosition? Floor, bool Known) Summary((RoutingNode? Sticky, GtidPosition? Floor, DateTimeOffset At, bool Known) plan) =>
        (plan.Sticky, plan.Floor, plan.Known);

    private static GtidPosition Position(string text) =>
        GtidPosition.TryParse(ServerFlavor.MariaDb, text, out var position) ? position : throw new FormatException(text);
}
