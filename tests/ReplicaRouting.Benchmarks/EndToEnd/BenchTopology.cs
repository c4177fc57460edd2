using ReplicaRouting.ConsistencyChecker;

namespace ReplicaRouting.Benchmarks.EndToEnd;

/// <summary>
/// The servers the pairs run on (the shared <see cref="TopologyConfig"/>: RR_* variables, else the local topology). Every
/// pair uses the primary and the FIRST replica only, so the routed and the plain side always talk to the same server.
/// </summary>
internal sealed class BenchTopology(TopologyConfig config)
{
    public static BenchTopology Load(string flavor)
    {
        var config = TopologyConfig.Load(flavor);
        if (config.ReplicaEndpoints.Count < 1)
            throw new InvalidOperationException($"RR_{flavor.ToUpperInvariant()}_NODES must name a primary and at least one replica.");
        return new BenchTopology(config);
    }

    public string Flavor => config.Flavor;

    public string Primary => config.PrimaryEndpoint;

    public string Replica => config.ReplicaEndpoints[0];

    public bool IsMariaDb => config.Flavor == TopologyConfig.MariaDb;

    /// <summary>The app user's string, with room in the pool for the concurrency-64 runs.</summary>
    public string ConnectionString(string endpoint) => config.ConnectionString(endpoint, "Maximum Pool Size=200");

    /// <summary>A routed data source over the primary and the one replica the plain side uses.</summary>
    public ReplicaRoutingDataSource BuildRouted(ReadConsistency consistency) =>
        new ReplicaRoutingDataSourceBuilder()
            .UsePrimary(ConnectionString(Primary))
            .AddReplica(ConnectionString(Replica))
            .Configure(o => o.Consistency = consistency)
            .Build();
}
