namespace ReplicaRouting.Internal;

/// <summary>Chooses one available replica per read; chosen once at build time from <see cref="ReplicaSelectionPolicy"/>.</summary>
/// <remarks>Runs on every routed read: no locks, no allocations.</remarks>
internal abstract class ReplicaSelector
{
    public static ReplicaSelector Create(ReplicaSelectionPolicy policy) => policy switch
    {
        ReplicaSelectionPolicy.RoundRobin => new RoundRobinSelector(),
        ReplicaSelectionPolicy.Random => new RandomSelector(),
        ReplicaSelectionPolicy.LeastOutstanding => new LeastOutstandingSelector(),
        _ => throw new ArgumentOutOfRangeException(nameof(policy), policy, "Unknown replica selection policy."),
    };

    /// <summary>Returns a readable replica, or <see langword="null"/> when none is.</summary>
    /// <param name="replicas">The candidates.</param>
    /// <param name="exclude">A replica to pass over (one that just failed), or <see langword="null"/>.</param>
    /// <param name="maxStaleness">When set, only a replica measured to be at most this stale qualifies.</param>
    /// <param name="acceptLagging">Lagging replicas qualify too (no primary is writable: they hold the newest data there is).</param>
    public abstract RoutingNode? Select(RoutingNode[] replicas, RoutingNode? exclude, TimeSpan? maxStaleness = null, bool acceptLagging = false);

    /// <summary>Whether <paramref name="candidate"/> may take this read.</summary>
    protected static bool Qualifies(RoutingNode candidate, RoutingNode? exclude, TimeSpan? maxStaleness, bool acceptLagging) =>
        candidate != exclude && candidate.IsReadableWhen(acceptLagging) && (maxStaleness is not { } bound || candidate.IsFreshEnough(bound));

    /// <summary>The first qualifying replica scanning from <paramref name="start"/> with wrap-around.</summary>
    protected static RoutingNode? FirstAvailableFrom(RoutingNode[] replicas, int start, RoutingNode? exclude, TimeSpan? maxStaleness, bool acceptLagging)
    {
        for (var i = 0; i < replicas.Length; i++)
        {
            var candidate = replicas[(start + i) % replicas.Length];
            if (Qualifies(candidate, exclude, maxStaleness, acceptLagging))
                return candidate;
        }

        return null;
    }

    private sealed class RoundRobinSelector : ReplicaSelector
    {
        private uint _next;

        public override RoutingNode? Select(RoutingNode[] replicas, RoutingNode? exclude, TimeSpan? maxStaleness = null, bool acceptLagging = false) =>
            replicas.Length == 0 ? null
            : FirstAvailableFrom(replicas, (int)(Interlocked.Increment(ref _next) % (uint)replicas.Length), exclude, maxStaleness, acceptLagging);
    }

    private sealed class RandomSelector : ReplicaSelector
    {
        public override RoutingNode? Select(RoutingNode[] replicas, RoutingNode? exclude, TimeSpan? maxStaleness = null, bool acceptLagging = false) =>
            replicas.Length == 0 ? null : FirstAvailableFrom(replicas, System.Random.Shared.Next(replicas.Length), exclude, maxStaleness, acceptLagging);
    }

    private sealed class LeastOutstandingSelector : ReplicaSelector
    {
        private uint _next;

        public override RoutingNode? Select(RoutingNode[] replicas, RoutingNode? exclude, TimeSpan? maxStaleness = null, bool acceptLagging = false)
        {
            if (replicas.Length == 0)
                return null;

            // Start the scan at a rotating offset so ties spread instead of always landing on the first replica.
            var start = (int)(Interlocked.Increment(ref _next) % (uint)replicas.Length);
            RoutingNode? best = null;
            for (var i = 0; i < replicas.Length; i++)
            {
                var candidate = replicas[(start + i) % replicas.Length];
                if (Qualifies(candidate, exclude, maxStaleness, acceptLagging) && (best is null || candidate.Outstanding < best.Outstanding))
                    best = candidate;
            }

            return best;
        }
    }
}
