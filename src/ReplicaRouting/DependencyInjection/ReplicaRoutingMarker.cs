namespace ReplicaRouting;

/// <summary>Registered once by <c>AddReplicaRouting</c>: makes it idempotent and remembers where its configuration lives.</summary>
internal sealed class ReplicaRoutingMarker(string sectionPath)
{
    public const string DefaultSectionName = "ReplicaRouting";

    /// <summary>The configuration path validation messages start with (<c>ReplicaRouting</c> for options set in code).</summary>
    public string SectionPath { get; } = sectionPath;
}
