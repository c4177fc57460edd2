namespace ReplicaRouting.Internal;

/// <summary>The monitor's judgement, as pure functions: a probe result becomes a node status, node statuses name the writer.</summary>
internal static class TopologyRules
{
    /// <summary>Timeouts in a row before a silent (not refusing) server counts as unreachable.</summary>
    public const int TimeoutsBeforeUnreachable = 2;

    /// <summary>What a probe says about a node.</summary>
    /// <param name="probe">What the probe read.</param>
    /// <param name="previous">The node's last status: a server that merely timed out once keeps it.</param>
    /// <param name="timeoutsInRow">Timeouts in a row including this probe's.</param>
    /// <param name="maxReplicaLag">Lag above this makes a replica Lagging.</param>
    /// <param name="position">The probe's GTID position, parsed.</param>
    /// <param name="now">When the probe answered.</param>
    /// <param name="primaryPosition">The writable primary's position in the same probe round, when there is exactly one.</param>
    /// <param name="groupWriter">A multi-primary group member: whether it is the one chosen for writes.</param>
    public static NodeStatus Assess(ProbeResult probe, NodeStatus previous, int timeoutsInRow, TimeSpan maxReplicaLag, GtidPosition? position, DateTimeOffset now, GtidPosition? primaryPosition = null, bool groupWriter = true)
    {
        if (!probe.Reachable)
        {
            if (!probe.ConnectionFailed && timeoutsInRow < TimeoutsBeforeUnreachable)
                return previous with { LastError = probe.Error };
            return previous with { State = NodeState.Unreachable, LastError = probe.Error, Lag = null };
        }

        if (probe.Group is { } group)
            return GroupReplication.Assess(probe, group, previous, maxReplicaLag, position, now, primaryPosition, groupWriter);

        if (!probe.ReadOnly)
        {
            return new NodeStatus(previous.Endpoint, NodeRole.Primary, NodeState.Healthy, Lag: null, position, LastError: null, now,
                // Off, or on without a semi-sync replica connected (a primary told not to wait without replicas still says ON).
                SemiSyncDowngraded: probe.SemiSyncEnabled && (!probe.SemiSyncActive || probe.SemiSyncClients == 0));
        }

        if (!probe.HasSource)
            return new NodeStatus(previous.Endpoint, NodeRole.Demoted, NodeState.Healthy, Lag: null, position, "read-only and not replicating", now);

        // A heartbeat gives sub-second lag; Seconds_Behind_* NULL means unknown, never zero.
        var lag = probe.HeartbeatLag ?? (probe.SecondsBehind is { } seconds ? TimeSpan.FromSeconds(seconds) : null);
        if (probe.SqlError is not null || !probe.SqlRunning || probe.IoError is not null || !probe.IoRunning)
            lag = probe.HeartbeatLag;   // Seconds_Behind_* means nothing while a thread is down
        else if (probe.HeartbeatLag is null && position is not null && primaryPosition is not null && primaryPosition.IsSatisfiedBy(position))
            lag = TimeSpan.Zero;   // it has everything the primary had: Seconds_Behind_* can lag behind that (MySQL 9.7 said 16 s here)
        // Apply problems break a replica (its data stops, or diverged). Receive problems only make it fall behind: its source
        // is usually just unreachable, and while no primary is writable its data is the newest there is.
        var (state, error) = probe switch
        {
            { SqlError: { } sqlError } => (NodeState.Broken, sqlError),
            { SqlRunning: false } => (NodeState.Broken, "the replication SQL (apply) thread is not running"),
            { IoError: { } ioError } => (NodeState.Lagging, $"not receiving from its source: {ioError}"),
            { IoRunning: false } => (NodeState.Lagging, "not receiving from its source: the replication IO thread is not running"),
            _ when lag is null => (NodeState.Lagging, "lag is unknown"),
            _ when lag > maxReplicaLag => (NodeState.Lagging, $"lag {lag.Value.TotalMilliseconds:0} ms is above {maxReplicaLag.TotalMilliseconds:0} ms"),
            _ => (NodeState.Healthy, (string?)null),
        };
        return new NodeStatus(previous.Endpoint, NodeRole.Replica, state, lag, position, error, now);
    }

    /// <summary>
    /// The one writable node, or none: before any probe answered, the configured primary; then the single reachable node with
    /// read_only off. None when no node is writable (a failover under way, or the primary is down), or when two are (split brain).
    /// </summary>
    public static (RoutingNode? Writer, string? Problem, bool SplitBrain) ChooseWriter(RoutingNode[] nodes, RoutingNode configuredPrimary)
    {
        RoutingNode? writer = null;
        List<string>? writable = null;
        foreach (var node in nodes)
        {
            var status = node.Status;
            if (status is { Role: NodeRole.Primary, State: not NodeState.Unreachable, ProbedAt: not null })
            {
                if (writer is not null)
                    (writable ??= [writer.Endpoint]).Add(node.Endpoint);
                writer ??= node;
            }
        }

        if (writable is not null)
            return (null, $"split brain: {string.Join(" and ", writable)} are all writable; writes are refused until only one is", true);
        if (writer is not null)
            return (writer, null, false);
        if (configuredPrimary.Status.State == NodeState.Unknown)
            return (configuredPrimary, null, false);   // not judged yet: trust the configuration

        var unreachable = nodes.Where(n => n.Status.State == NodeState.Unreachable).Select(n => n.Endpoint).ToArray();
        return (null, unreachable.Length == 0
            ? "no node is writable (every node is read-only: a failover may be under way)"
            : $"no reachable node is writable (unreachable: {string.Join(", ", unreachable)})", false);
    }

    /// <summary>The nodes reads may go to: every node but the writer that replicates (or, unprobed, was configured as a replica).</summary>
    public static RoutingNode[] ChooseReaders(RoutingNode[] nodes, RoutingNode? writer) =>
        nodes.Where(n => n != writer && (n.Status.Role == NodeRole.Replica || (n.Status.State == NodeState.Unknown && n.Role == RouteTarget.Replica))).ToArray();
}
