namespace ReplicaRouting;

/// <summary>How a replica is chosen among the eligible ones for each read.</summary>
public enum ReplicaSelectionPolicy
{
    /// <summary>Take the eligible replicas in turn.</summary>
    RoundRobin,

    /// <summary>Take an eligible replica at random.</summary>
    Random,

    /// <summary>Take the eligible replica with the fewest commands in flight from this data source.</summary>
    LeastOutstanding,
}
