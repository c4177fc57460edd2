using ReplicaRouting.Internal;

namespace ReplicaRouting.IntegrationTests.Classification;

/// <summary>
/// The classifier as the routed connection calls it, behind one method: what the test checks is the verdict the library
/// would route on, with whatever the library knows about the servers.
/// </summary>
internal sealed class ClassifierUnderTest
{
    private ClassifierUnderTest()
    {
    }

    /// <summary>Learns what the library would learn about <paramref name="topology"/> before classifying.</summary>
    public static Task<ClassifierUnderTest> CreateAsync(Infrastructure.TopologyFixture topology)
    {
        _ = topology;
        return Task.FromResult(new ClassifierUnderTest());
    }

    public SqlClassification Classify(string sql) => SqlClassifier.Classify(sql);

    /// <summary>True when the router sends the text to a replica on a fresh connection: a read that leaves no primary-side state.</summary>
    public static bool GoesToReplica(SqlClassification verdict) =>
        verdict.IsReplicaEligible && (verdict.Effects & SessionEffects.PinsToPrimary) == 0;
}
