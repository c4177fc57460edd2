using System.Diagnostics;
using System.Globalization;
using System.Text;
using Dapper;
using ReplicaRouting.IntegrationTests.Infrastructure;
using ReplicaRouting.Internal;
using Xunit.Abstractions;

namespace ReplicaRouting.IntegrationTests.Classification;

/// <summary>
/// The differential classifier test: generated statements (<see cref="StatementGenerator"/>) are classified, and every
/// one the router would send to a replica is run there (read-only, as the application user, in a rolled-back
/// transaction). The server is the oracle: a statement it refuses as a write, that takes locks, sets user variables or
/// writes a GTID of the replica's own was wrongly called a read. Failures are shrunk to minimal texts and reported
/// with their seed and index. Statements called writes are run on the replica too, to count the reads sent to the primary.
/// </summary>
/// <remarks>
/// Budget: <c>RR_CLASSDIFF_COUNT</c> statements (default <see cref="DefaultCount"/>) from index <c>RR_CLASSDIFF_FROM</c>
/// (default 0) of seed <c>RR_CLASSDIFF_SEED</c> (default <see cref="DefaultSeed"/>). The long run is the same test with a
/// large count, e.g. <c>RR_CLASSDIFF_COUNT=1000000</c>.
/// </remarks>
public abstract class ClassifierDifferentialTests(TopologyFixture topology, ITestOutputHelper output) : IAsyncLifetime
{
    public const int DefaultSeed = 120_012;
    public const int DefaultCount = 3_000;
    public const int DefaultWorkers = 4;

    private const int TableRows = 20;
    private const int LockableRows = 2 * TableRows;   // classdiff_t and classdiff_u
    private const int MaxMinimised = 20;
    private const int ShrinkBudget = 400;
    private const int ReadsToPrimaryExamples = 6;   // per worker

    private static readonly string[] Setup =
    [
        "CREATE TABLE IF NOT EXISTS classdiff_t (id INT PRIMARY KEY, v VARCHAR(64) NOT NULL, n INT NOT NULL) ENGINE=InnoDB",
        "CREATE TABLE IF NOT EXISTS classdiff_u (id INT PRIMARY KEY, t_id INT NOT NULL, note VARCHAR(64), KEY ix_t (t_id)) ENGINE=InnoDB",
        "CREATE TABLE IF NOT EXISTS classdiff_w (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(64)) ENGINE=InnoDB",
        "CREATE TABLE IF NOT EXISTS classdiff_log (id INT AUTO_INCREMENT PRIMARY KEY) ENGINE=InnoDB",
        "INSERT IGNORE INTO classdiff_t (id, v, n) WITH RECURSIVE k (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 20) SELECT i, CONCAT('v', i), i * 7 FROM k",
        "INSERT IGNORE INTO classdiff_u (id, t_id, note) WITH RECURSIVE k (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 20) SELECT i, 21 - i, CONCAT('n', i) FROM k",
        // SQL SECURITY INVOKER: on a replica the body runs as the application user, whom read_only stops.
        "DROP FUNCTION IF EXISTS classdiff_f_ins",
        "CREATE FUNCTION classdiff_f_ins() RETURNS INT DETERMINISTIC MODIFIES SQL DATA SQL SECURITY INVOKER BEGIN INSERT INTO classdiff_log () VALUES (); RETURN 1; END",
        "DROP FUNCTION IF EXISTS classdiff_f_sneaky",
        "CREATE FUNCTION classdiff_f_sneaky() RETURNS INT DETERMINISTIC CONTAINS SQL SQL SECURITY INVOKER BEGIN INSERT INTO classdiff_log () VALUES (); RETURN 2; END",
        "DROP FUNCTION IF EXISTS classdiff_f_read",
        "CREATE FUNCTION classdiff_f_read() RETURNS INT DETERMINISTIC READS SQL DATA SQL SECURITY INVOKER RETURN (SELECT COUNT(*) FROM classdiff_t)",
        "DROP PROCEDURE IF EXISTS classdiff_p_ins",
        "CREATE PROCEDURE classdiff_p_ins() MODIFIES SQL DATA SQL SECURITY INVOKER INSERT INTO classdiff_log () VALUES ()",
    ];

    private bool MariaDb => topology.Flavor == TopologyConfig.MariaDb;

