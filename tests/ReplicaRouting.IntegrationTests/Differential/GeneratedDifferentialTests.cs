using System.Data;
using System.Globalization;
using ReplicaRouting.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace ReplicaRouting.IntegrationTests.Differential;

/// <summary>
/// Random sequences of what an application sends (a small grammar over a per-run table), seeded, run on plain MySqlConnector
/// and on a routed connection under ReadYourWrites in a session (reads see the session's own writes, so the comparison is
/// exact). A divergence is shrunk to a minimal sequence and reported with its seed. The base seed is fixed (override:
/// <c>RR_DIFF_SEED</c>), so is the budget (<c>RR_DIFF_SEQUENCES</c>, default 40 sequences of ~15 steps per flavor).
/// </summary>
public static class SequenceGenerator
{
    public const int DefaultBaseSeed = 110_011;
    public const int DefaultSequences = 40;
    public const int StepsPerSequence = 15;

    public static readonly string[] Setup =
    [
        "CREATE TABLE {t} (id INT PRIMARY KEY, tag VARCHAR(20) NOT NULL, n INT NOT NULL DEFAULT 0, UNIQUE KEY uk_tag (tag)) ENGINE=InnoDB",
        "INSERT INTO {t} (id, tag, n) VALUES (1, 'g1', 10), (2, 'g2', 20), (3, 'g3', 30), (4, 'g4', 40), (5, 'g5', 50)",
        "CREATE TABLE {t}_ai (id INT AUTO_INCREMENT PRIMARY KEY, v INT NOT NULL) ENGINE=InnoDB",
    ];

