using ReplicaRouting.Internal;

namespace ReplicaRouting.Tests.Topology;

public class TopologyRulesAssessTests
{
    private const string Endpoint = "db1:3306";
    private static readonly TimeSpan MaxLag = TimeSpan.FromSeconds(5);
    private static readonly DateTimeOffset Earlier = new(2030, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Now = Earlier.AddSeconds(1);
    private static readonly NodeStatus Unprobed = NodeStatus.NotProbed(Endpoint, NodeRole.Replica);

    /// <summary>A healthy, replicating, read-only replica that is <paramref name="secondsBehind"/> behind.</summary>
    private static ProbeResult Replica(long? secondsBehind = 0) => new()
    {
        Reachable = true,
        ReadOnly = true,
        HasSource = true,
        IoRunning = true,
        SqlRunning = true,
        SecondsBehind = secondsBehind,
    };

    private static NodeStatus Assess(ProbeResult probe, NodeStatus? previous = null, int timeoutsInRow = 0, GtidPosition? position = null) =>
        TopologyRules.Assess(probe, previous ?? Unprobed, timeoutsInRow, MaxLag, position, Now);

    [Fact]
    public void A_writable_server_is_a_healthy_primary()
    {
        var position = MySqlGtidSet.Parse("3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5");
        var status = Assess(new ProbeResult { Reachable = true, ReadOnly = false }, NodeStatus.NotProbed(Endpoint, NodeRole.Replica), position: position);

        Assert.Equal(Endpoint, status.Endpoint);
        Assert.Equal(NodeRole.Primary, status.Role);
        Assert.Equal(NodeState.Healthy, status.State);
        Assert.Null(status.Lag);
        Assert.Null(status.LastError);
        Assert.Same(position, status.Position);
        Assert.Equal(Now, status.ProbedAt);
        Assert.False(status.SemiSyncDowngraded);
    }

    [Theory]
    [InlineData(1, null, 0)]       // Seconds_Behind 1 under a steady stream of writes: maybe milliseconds behind
    [InlineData(3, null, 2000)]    // surely two seconds behind: adaptive routing does not wait there for a younger write
    [InlineData(0, 1000, 1000)]    // a heartbeat measures to the sub-second: taken as it is
    public void Adaptive_routing_predicts_with_the_lag_the_replica_surely_has(long secondsBehind, int? heartbeatMs, int sureMs)
    {
        var status = Assess(Replica(secondsBehind) with { HeartbeatLag = heartbeatMs is { } ms ? TimeSpan.FromMilliseconds(ms) : null });
        Assert.Equal(TimeSpan.FromMilliseconds(sureMs), status.SureLag);
        Assert.Equal(heartbeatMs is { } measured ? TimeSpan.FromMilliseconds(measured) : TimeSpan.FromSeconds(secondsBehind), status.Lag);
    }

    [Fact]
    public void A_writable_server_with_a_replication_source_still_counts_as_a_primary()
    {
        // read_only is what decides: a replica someone made writable takes part in the writer choice (and can show split brain).
        var status = Assess(Replica() with { ReadOnly = false });
        Assert.Equal(NodeRole.Primary, status.Role);
        Assert.Equal(NodeState.Healthy, status.State);
    }

    [Theory]
    [InlineData(false, false, 0, false)]
    [InlineData(false, true, 2, false)]
    [InlineData(true, true, 2, false)]
    [InlineData(true, false, 2, true)]
    [InlineData(true, true, 0, true)]    // ON, but no semi-sync replica connected: nothing is acknowledged
    public void Semi_sync_is_downgraded_when_enabled_but_off_or_without_a_replica(bool enabled, bool active, long clients, bool downgraded)
    {
        var status = Assess(new ProbeResult { Reachable = true, ReadOnly = false, SemiSyncEnabled = enabled, SemiSyncActive = active, SemiSyncClients = clients });
        Assert.Equal(NodeRole.Primary, status.Role);
        Assert.Equal(downgraded, status.SemiSyncDowngraded);
    }

    [Fact]
    public void A_read_only_server_without_a_source_is_demoted()
    {
        var previous = new NodeStatus(Endpoint, NodeRole.Primary, NodeState.Healthy, null, null, null, Earlier);
        var status = Assess(new ProbeResult { Reachable = true, ReadOnly = true, HasSource = false }, previous);

        Assert.Equal(NodeRole.Demoted, status.Role);
        Assert.Null(status.Lag);
        Assert.Equal(Now, status.ProbedAt);
        Assert.Contains("not replicating", status.LastError);
    }

    [Fact]
    public void A_replication_error_makes_the_replica_broken_and_is_reported()
    {
        var status = Assess(Replica() with { SqlError = "error 1062: Duplicate entry '7' for key 'PRIMARY'" });

        Assert.Equal(NodeRole.Replica, status.Role);
        Assert.Equal(NodeState.Broken, status.State);
        Assert.Equal("error 1062: Duplicate entry '7' for key 'PRIMARY'", status.LastError);
        Assert.Equal(Now, status.ProbedAt);
    }

    [Fact]
    public void A_replication_error_wins_over_a_stopped_thread_in_the_report()
    {
        var status = Assess(Replica(secondsBehind: null) with { SqlRunning = false, SqlError = "error 1146: Table 'shop.x' doesn't exist" });
        Assert.Equal(NodeState.Broken, status.State);
        Assert.Contains("1146", status.LastError);
    }

    [Fact]
    public void A_stopped_io_thread_makes_the_replica_lagging_not_broken()
    {
        // Not receiving (its source is usually just unreachable): behind, but its data is consistent and the newest there
        // is when the primary is down.
        var status = Assess(Replica(secondsBehind: 0) with { IoRunning = false });
        Assert.Equal(NodeRole.Replica, status.Role);
        Assert.Equal(NodeState.Lagging, status.State);
        Assert.Contains("IO", status.LastError);
        Assert.Null(status.Lag);
    }

    [Fact]
    public void An_io_error_makes_the_replica_lagging_and_names_the_error()
    {
        var status = Assess(Replica(secondsBehind: null) with { IoRunning = false, IoError = "error 2003: error reconnecting to master" });
        Assert.Equal(NodeState.Lagging, status.State);
        Assert.Contains("2003", status.LastError);
    }

    [Fact]
    public void A_stopped_sql_thread_makes_the_replica_broken()
    {
        var status = Assess(Replica(secondsBehind: null) with { SqlRunning = false });
        Assert.Equal(NodeRole.Replica, status.Role);
        Assert.Equal(NodeState.Broken, status.State);
        Assert.Contains("SQL", status.LastError);
    }

    [Fact]
    public void A_stopped_thread_is_broken_even_when_the_heartbeat_looks_fresh()
    {
        var status = Assess(Replica(secondsBehind: null) with { SqlRunning = false, HeartbeatLag = TimeSpan.FromMilliseconds(10) });
        Assert.Equal(NodeState.Broken, status.State);
    }

    [Fact]
    public void Unknown_lag_is_lagging_never_zero()
    {
        var status = Assess(Replica(secondsBehind: null));

        Assert.Equal(NodeRole.Replica, status.Role);
        Assert.Equal(NodeState.Lagging, status.State);
        Assert.Null(status.Lag);
        Assert.Contains("unknown", status.LastError);
    }

    [Fact]
    public void Zero_seconds_behind_is_healthy_with_zero_lag()
    {
        var status = Assess(Replica(secondsBehind: 0));
        Assert.Equal(NodeState.Healthy, status.State);
        Assert.Equal(TimeSpan.Zero, status.Lag);
        Assert.Null(status.LastError);
        Assert.Equal(Now, status.ProbedAt);
    }

    [Fact]
    public void Lag_above_the_maximum_is_lagging()
    {
        var status = Assess(Replica(secondsBehind: 6));
        Assert.Equal(NodeRole.Replica, status.Role);
        Assert.Equal(NodeState.Lagging, status.State);
        Assert.Equal(TimeSpan.FromSeconds(6), status.Lag);
        Assert.Contains("6000 ms", status.LastError);
    }

    [Fact]
    public void Lag_at_the_maximum_is_still_healthy()
    {
        var status = Assess(Replica(secondsBehind: 5));
        Assert.Equal(NodeState.Healthy, status.State);
        Assert.Equal(MaxLag, status.Lag);
    }

    [Fact]
    public void The_heartbeat_is_preferred_over_seconds_behind()
    {
        var fresh = Assess(Replica(secondsBehind: 30) with { HeartbeatLag = TimeSpan.FromMilliseconds(250) });
        Assert.Equal(NodeState.Healthy, fresh.State);
        Assert.Equal(TimeSpan.FromMilliseconds(250), fresh.Lag);

        var behind = Assess(Replica(secondsBehind: 0) with { HeartbeatLag = TimeSpan.FromMilliseconds(5001) });
        Assert.Equal(NodeState.Lagging, behind.State);
        Assert.Equal(TimeSpan.FromMilliseconds(5001), behind.Lag);
    }

    [Fact]
    public void A_heartbeat_gives_a_lag_when_seconds_behind_is_null()
    {
        var status = Assess(Replica(secondsBehind: null) with { HeartbeatLag = TimeSpan.FromMilliseconds(40) });
        Assert.Equal(NodeState.Healthy, status.State);
        Assert.Equal(TimeSpan.FromMilliseconds(40), status.Lag);
    }

    [Theory]
    [InlineData(16L)]
    [InlineData(null)]
    public void A_replica_with_everything_the_primary_has_is_not_lagging_whatever_seconds_behind_says(long? secondsBehind)
    {
        var primary = MySqlGtidSet.Parse("5c5acb7d-e85e-11f1-80fa-02fc00000001:1-280431");
        var status = TopologyRules.Assess(Replica(secondsBehind), Unprobed, 0, MaxLag, MySqlGtidSet.Parse("5c5acb7d-e85e-11f1-80fa-02fc00000001:1-280431"), Now, primary);
        Assert.Equal(NodeState.Healthy, status.State);
        Assert.Equal(TimeSpan.Zero, status.Lag);
    }

    [Fact]
    public void A_replica_behind_the_primary_keeps_the_lag_it_reports()
    {
        var primary = MariaDbGtidPosition.Parse("0-1-200");
        var status = TopologyRules.Assess(Replica(secondsBehind: 16), Unprobed, 0, MaxLag, MariaDbGtidPosition.Parse("0-1-199"), Now, primary);
        Assert.Equal(NodeState.Lagging, status.State);
        Assert.Equal(TimeSpan.FromSeconds(16), status.Lag);
    }

    [Fact]
    public void Being_caught_up_does_not_hide_a_stopped_thread_or_override_a_heartbeat()
    {
        var primary = MariaDbGtidPosition.Parse("0-1-200");
        var position = MariaDbGtidPosition.Parse("0-1-200");
        var stopped = TopologyRules.Assess(Replica(secondsBehind: null) with { IoRunning = false }, Unprobed, 0, MaxLag, position, Now, primary);
        Assert.Equal(NodeState.Lagging, stopped.State);
        Assert.Null(stopped.Lag);

        var heartbeat = TopologyRules.Assess(Replica(secondsBehind: 16) with { HeartbeatLag = TimeSpan.FromMilliseconds(300) }, Unprobed, 0, MaxLag, position, Now, primary);
        Assert.Equal(TimeSpan.FromMilliseconds(300), heartbeat.Lag);
    }

    [Fact]
    public void A_replica_keeps_its_position()
    {
        var position = MariaDbGtidPosition.Parse("0-1-100");
        var status = Assess(Replica(), position: position);
        Assert.Same(position, status.Position);
    }

    [Theory]
    [InlineData(NodeRole.Primary, NodeState.Healthy)]
    [InlineData(NodeRole.Replica, NodeState.Healthy)]
    [InlineData(NodeRole.Replica, NodeState.Lagging)]
    [InlineData(NodeRole.Demoted, NodeState.Healthy)]
    public void A_single_timeout_keeps_the_previous_role_and_state(NodeRole role, NodeState state)
    {
        var previous = new NodeStatus(Endpoint, role, state, TimeSpan.FromMilliseconds(300), null, null, Earlier);
        var status = Assess(ProbeResult.Failed("no answer within 1000 ms", connectionFailed: false), previous, timeoutsInRow: 1);

        Assert.Equal(role, status.Role);
        Assert.Equal(state, status.State);
        Assert.Equal(TimeSpan.FromMilliseconds(300), status.Lag);
        Assert.Equal(Earlier, status.ProbedAt);   // the measurement keeps its age
        Assert.Equal("no answer within 1000 ms", status.LastError);
    }

    [Fact]
    public void A_single_timeout_before_any_answer_stays_unknown()
    {
        var status = Assess(ProbeResult.Failed("no answer within 1000 ms", connectionFailed: false), Unprobed, timeoutsInRow: 1);
        Assert.Equal(NodeState.Unknown, status.State);
        Assert.Null(status.ProbedAt);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void Two_timeouts_in_a_row_make_the_node_unreachable(int timeoutsInRow)
    {
        var previous = new NodeStatus(Endpoint, NodeRole.Primary, NodeState.Healthy, null, null, null, Earlier);
        var status = Assess(ProbeResult.Failed("no answer within 1000 ms", connectionFailed: false), previous, timeoutsInRow);

        Assert.Equal(NodeState.Unreachable, status.State);
        Assert.Equal(NodeRole.Primary, status.Role);
        Assert.Equal("no answer within 1000 ms", status.LastError);
        Assert.Null(status.Lag);
    }

    [Fact]
    public void An_unreachable_replica_forgets_its_lag()
    {
        var previous = new NodeStatus(Endpoint, NodeRole.Replica, NodeState.Healthy, TimeSpan.FromMilliseconds(100), null, null, Earlier);
        var status = Assess(ProbeResult.Failed("no answer within 1000 ms", connectionFailed: false), previous, timeoutsInRow: 2);
        Assert.Equal(NodeState.Unreachable, status.State);
        Assert.Null(status.Lag);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void A_refused_connection_is_unreachable_at_once(int timeoutsInRow)
    {
        var previous = new NodeStatus(Endpoint, NodeRole.Replica, NodeState.Healthy, TimeSpan.Zero, null, null, Earlier);
        var status = Assess(ProbeResult.Failed("Connection refused", connectionFailed: true), previous, timeoutsInRow);

        Assert.Equal(NodeState.Unreachable, status.State);
        Assert.Equal(NodeRole.Replica, status.Role);
        Assert.Equal("Connection refused", status.LastError);
    }

    [Fact]
    public void An_answer_after_being_unreachable_is_judged_afresh()
    {
        var previous = new NodeStatus(Endpoint, NodeRole.Replica, NodeState.Unreachable, null, null, "Connection refused", Earlier);
        var status = Assess(Replica(secondsBehind: 1), previous);
        Assert.Equal(NodeState.Healthy, status.State);
        Assert.Null(status.LastError);
        Assert.Equal(Now, status.ProbedAt);
    }
}
