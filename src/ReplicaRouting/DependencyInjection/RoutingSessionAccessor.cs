namespace ReplicaRouting;

/// <summary>The ambient session, as a service.</summary>
internal sealed class RoutingSessionAccessor : IRoutingSessionAccessor
{
    public RoutingSession? Current => RoutingSession.Current;
}
