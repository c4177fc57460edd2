using System.Globalization;
using ReplicaRouting.EntityFrameworkCore.Internal;

namespace Microsoft.EntityFrameworkCore;

/// <summary>Per-query routing hints for EF Core queries over a routed context (query tags under the hood).</summary>
public static class ReplicaRoutingQueryableExtensions
{
    /// <summary>Understood by the core's classifier as a leading comment, followed by <c>&lt;integer&gt;ms</c> or <c>&lt;integer&gt;s</c>.</summary>
    private const string AllowStaleTagPrefix = "ReplicaRouting:AllowStale=";

    private static readonly TimeSpan MinStaleness = TimeSpan.FromMilliseconds(1);
    private static readonly TimeSpan MaxStaleness = TimeSpan.FromHours(1);

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

    /// <summary>
    /// Lets this query read slightly stale data (a leading <c>-- ReplicaRouting:AllowStale=&lt;n&gt;ms</c> tag): the read
    /// may go to any replica whose measured staleness is at most <paramref name="maxStaleness"/>, even if the session
    /// wrote since; when no replica is known to be that fresh it runs on the primary. A query that needs the primary
    /// anyway (a locking read, inside a transaction) still goes there, and <see cref="ReadFromPrimary{T}"/> wins when
    /// both are applied.
    /// </summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="source">The query.</param>
    /// <param name="maxStaleness">How far behind the primary the replica may be: 1 ms to 1 hour, counted in whole milliseconds.</param>
    /// <returns>The tagged query.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxStaleness"/> is below 1 ms or above 1 hour.</exception>
    public static IQueryable<T> AllowStale<T>(this IQueryable<T> source, TimeSpan maxStaleness)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxStaleness, MinStaleness);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxStaleness, MaxStaleness);

        // Whole milliseconds, rounded down (never laxer than asked): the classifier reads <integer>ms.
        var milliseconds = maxStaleness.Ticks / TimeSpan.TicksPerMillisecond;
        return source.TagWith(string.Create(CultureInfo.InvariantCulture, $"{AllowStaleTagPrefix}{milliseconds}ms"));
    }
}