    public async Task InitializeAsync()
    {
        await using (var primary = await topology.OpenAdminAsync(topology.Config.PrimaryEndpoint))
        {
            foreach (var statement in Setup)
                await primary.ExecuteAsync(statement);
            if (MariaDb)
                await primary.ExecuteAsync("CREATE SEQUENCE IF NOT EXISTS classdiff_seq");
        }

        await topology.WaitForReplicasAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Statements_the_classifier_sends_to_a_replica_are_reads_on_the_server()
    {
        var seed = Setting("RR_CLASSDIFF_SEED", DefaultSeed);
        var from = Setting("RR_CLASSDIFF_FROM", 0);
        var count = Setting("RR_CLASSDIFF_COUNT", DefaultCount);
        var workers = Math.Max(1, Setting("RR_CLASSDIFF_WORKERS", DefaultWorkers));
        if (MariaDb)
            workers = Math.Min(workers, topology.Config.ReplicaEndpoints.Count);   // MariaDB's lock probe sees every session's locks: one worker per replica
        var classifier = await ClassifierUnderTest.CreateAsync(topology);

        // Statements are independent (each runs alone on a reset session), so workers split the indexes among themselves,
        // each with its own replica session, and the outcome of a run does not depend on their number.
        var clock = Stopwatch.StartNew();
        var slices = await Task.WhenAll(Enumerable.Range(0, workers).Select(worker =>
            RunSliceAsync(classifier, seed, from + worker, from + count, workers, topology.Config.ReplicaEndpoints[worker % topology.Config.ReplicaEndpoints.Count], clock, reportsProgress: worker == 0)));
        clock.Stop();
        var figures = slices.Select(slice => slice.Figures).Aggregate(Figures.Add);
        var failures = slices.SelectMany(slice => slice.Failures).OrderBy(failure => failure.Index).ToList();

        Report($"[{topology.Flavor}] differential classifier test, seed {seed}, statements {from}..{from + count - 1} " +
            $"(RR_CLASSDIFF_SEED / RR_CLASSDIFF_FROM / RR_CLASSDIFF_COUNT, {workers} workers: RR_CLASSDIFF_WORKERS), {clock.Elapsed.TotalSeconds:F1} s:");
        Report(figures.ToString());

        Assert.True(figures.ReadVerdicts > 0, "No statement was classified as a read: the generator or the seam is broken.");
        Assert.True(figures.SyntaxErrors * 3 < figures.ReadVerdicts + figures.WriteVerdicts,
            $"Syntax errors are {figures.SyntaxErrors} of {figures.ReadVerdicts + figures.WriteVerdicts} statements run: the generator must produce mostly valid SQL.");
        if (failures.Count == 0)
            return;

        await using var oracle = await ReplicaOracle.OpenAsync(topology, topology.Config.ReplicaEndpoints[0], LockableRows);
        var repros = await MinimiseAsync(failures, classifier, oracle);
        var message = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"[{topology.Flavor}] {failures.Count} statements the classifier sends to a replica are not reads on the server ")
            .Append(CultureInfo.InvariantCulture, $"(seed {seed}); by outcome and leading word: {Breakdown(failures)}; ")
            .Append(CultureInfo.InvariantCulture, $"{repros.Count} distinct minimised repros (the first failure of each outcome and shape, then the earliest):")
            .AppendLine();
        foreach (var line in repros)
            message.AppendLine(line);
        Report(message.ToString());
        Assert.Fail(message.ToString());
    }

