namespace ReplicaRouting.Internal;

/// <summary>Default option values, in one place so docs, options and validation agree.</summary>
internal static class RoutingDefaults
{
    public const ReadConsistency Consistency = ReadConsistency.Primary;
    public const ReplicaSelectionPolicy ReplicaSelection = ReplicaSelectionPolicy.RoundRobin;
    public static readonly TimeSpan FailedReplicaBackoff = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan MaxFailedReplicaBackoff = TimeSpan.FromHours(1);
}
