using MySqlConnector;
using ReplicaRouting.Internal;

namespace ReplicaRouting.Tests.Topology;

/// <summary>Routing nodes without a server (nothing connects until a command runs), and statuses as a probe would leave them.</summary>
internal static class TopologyTestNodes
{
    public static RoutingNode Node(int index, RouteTarget role, TimeProvider clock, TimeSpan? breakDuration = null) =>
        new(index, role, new MySqlDataSource($"Server=node{index};Port=3306"), $"node{index}:3306", clock, breakDuration);

    /// <summary>The configured primary (index 0) followed by <paramref name="replicas"/> configured replicas.</summary>
    public static RoutingNode[] Cluster(TimeProvider clock, int replicas = 2) =>
        [Node(0, RouteTarget.Primary, clock), .. Enumerable.Range(1, replicas).Select(i => Node(i, RouteTarget.Replica, clock))];

    /// <summary>Gives <paramref name="node"/> the status a probe answered at <paramref name="at"/> would have left.</summary>
    public static RoutingNode Probed(this RoutingNode node, NodeRole role, NodeState state, DateTimeOffset at, TimeSpan? lag = null)
    {
        node.Status = new NodeStatus(node.Endpoint, role, state, lag, Position: null, LastError: null, ProbedAt: at);
        return node;
    }

    public static void DisposeAll(IEnumerable<RoutingNode> nodes)
    {
        foreach (var node in nodes)
            node.Dispose();
    }
}
