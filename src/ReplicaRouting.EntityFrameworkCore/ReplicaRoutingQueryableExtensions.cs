using ReplicaRouting.EntityFrameworkCore.Internal;

namespace Microsoft.EntityFrameworkCore;

/// <summary>Per-query routing hints for EF Core queries over a routed context (query tags under the hood).</summary>
public static class ReplicaRoutingQueryableExtensions
{
    /// <summary>
    /// Runs this query on the primary, whatever the session wrote (a leading <c>-- ReplicaRouting:ReadFromPrimary</c> tag).
    /// Use it for reads that must be current, or that call stored functions which write.
    /// </summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="source">The query.</param>
    /// <returns>The tagged query.</returns>
    public static IQueryable<T> ReadFromPrimary<T>(this IQueryable<T> source) => source.TagWith(RoutingTags.ReadFromPrimary);

    /// <summary>
    /// Lets this query read any replica without waiting for what the session wrote (reports, dashboards): it may not see
    /// the latest writes. A query that needs the primary anyway (a locking read, inside a transaction) still goes there.
    /// </summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="source">The query.</param>
    /// <returns>The tagged query.</returns>
    public static IQueryable<T> ReadFromAnyReplica<T>(this IQueryable<T> source) => source.TagWith(RoutingTags.ReadFromAnyReplica);
}
