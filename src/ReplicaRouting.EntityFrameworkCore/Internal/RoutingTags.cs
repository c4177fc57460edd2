namespace ReplicaRouting.EntityFrameworkCore.Internal;

/// <summary>The query tags behind <c>ReadFromPrimary()</c> and <c>ReadFromAnyReplica()</c>, and the scan that finds them.</summary>
internal static class RoutingTags
{
    /// <summary>Understood by the core's classifier as a leading comment: the statement goes to the primary.</summary>
    public const string ReadFromPrimary = "ReplicaRouting:ReadFromPrimary";

    /// <summary>Understood by this package's interceptor only: it sets <see cref="RoutingHint.ReadFromAnyReplica"/> on the command.</summary>
    public const string ReadFromAnyReplica = "ReplicaRouting:ReadFromAnyReplica";

    /// <summary>
    /// Whether the leading <c>-- </c> comment lines of <paramref name="sql"/> (where EF Core writes query tags) ask for any
    /// replica and do not also ask for the primary. Stops at the first line that is not a comment; allocates nothing.
    /// </summary>
    public static bool AsksForAnyReplica(ReadOnlySpan<char> sql)
    {
        var anyReplica = false;
        while (true)
        {
            sql = sql.TrimStart();
            if (!sql.StartsWith("--", StringComparison.Ordinal))
                return anyReplica;

            var end = sql.IndexOfAny('\r', '\n');
            var line = (end < 0 ? sql[2..] : sql[2..end]).Trim();
            if (line.Equals(ReadFromPrimary, StringComparison.OrdinalIgnoreCase))
                return false;   // the primary wins when both are asked for
            anyReplica |= line.Equals(ReadFromAnyReplica, StringComparison.OrdinalIgnoreCase);
            if (end < 0)
                return anyReplica;
            sql = sql[end..];
        }
    }
}