    /// <summary>Classifies statements <paramref name="first"/>, +<paramref name="step"/> … below <paramref name="end"/>, and runs on one replica those it must check.</summary>
    private async Task<(Figures Figures, List<Failure> Failures)> RunSliceAsync(
        ClassifierUnderTest classifier, int seed, long first, long end, int step, string replica, Stopwatch clock, bool reportsProgress)
    {
        await using var oracle = await ReplicaOracle.OpenAsync(topology, replica, LockableRows);
        var generator = new StatementGenerator(MariaDb);
        var figures = new Figures();
        var failures = new List<Failure>();
        for (var index = first; index < end; index += step)
        {
            var (sql, shape) = generator.Generate(seed, index);
            figures.Generated++;
            figures.ByShape[(int)shape]++;
            var verdict = classifier.Classify(sql);
            if (ClassifierUnderTest.GoesToReplica(verdict))
            {
                figures.ReadVerdicts++;
                var (outcome, error) = await oracle.ExecuteAsync(sql);
                figures.Record(outcome, error);
                if (outcome >= ServerOutcome.SetUserVariables)
                {
                    figures.WrongBy[(int)outcome]++;
                    figures.WrongByShape[(int)shape]++;
                    failures.Add(new Failure(index, sql, shape, verdict, outcome, error));
                }
                else if (outcome == ServerOutcome.Read)
                {
                    figures.ConfirmedReads++;
                }
            }
            else if (verdict.Kind is StatementKind.Write or StatementKind.Unknown)
            {
                // Sent to the primary as a write: did the server agree? A read-only replica refuses what writes and runs
                // what reads, so nothing of the generated text ever runs on the primary.
                figures.WriteVerdicts++;
                var (outcome, error) = await oracle.ExecuteAsync(sql);
                figures.Record(outcome, error);
                if (outcome == ServerOutcome.Read && figures.ReadsSentToPrimary++ < ReadsToPrimaryExamples)
                    figures.ReadsToPrimary.Add($"{verdict.Kind} {index}: {Shrinker.Quote(sql)}");
            }

            if (reportsProgress && figures.Generated % (100_000 / step) == 0)
                Report($"  … {index:N0} statements in {clock.Elapsed.TotalSeconds:F0} s");
        }

        return (figures, failures);
    }

    /// <summary>Shrinks the first failures (tokens, then characters) while the classifier still says read and the server still does the same.</summary>
    private static async Task<List<string>> MinimiseAsync(List<Failure> failures, ClassifierUnderTest classifier, ReplicaOracle oracle)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var repros = new List<string>();
        // The first failure of each kind (outcome and generated shape) first, so that the list shows the variety.
        var firsts = failures.GroupBy(failure => (failure.Outcome, failure.Shape)).Select(group => group.First()).ToList();
        foreach (var failure in firsts.Concat(failures.Except(firsts)).Take(MaxMinimised))
        {
            // A GTID of the replica's own is a write that landed: never run it again.
            var minimal = failure.Outcome == ServerOutcome.MovedGtid
                ? failure.Sql
                : await Shrinker.ShrinkAsync(failure.Sql, ShrinkBudget, async text =>
                    ClassifierUnderTest.GoesToReplica(classifier.Classify(text)) && (await oracle.ExecuteAsync(text)).Outcome == failure.Outcome);
            if (seen.Add(minimal))
            {
                repros.Add($"  {failure.Outcome} (error {failure.Error}), index {failure.Index}, {failure.Shape}, verdict {failure.Verdict.Kind}: " +
                    $"{Shrinker.Quote(minimal)}{Environment.NewLine}      from {Shrinker.Quote(failure.Sql)}");
            }
        }

