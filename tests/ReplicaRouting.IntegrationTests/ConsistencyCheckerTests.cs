using Xunit.Abstractions;

namespace ReplicaRouting.IntegrationTests;

/// <summary>
/// The consistency checker's short run (<c>./build.sh check</c> in small): 10,000 operations of 16 concurrent users per
/// flavor on the failover set, while the replicas' apply threads are really stopped and started and one replica runs with a
/// replication delay. Counts, never timings, are asserted: the modes that promise read-your-writes (<c>read-your-writes</c>,
/// <c>sessionless</c>: the data-source-wide default) or also monotonic reads (<c>causal</c>) show no violation, and
/// <c>eventual</c> shows the lag, which proves the checker can see a violation.
/// </summary>
public abstract class ConsistencyCheckerTests(string flavor, ITestOutputHelper output)
{
    private static readonly IReadOnlyList<FaultKind> Lag = [FaultKind.Lag];

    // Fewer users than MaxConcurrentPrimaryFallbacks (25): with more, reads that fall back under lag are shed
    // (ReplicaRoutingOverloadedException), by design, and the run would count them as errors.
    private const int Users = 16;

    [Fact]
    public async Task Promising_modes_show_no_violation_and_eventual_shows_the_lag_in_10000_operations()
    {
        var readYourWrites = await CheckAsync("read-your-writes", 2_500);
        var causal = await CheckAsync("causal", 2_500);
        var sessionless = await CheckAsync("sessionless", 2_500);
        var eventual = await CheckAsync("eventual", 2_500);

        foreach (var result in new[] { readYourWrites, causal, sessionless, eventual })
            Assert.False(result.BrokePromise, $"{result.Mode.Name} broke what it promises:{Environment.NewLine}{result}");
        Assert.Equal(0, readYourWrites.ReadYourWritesViolations);
        Assert.Equal(0, sessionless.ReadYourWritesViolations);
        Assert.Equal((0, 0), (causal.ReadYourWritesViolations, causal.MonotonicViolations));
        Assert.True(causal.Reads > causal.PrimaryReads, "no causal read reached a replica: the check proved nothing");

        // A plain split under stopped apply threads reads stale versions: if it did not, the checker could not see a violation.
        Assert.True(eventual.ReadYourWritesViolations + eventual.MonotonicViolations > 0, $"eventual showed no stale read under lag: {eventual}");
    }

    private async Task<CausalityCheckResult> CheckAsync(string mode, int operations)
    {
        var (result, faults) = await CheckRun.OnFailoverSetAsync(
            flavor, CheckMode.Parse(mode), Lag, new CausalityCheckOptions { Operations = operations, Users = Users }, log: null);
        output.WriteLine(result.ToResultLine(flavor, FaultInjector.Names(Lag)));
        output.WriteLine($"  {result}");
        output.WriteLine($"  injected: {faults}");

        Assert.True(faults.ApplyStops > 0, $"{mode}: no lag was injected");
        Assert.Empty(result.Errors);
        Assert.True(result.Operations >= operations, $"{mode}: only {result.Operations} of {operations} operations completed");
        return result;
    }
}

[Collection("failover-" + TopologyConfig.MariaDb), Trait("Flavor", TopologyConfig.MariaDb)]
public sealed class MariaDbConsistencyCheckerTests(ITestOutputHelper output) : ConsistencyCheckerTests(TopologyConfig.MariaDb, output);

[Collection("failover-" + TopologyConfig.MySql), Trait("Flavor", TopologyConfig.MySql)]
public sealed class MySqlConsistencyCheckerTests(ITestOutputHelper output) : ConsistencyCheckerTests(TopologyConfig.MySql, output);
