namespace ReplicaRouting.ConsistencyChecker;

/// <summary>
/// One configuration the consistency checker runs: how the data source is configured, whether the simulated users begin
/// a routing session per unit of work (handing its token on, as a web app would), and what the configuration promises.
/// A promised property that shows a violation fails the check; the others are counted and reported, never failed on.
/// </summary>
/// <param name="Name">The mode's name in <c>RESULT</c> lines (lower-case letters, digits and hyphens).</param>
/// <param name="UsesSessions">
/// Whether each unit of work runs in <see cref="ReplicaRoutingDataSource.BeginSession(string)"/> restored from the previous
/// unit's token; <see langword="false"/>: no session at all (console apps, scripts, repository-per-method code).
/// </param>
/// <param name="PromisesReadYourWrites">Whether a read older than the user's own acknowledged write is a failure.</param>
/// <param name="PromisesMonotonicReads">Whether a read older than what the user already read is a failure.</param>
/// <param name="Configure">Sets the data source's options for this mode.</param>
public sealed record CheckMode(
    string Name, bool UsesSessions, bool PromisesReadYourWrites, bool PromisesMonotonicReads, Action<ReplicaRoutingOptions> Configure)
{
    /// <summary>Gets every mode the checker knows, in the order it runs them by default.</summary>
    public static IReadOnlyList<CheckMode> All { get; } =
    [
        new("primary", UsesSessions: true, PromisesReadYourWrites: true, PromisesMonotonicReads: true,
            o => o.Consistency = ReadConsistency.Primary),
        new("read-your-writes", UsesSessions: true, PromisesReadYourWrites: true, PromisesMonotonicReads: false,
            o => o.Consistency = ReadConsistency.ReadYourWrites),
        // Code without any session: by default a read sees every write this data source made (SessionlessReads.DataSource),
        // which is read-your-writes for a user whose writes all went through it; the opt-out sees only its own connection's.
        new("sessionless", UsesSessions: false, PromisesReadYourWrites: true, PromisesMonotonicReads: false,
            o => o.Consistency = ReadConsistency.ReadYourWrites),
        new("sessionless-connection", UsesSessions: false, PromisesReadYourWrites: false, PromisesMonotonicReads: false,
            o => (o.Consistency, o.SessionlessReads) = (ReadConsistency.ReadYourWrites, SessionlessReads.Connection)),
        new("causal", UsesSessions: true, PromisesReadYourWrites: true, PromisesMonotonicReads: true,
            o => o.Consistency = ReadConsistency.Causal),
        new("causal-wait", UsesSessions: true, PromisesReadYourWrites: true, PromisesMonotonicReads: true,
            o => (o.Consistency, o.CausalReadPolicy) = (ReadConsistency.Causal, CausalReadPolicy.Wait)),
        new("causal-fast", UsesSessions: true, PromisesReadYourWrites: true, PromisesMonotonicReads: true,
            o => (o.Consistency, o.CausalReadPolicy) = (ReadConsistency.Causal, CausalReadPolicy.Fast)),
        new("bounded-staleness", UsesSessions: true, PromisesReadYourWrites: false, PromisesMonotonicReads: false,
            o => o.Consistency = ReadConsistency.BoundedStaleness),
        new("eventual", UsesSessions: true, PromisesReadYourWrites: false, PromisesMonotonicReads: false,
            o => o.Consistency = ReadConsistency.Eventual),
    ];

    /// <summary>Finds a mode by name.</summary>
    /// <param name="name">One of the names of <see cref="All"/>.</param>
    /// <returns>The mode.</returns>
    /// <exception cref="ArgumentException">An unknown name.</exception>
    public static CheckMode Parse(string name) =>
        All.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.Ordinal))
        ?? throw new ArgumentException($"Unknown mode '{name}': expected one of {string.Join(", ", All.Select(m => m.Name))}.", nameof(name));
}
