namespace ReplicaRouting;

/// <summary>Where one command was sent, and why.</summary>
/// <param name="Target">The kind of node that ran the command.</param>
/// <param name="Reason">Why that kind of node was chosen.</param>
/// <param name="Node">The node that ran the command, as <c>host:port</c>.</param>
public readonly record struct RoutingDecision(RouteTarget Target, RoutingReason Reason, string Node);
