using ReplicaRouting.ConsistencyChecker;

namespace ReplicaRouting.Benchmarks.EndToEnd;

/// <summary>
/// The servers the pairs run on (the shared <see cref="TopologyConfig"/>: RR_* variables, else the local topology). Every
/// pair's routed and plain sides talk to the same servers: the primary and the first replica, or the primary and both
/// replicas (the pairs that spread reads, and the write→read pairs).
/// </summary>
internal sealed class BenchTopology(TopologyConfig config)
{
    public static BenchTopology Load(string flavor)
    {
        var config = TopologyConfig.Load(flavor);
        if (config.ReplicaEndpoints.Count < 2)
            throw new InvalidOperationException($"RR_{flavor.ToUpperInvariant()}_NODES must name a primary and two replicas.");
        return new BenchTopology(config);
    }

    public string Flavor => config.Flavor;

    public string Primary => config.PrimaryEndpoint;

    public string Replica => config.ReplicaEndpoints[0];

    /// <summary>The two replicas, <see cref="Replica"/> first.</summary>
    public IReadOnlyList<string> Replicas => [.. config.ReplicaEndpoints.Take(2)];

    public bool IsMariaDb => config.Flavor == TopologyConfig.MariaDb;

    /// <summary>The app user's string, with room in the pool for the concurrency-64 runs.</summary>
    public string ConnectionString(string endpoint) => config.ConnectionString(endpoint, "Maximum Pool Size=200");

    /// <summary>A routed data source over the primary and the first <paramref name="replicas"/> replicas (1 or 2).</summary>
    public ReplicaRoutingDataSource BuildRouted(int replicas, Action<ReplicaRoutingOptions> configure)
    {
        var builder = new ReplicaRoutingDataSourceBuilder().UsePrimary(ConnectionString(Primary));
        foreach (var replica in Replicas.Take(replicas))
            builder.AddReplica(ConnectionString(replica));
        return builder.Configure(configure).Build();
    }
}
