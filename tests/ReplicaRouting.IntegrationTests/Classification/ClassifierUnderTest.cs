using MySqlConnector;
using ReplicaRouting.IntegrationTests.Infrastructure;
using ReplicaRouting.Internal;

namespace ReplicaRouting.IntegrationTests.Classification;

/// <summary>
/// The classifier as the routed connection calls it, behind one method: the verdict the library would route on, with
/// what the library learns about the servers (flavor and version, the primary's stored routines as the application user
/// sees them).
/// </summary>
internal sealed class ClassifierUnderTest(SqlContext context)
{
    /// <summary>Learns about <paramref name="topology"/> what a data source learns before classifying.</summary>
    public static async Task<ClassifierUnderTest> CreateAsync(TopologyFixture topology)
    {
        await using var primary = new MySqlConnection(topology.Config.ConnectionString(topology.Config.PrimaryEndpoint));
        await primary.OpenAsync();
        var routines = await RoutineCatalog.LoadAsync(primary, CancellationToken.None);
        return new ClassifierUnderTest(SqlContext.For(topology.ServerFlavor, primary.ServerVersion).WithRoutines(routines));
    }

    public SqlClassification Classify(string sql) => SqlClassifier.Classify(sql, context);

    /// <summary>True when the router sends the text to a replica on a fresh connection: a read that leaves no primary-side state.</summary>
    public static bool GoesToReplica(SqlClassification verdict) =>
        verdict.IsReplicaEligible && (verdict.Effects & SessionEffects.PinsToPrimary) == 0;
}
