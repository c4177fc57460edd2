using System.Collections.Concurrent;
using ReplicaRouting.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace ReplicaRouting.IntegrationTests.Differential;

/// <summary>
/// Every scripted case of <see cref="ScriptedCases"/> in every <see cref="DifferentialConfiguration"/>: the routed connection
/// must observe exactly what plain MySqlConnector on the primary observes. One theory row per (case, configuration), so
/// each divergence fails on its own. Runs once per flavor.
/// </summary>
public abstract class DifferentialScriptTests(TopologyFixture topology, ITestOutputHelper output)
{
    // The oracle does not depend on the routed side's configuration: one plain run per (flavor, case), shared by its rows.
    private static readonly ConcurrentDictionary<(string Flavor, string Case), Lazy<Task<RunObservation>>> s_plain = new();

    private readonly DifferentialRunner _runner = new(topology);

    public static TheoryData<string, string> Matrix => ScriptedCases.Matrix();

    [Theory]
    [MemberData(nameof(Matrix))]
    public async Task Routed_connection_observes_what_plain_MySqlConnector_observes(string @case, string configuration)
    {
        var script = ScriptedCases.Get(@case);
        var config = Enum.Parse<DifferentialConfiguration>(configuration);
        var plain = await s_plain.GetOrAdd((topology.Flavor, @case), _ => new Lazy<Task<RunObservation>>(() => _runner.RunPlainAsync(script))).Value;

        var routed = await _runner.RunRoutedAsync(script, config);
        var relaxStale = config == DifferentialConfiguration.Eventual;
        var kept = _runner.KeptSteps(script, config);
        var divergence = DifferentialRunner.FirstDivergence(script, plain, routed, relaxStale, kept);

        output.WriteLine($"{topology.Flavor} {@case} [{configuration}]: routed steps ran at: {string.Join("; ", routed.Decisions)}");
        foreach (var step in kept)
        {
            // A kept difference is asserted, not skipped: when it goes away, the case must say so.
            var keptDifference = script.Kept.First(k => k.Step - 1 == step);
            var differs = DifferentialRunner.Differs(script, plain, routed, step, relaxStale);
            Assert.True(differs || keptDifference.Intermittent, $"[{topology.Flavor}] '{@case}' [{configuration}] step {step + 1} no longer differs; remove the kept difference: {keptDifference.Reason}");
            output.WriteLine($"kept difference at step {step + 1} ({(differs ? "observed" : "not observed this run")}): {keptDifference.Reason}");
        }

        if (divergence is not null)
        {
            var message = $"[{topology.Flavor}] " + divergence.Format(script, configuration);
            output.WriteLine(message);
            Assert.Fail(message);
        }
    }
}

[Collection(TopologyConfig.MariaDb), Trait("Flavor", TopologyConfig.MariaDb)]
public sealed class MariaDbDifferentialScriptTests(MariaDbTopology topology, ITestOutputHelper output) : DifferentialScriptTests(topology, output);

[Collection(TopologyConfig.MySql), Trait("Flavor", TopologyConfig.MySql)]
public sealed class MySqlDifferentialScriptTests(MySqlTopology topology, ITestOutputHelper output) : DifferentialScriptTests(topology, output);
