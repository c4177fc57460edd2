namespace ReplicaRouting.ConsistencyChecker;

/// <summary>
/// One run of the consistency checker as <c>./build.sh check</c> and the integration tests do it: one mode on the failover
/// set of one flavor, while faults are injected for real.
/// </summary>
public static class CheckRun
{
    /// <summary>
    /// Brings the failover set of <paramref name="flavor"/> up healthy (rebuilt after an earlier failover), creates the
    /// checker's table, runs <see cref="CausalityCheck.RunAsync"/> in <paramref name="mode"/> and, at the same time,
    /// <see cref="FaultInjector"/> with <paramref name="faults"/>, until the operations are done and every fault asked for
    /// happened at least once (the check then counts more operations than asked for).
    /// </summary>
    /// <param name="flavor"><c>mariadb</c> or <c>mysql</c>.</param>
    /// <param name="mode">The mode to check.</param>
    /// <param name="faults">The faults to inject while it runs.</param>
    /// <param name="options">How much load.</param>
    /// <param name="log">Where the fault steps are reported, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the run (a fault step in progress is still completed).</param>
    /// <returns>The check's counts and what was injected.</returns>
    public static async Task<(CausalityCheckResult Check, FaultReport Faults)> OnFailoverSetAsync(
        string flavor, CheckMode mode, IReadOnlyCollection<FaultKind> faults, CausalityCheckOptions options, TextWriter? log,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        await FailoverLab.StartAsync(flavor, cancellationToken);
        var lab = FailoverLab.Create(flavor);
        var config = lab.Config;
        await CausalityCheck.CreateTableAsync(config.ConnectionString(config.PrimaryEndpoint), options.Keys, cancellationToken);
        await lab.WaitForReplicasAsync(1, [2, 3], cancellationToken);

        using var stopFaults = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var injector = new FaultInjector(lab, faults, log);
        var injection = Task.Run(() => injector.RunAsync(stopFaults.Token), CancellationToken.None);
        try
        {
            // At least the operations asked for, and on until every fault asked for has happened once.
            var check = await CausalityCheck.RunAsync(config, mode, options, injector.CycleCompleted, cancellationToken);
            await stopFaults.CancelAsync();
            return (check, await injection);
        }
        finally
        {
            // Whatever ended the check, the injector finishes its step: never a replica left down or delayed.
            await stopFaults.CancelAsync();
            await Task.WhenAny(injection);
        }
    }
}