    public static int BaseSeed => int.TryParse(Environment.GetEnvironmentVariable("RR_DIFF_SEED"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var seed) ? seed : DefaultBaseSeed;

    public static int Sequences => int.TryParse(Environment.GetEnvironmentVariable("RR_DIFF_SEQUENCES"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var count) && count > 0 ? count : DefaultSequences;

    public static Script Generate(int seed, int length = StepsPerSequence)
    {
        var random = new Random(seed);
        var steps = new List<Step>();
        var inTransaction = false;
        while (steps.Count < length)
        {
            var async = random.Next(2) == 1;
            var id = random.Next(1, 12);
            var k = random.Next(1, 100);
            switch (random.Next(22))
            {
                case 0 or 1:
                    steps.Add(random.Next(2) == 0
                        ? new Sql("INSERT INTO {t} (id, tag, n) VALUES (@id, @tag, @n)", WriteExec(random)) { Async = async, Parameters = [new Param("@id", id), new Param("@tag", "g" + id), new Param("@n", k)] }
                        : new Sql($"INSERT INTO {{t}} (id, tag, n) VALUES ({id}, 'g{id}', {k})", WriteExec(random)) { Async = async });
                    break;
                case 2:
                    steps.Add(new Sql($"INSERT IGNORE INTO {{t}} (id, tag, n) VALUES ({id}, 'g{id}', {k})", WriteExec(random)) { Async = async });
                    break;
                case 3:
                    steps.Add(random.Next(2) == 0
                        ? new Sql("UPDATE {t} SET n = n + @k WHERE id = @id", WriteExec(random)) { Async = async, Parameters = [new Param("@k", k), new Param("@id", id)] }
                        : new Sql($"UPDATE {{t}} SET n = n + {k} WHERE id BETWEEN {id} AND {id + 3}", WriteExec(random)) { Async = async });
                    break;
                case 4:
                    steps.Add(new Sql($"DELETE FROM {{t}} WHERE id = {id}", WriteExec(random)) { Async = async });
                    break;
                case 5:
                    steps.Add(new Sql("SELECT id, tag, n FROM {t} WHERE id = @id", ReadExec(random)) { Async = async, Parameters = [new Param("@id", id)] });
                    break;
                case 6:
                    steps.Add(new Sql($"SELECT id, tag, n FROM {{t}} WHERE id >= {id} ORDER BY id LIMIT {random.Next(1, 5)}", ReadExec(random)) { Async = async });
                    break;
                case 7:
                    steps.Add(new Sql(random.Next(2) == 0 ? "SELECT COUNT(*) FROM {t}" : "SELECT COUNT(*), SUM(n), MIN(id), MAX(id) FROM {t}", ReadExec(random)) { Async = async });
                    break;
                case 8:
                    steps.Add(new Sql("SELECT n % 3 AS bucket, COUNT(*) AS c FROM {t} GROUP BY bucket ORDER BY bucket", ReadExec(random)) { Async = async });
                    break;
                case 9:
                    steps.Add(new Sql($"SELECT SQL_CALC_FOUND_ROWS id, tag FROM {{t}} WHERE id >= {id % 4} ORDER BY id LIMIT 2", ReadExec(random)) { Async = async });
                    steps.Add(new Sql("SELECT FOUND_ROWS()", Exec.Scalar) { Async = random.Next(2) == 1 });
                    break;
                case 10:
                    steps.Add(new Sql("SELECT ROW_COUNT()", ReadExec(random)) { Async = async });
                    break;
                case 11:
                    steps.Add(new Sql($"INSERT INTO {{t}}_ai (v) VALUES ({k})", WriteExec(random)) { Async = async });
                    steps.Add(new Sql("SELECT LAST_INSERT_ID()", Exec.Scalar) { Async = random.Next(2) == 1 });
                    break;
                case 12:
                    steps.Add(new Sql(random.Next(2) == 0 ? $"SELECT CAST('x{k}' AS SIGNED)" : $"SELECT CAST('{k}y' AS SIGNED) FROM {{t}} WHERE id = {id}", ReadExec(random)) { Async = async });
                    steps.Add(new Sql(random.Next(2) == 0 ? "SHOW WARNINGS" : "SHOW COUNT(*) WARNINGS", ReadExec(random)) { Async = random.Next(2) == 1 });
                    break;
                case 13:
                    steps.Add(new Sql($"SET @v{id % 3} = {k}", Exec.NonQuery) { Async = async });
                    break;
                case 14:
                    steps.Add(new Sql("SELECT @v0, @v1, @v2", ReadExec(random)) { Async = async });
                    break;
                case 15 when !inTransaction:
                    steps.Add(random.Next(3) == 0 ? new Begin(IsolationLevel.ReadCommitted) { Async = async } : new Begin { Async = async });
                    inTransaction = true;
                    break;
                case 15 or 16 when inTransaction:
                    steps.Add(random.Next(2) == 0 ? new Commit { Async = async } : new Rollback { Async = async });
                    inTransaction = false;
                    break;
                case 17:
                    steps.Add(random.Next(2) == 0
                        ? new Sql($"INSERT INTO {{t}} (id, tag, n) VALUES ({id}, 'g{id}', {k}); SELECT COUNT(*) FROM {{t}}", Exec.Reader) { Async = async }
                        : new Sql($"UPDATE {{t}} SET n = {k} WHERE id <= {id}; SELECT ROW_COUNT()", random.Next(2) == 0 ? Exec.Reader : Exec.Scalar) { Async = async });
                    break;
                case 18:
                    steps.Add(random.Next(2) == 0
                        ? new Sql("SELECT no_such_column FROM {t}", ReadExec(random)) { Async = async }
                        : new Sql($"UPDATE {{t}} SET n = n + 1 WHERE no_such_column = {id}", Exec.NonQuery) { Async = async });
                    break;
                case 19:
                    steps.Add(new Batch(random.Next(2) == 0
                        ? [$"UPDATE {{t}} SET n = n - 1 WHERE id = {id}", "SELECT ROW_COUNT()"]
                        : [$"SELECT tag FROM {{t}} WHERE id = {id}", "SELECT COUNT(*) FROM {t}"], random.Next(3) switch { 0 => Exec.NonQuery, 1 => Exec.Scalar, _ => Exec.Reader }) { Async = async });
                    break;
                case 20:
                    steps.Add(new Sql($"SELECT tag FROM {{t}} WHERE id = @id", Exec.Scalar) { Async = async, Prepare = true, Parameters = [new Param("@id", id)] });
                    break;
                default:
                    steps.Add(new Sql("SELECT id, n FROM {t} ORDER BY id; SELECT COUNT(*) FROM {t}", random.Next(3) switch { 0 => Exec.ReaderSingleResult, 1 => Exec.ReaderSingleRow, _ => Exec.Reader }) { Async = async });
                    break;
            }
        }

        if (inTransaction)
            steps.Add(new Commit());
        return new Script($"generated seed {seed}", Setup, steps);
    }

    private static Exec WriteExec(Random random) => random.Next(10) switch
    {
        < 7 => Exec.NonQuery,
        7 => Exec.Scalar,
        _ => Exec.Reader,
    };

    private static Exec ReadExec(Random random) => random.Next(20) switch
    {
        < 11 => Exec.Reader,
        < 17 => Exec.Scalar,
        17 => Exec.NonQuery,
        18 => Exec.ReaderSingleRow,
        _ => Exec.ReaderSingleResult,
    };
}

/// <summary>The generated mode: see <see cref="SequenceGenerator"/>. Runs once per flavor.</summary>
public abstract class DifferentialGeneratedTests(TopologyFixture topology, ITestOutputHelper output)
{
    private const int ShrinkBudget = 40;   // comparisons spent shrinking the first divergence
    private readonly DifferentialRunner _runner = new(topology);

    [Fact]
    public async Task Generated_sequences_observe_the_same_on_routed_and_plain()
    {
        const DifferentialConfiguration configuration = DifferentialConfiguration.ReadYourWritesSession;
        var baseSeed = SequenceGenerator.BaseSeed;
        var count = SequenceGenerator.Sequences;
        (int Seed, Script Script, Divergence Divergence)? first = null;
        var diverged = new List<int>();
        for (var i = 0; i < count; i++)
        {
            var seed = baseSeed + i;
            var script = SequenceGenerator.Generate(seed);
            var (divergence, _, _) = await _runner.CompareAsync(script, configuration);
            if (divergence is null)
                continue;
            diverged.Add(seed);
            first ??= (seed, script, divergence);
            Report($"  seed {seed}: step {divergence.StepIndex + 1} {Cut(divergence.Step.Describe())} -> plain {Cut(divergence.Plain)} / routed {Cut(divergence.Routed)}");
        }

        Report($"[{topology.Flavor}] differential generated mode: {count} sequences of ~{SequenceGenerator.StepsPerSequence} steps ran " +
            $"(seeds {baseSeed}..{baseSeed + count - 1}, override with RR_DIFF_SEED / RR_DIFF_SEQUENCES); {diverged.Count} diverged" +
            (diverged.Count > 0 ? ": seeds " + string.Join(", ", diverged) : "."));
        if (first is not { } failure)
            return;

        var (minimal, minimalDivergence, comparisons) = await ShrinkAsync(failure.Script, failure.Divergence, configuration);
        var message = $"[{topology.Flavor}] {diverged.Count} of {count} generated sequences diverged. First: seed {failure.Seed} " +
            $"(RR_DIFF_SEED={failure.Seed} RR_DIFF_SEQUENCES=1 reproduces it), shrunk from {failure.Script.Steps.Count} to {minimal.Steps.Count} steps " +
            $"in {comparisons} comparisons:{Environment.NewLine}" + minimalDivergence.Format(minimal, configuration.ToString(), failure.Seed.ToString(CultureInfo.InvariantCulture));
        Report(message);
        Assert.Fail(message);
    }

    /// <summary>Drops steps one by one while the sequence still diverges (anywhere), within a budget of comparisons.</summary>
    private async Task<(Script Script, Divergence Divergence, int Comparisons)> ShrinkAsync(Script script, Divergence divergence, DifferentialConfiguration configuration)
    {
        var comparisons = 0;
        // Nothing after the first diverging step matters.
        var current = script.WithSteps(script.Steps.Take(divergence.StepIndex + 1).ToList());
        var currentDivergence = divergence;
        var index = 0;
        while (index < current.Steps.Count && comparisons < ShrinkBudget)
        {
            var candidate = current.WithSteps(current.Steps.Where((_, i) => i != index).ToList());
            comparisons++;
            var (found, _, _) = await _runner.CompareAsync(candidate, configuration);
            if (found is not null)
            {
                current = candidate.WithSteps(candidate.Steps.Take(found.StepIndex + 1).ToList());
                currentDivergence = found;
            }
            else
            {
                index++;
            }
        }

        return (current, currentDivergence, comparisons);
    }

    private static string Cut(string text) => text.Length > 110 ? text[..110] + "…" : text;

    private void Report(string line)
    {
        output.WriteLine(line);
        Console.WriteLine(line);
    }
}

[Collection(TopologyConfig.MariaDb), Trait("Flavor", TopologyConfig.MariaDb)]
public sealed class MariaDbDifferentialGeneratedTests(MariaDbTopology topology, ITestOutputHelper output) : DifferentialGeneratedTests(topology, output);

[Collection(TopologyConfig.MySql), Trait("Flavor", TopologyConfig.MySql)]
public sealed class MySqlDifferentialGeneratedTests(MySqlTopology topology, ITestOutputHelper output) : DifferentialGeneratedTests(topology, output);
