using ReplicaRouting.Internal;

namespace ReplicaRouting;

/// <summary>
/// What a data source knows about its servers at one moment: each node's role, state, lag and position, and which node
/// takes writes. Immutable; the topology monitor publishes a new one after every probe round and routing reads the
/// current one without locks. Get it from <see cref="ReplicaRoutingDataSource.Topology"/>.
/// </summary>
public sealed class TopologySnapshot
{
    internal TopologySnapshot(long generation, DateTimeOffset takenAt, RoutingNode[] nodes, RoutingNode? writer, RoutingNode[] readers, string? problem, bool splitBrain)
    {
        Generation = generation;
        TakenAt = takenAt;
        NodeArray = nodes;
        Writer = writer;
        Readers = readers;
        Problem = problem;
        IsSplitBrain = splitBrain;
        var statuses = new NodeStatus[nodes.Length];
        for (var i = 0; i < nodes.Length; i++)
            statuses[i] = nodes[i].Status;
        Nodes = statuses;
        Primary = writer is null ? null : statuses[Array.IndexOf(nodes, writer)];
    }

    /// <summary>Gets a number that grows with every snapshot the data source publishes.</summary>
    public long Generation { get; }

    /// <summary>Gets when this snapshot was published.</summary>
    public DateTimeOffset TakenAt { get; }

    /// <summary>Gets every configured server, in configuration order (the configured primary first).</summary>
    public IReadOnlyList<NodeStatus> Nodes { get; }

    /// <summary>Gets the node writes go to, or <see langword="null"/> when there is none (see <see cref="Problem"/>).</summary>
    public NodeStatus? Primary { get; }

    /// <summary>Gets why writes cannot run (no writable node, unreachable primary, split brain), or <see langword="null"/> when they can.</summary>
    public string? Problem { get; }

    /// <summary>Gets whether two or more nodes are writable at once: writes are refused until only one is.</summary>
    public bool IsSplitBrain { get; }

    /// <summary>The writable node, for routing.</summary>
    internal RoutingNode? Writer { get; }

    /// <summary>The nodes that replicate from the writer (whatever their state: the selector checks it per read).</summary>
    internal RoutingNode[] Readers { get; }

    internal RoutingNode[] NodeArray { get; }

    /// <inheritdoc />
    public override string ToString() =>
        $"#{Generation} primary={Primary?.Endpoint ?? "none"}" + (Problem is null ? "" : $" ({Problem})") + ": " +
        string.Join(", ", Nodes.Select(n => $"{n.Endpoint} {n.Role}/{n.State}" + (n.Lag is { } lag ? $" lag={lag.TotalMilliseconds:0}ms" : "")));
}