        return repros;
    }

    /// <summary>Failures counted by outcome and the text's first word: how many distinct problems the list stands for.</summary>
    private static string Breakdown(List<Failure> failures) => string.Join(", ", failures
        .GroupBy(failure => $"{failure.Outcome} {failure.Sql.AsSpan().TrimStart().ToString().Split(' ', '(', '\n')[0].ToUpperInvariant()}")
        .OrderByDescending(group => group.Count())
        .Select(group => $"{group.Key} {group.Count():N0}"));

    private static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : fallback;

    private void Report(string text)
    {
        output.WriteLine(text);
        Console.WriteLine(text);
    }

    private sealed record Failure(long Index, string Sql, Shape Shape, SqlClassification Verdict, ServerOutcome Outcome, int Error);

    private sealed class Figures
    {
        public long Generated;
        public long ReadVerdicts;
        public long WriteVerdicts;
        public long ConfirmedReads;
        public long ReadsSentToPrimary;
        public readonly long[] ByShape = new long[Enum.GetValues<Shape>().Length];
        public readonly long[] ByOutcome = new long[Enum.GetValues<ServerOutcome>().Length];
        public readonly long[] WrongBy = new long[Enum.GetValues<ServerOutcome>().Length];
        public readonly long[] WrongByShape = new long[Enum.GetValues<Shape>().Length];

        public readonly Dictionary<int, long> Errors = [];
        public readonly List<string> ReadsToPrimary = [];

        public long Wrong => WrongBy.Sum();

        public void Record(ServerOutcome outcome, int error)
        {
            ByOutcome[(int)outcome]++;
            if (error != 0)
                Errors[error] = Errors.GetValueOrDefault(error) + 1;
        }

        public long SyntaxErrors => ByOutcome[(int)ServerOutcome.SyntaxError];

        public static Figures Add(Figures a, Figures b)
        {
            var sum = new Figures
            {
                Generated = a.Generated + b.Generated,
                ReadVerdicts = a.ReadVerdicts + b.ReadVerdicts,
                WriteVerdicts = a.WriteVerdicts + b.WriteVerdicts,
                ConfirmedReads = a.ConfirmedReads + b.ConfirmedReads,
                ReadsSentToPrimary = a.ReadsSentToPrimary + b.ReadsSentToPrimary,
            };
            foreach (var (into, x, y) in new[] { (sum.ByShape, a.ByShape, b.ByShape), (sum.ByOutcome, a.ByOutcome, b.ByOutcome), (sum.WrongBy, a.WrongBy, b.WrongBy), (sum.WrongByShape, a.WrongByShape, b.WrongByShape) })
            {
                for (var i = 0; i < into.Length; i++)
                    into[i] = x[i] + y[i];
            }

            sum.ReadsToPrimary.AddRange(a.ReadsToPrimary.Concat(b.ReadsToPrimary));
            foreach (var (error, count) in a.Errors.Concat(b.Errors))
                sum.Errors[error] = sum.Errors.GetValueOrDefault(error) + count;

            return sum;
        }

        public override string ToString()
        {
            var shapes = string.Join(", ", Enum.GetValues<Shape>().Select(s => $"{s} {ByShape[(int)s]:N0}"));
            var wrongShapes = string.Join(", ", Enum.GetValues<Shape>().Select(s => $"{s} {WrongByShape[(int)s]:N0}"));
            var errors = string.Join(", ", Errors.OrderByDescending(e => e.Value).Take(10).Select(e => $"{e.Key}: {e.Value:N0}"));
            var examples = string.Join(Environment.NewLine + "    ", ReadsToPrimary);
            var outcomes = string.Join(", ", Enum.GetValues<ServerOutcome>().Select(o => $"{o} {ByOutcome[(int)o]:N0}"));
            var share = ConfirmedReads + ReadsSentToPrimary == 0 ? 0 : 100.0 * ReadsSentToPrimary / (ConfirmedReads + ReadsSentToPrimary);
            return string.Create(CultureInfo.InvariantCulture,
                $"  generated {Generated:N0} ({shapes}){Environment.NewLine}" +
                $"  read verdicts executed on a replica {ReadVerdicts:N0}; wrong {Wrong:N0}: refused as write {WrongBy[(int)ServerOutcome.RefusedAsWrite]:N0}, " +
                $"took locks {WrongBy[(int)ServerOutcome.TookLocks]:N0}, set user variables {WrongBy[(int)ServerOutcome.SetUserVariables]:N0}, " +
                $"moved the replica's GTID {WrongBy[(int)ServerOutcome.MovedGtid]:N0}; by generated shape: {wrongShapes}{Environment.NewLine}" +
                $"  write verdicts executed on a replica {WriteVerdicts:N0}; pure reads among them (reads sent to the primary) {ReadsSentToPrimary:N0}, " +
                $"{share:F2}% of the statements the server ran as pure reads{Environment.NewLine}" +
                $"  server outcomes of everything executed: {outcomes} (syntax errors {SyntaxErrors:N0}){Environment.NewLine}" +
                $"  most frequent server errors: {errors}{Environment.NewLine}" +
                $"  reads sent to the primary, the first of each worker:{Environment.NewLine}    {examples}");
        }
    }
}

[Collection(TopologyConfig.MariaDb), Trait("Flavor", TopologyConfig.MariaDb)]
public sealed class MariaDbClassifierDifferentialTests(MariaDbTopology topology, ITestOutputHelper output) : ClassifierDifferentialTests(topology, output);

[Collection(TopologyConfig.MySql), Trait("Flavor", TopologyConfig.MySql)]
public sealed class MySqlClassifierDifferentialTests(MySqlTopology topology, ITestOutputHelper output) : ClassifierDifferentialTests(topology, output);
