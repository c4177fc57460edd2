using System.Diagnostics;
using ReplicaRouting.Internal;
using Xunit.Abstractions;

namespace ReplicaRouting.Tests.Internal;

public class SqlClassifierAllocationTests(ITestOutputHelper output)
{
    private static readonly string[] Representative =
    [
        "SELECT `o`.`Id`, `o`.`Total` FROM `Orders` AS `o` WHERE `o`.`Id` = @id",
        SqlClassifierSamples.EfQueryWithTags,
        "INSERT INTO `Orders` (`CustomerId`, `Total`) VALUES (@p0, @p1); SELECT LAST_INSERT_ID();",
        "BEGIN; SELECT * FROM t WHERE id = 1 FOR UPDATE; UPDATE t SET a = 'it\\'s' WHERE id = 1; COMMIT",
        "/*!40101 SET NAMES utf8mb4 */; WITH c AS (SELECT 1) SELECT * FROM c",
    ];

    [Fact]
    public void Classifying_allocates_nothing()
    {
        var sink = 0;
        for (var i = 0; i < 200; i++)
            sink += ClassifyAll();

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
            sink += ClassifyAll();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.NotEqual(0, sink);
    }

    /// <summary>Prints the speed for a look; timings are never asserted (benchmarks measure them properly).</summary>
    [Fact]
    public void Reports_speed()
    {
        const string Typical = "SELECT `u`.`Id`, `u`.`Email`, `u`.`DisplayName`, `u`.`CreatedAt` FROM `Users` AS `u` "
            + "INNER JOIN `Teams` AS `t` ON `u`.`TeamId` = `t`.`Id` WHERE `t`.`Name` = @name AND `u`.`IsActive` = TRUE "
            + "ORDER BY `u`.`CreatedAt` DESC LIMIT 20";
        Report("typical ~200-char SELECT", Typical);
        Report("2 KB EF query with tags", SqlClassifierSamples.EfQueryWithTags);
        Report("INSERT + LAST_INSERT_ID()", Representative[2]);
    }

    private void Report(string name, string sql)
    {
        // Run long enough for tiered compilation to replace the first, unoptimised code, then keep the best round.
        var sink = 0;
        var warmUp = Stopwatch.StartNew();
        while (warmUp.ElapsedMilliseconds < 300)
            sink += (int)SqlClassifier.Classify(sql).Kind;

        var iterations = Math.Max(1_000, 2_000_000 / sql.Length);
        var best = double.MaxValue;
        for (var round = 0; round < 5; round++)
        {
            var stopwatch = Stopwatch.StartNew();
            for (var i = 0; i < iterations; i++)
                sink += (int)SqlClassifier.Classify(sql).Kind;
            best = Math.Min(best, stopwatch.Elapsed.TotalMilliseconds * 1_000_000 / iterations);
        }

        output.WriteLine($"{name} ({sql.Length} chars): {best:F0} ns per call (best of 5) [{sink}]");
    }

    private static int ClassifyAll()
    {
        var sum = 0;
        foreach (var sql in Representative)
        {
            var verdict = SqlClassifier.Classify(sql);
            sum += (int)verdict.Kind + (int)verdict.Effects + (int)verdict.Hint;
        }

        return sum;
    }
}
