using ReplicaRouting.Internal;

namespace ReplicaRouting.Tests.Internal;

public class SqlClassifierAllocationTests
{
    private static readonly string[] Representative =
    [
        "SELECT `o`.`Id`, `o`.`Total` FROM `Orders` AS `o` WHERE `o`.`Id` = @id",
        SqlClassifierSamples.EfQueryWithTags,
        "INSERT INTO `Orders` (`CustomerId`, `Total`) VALUES (@p0, @p1); SELECT LAST_INSERT_ID();",
        "BEGIN; SELECT * FROM t WHERE id = 1 FOR UPDATE; UPDATE t SET a = 'it\\'s' WHERE id = 1; COMMIT",
        "/*!40101 SET NAMES utf8mb4 */; WITH c AS (SELECT 1) SELECT * FROM c",
        SqlClassifierSamples.EfQueryWithAllowStale,
        "/* ReplicaRouting:AllowStale=2s */ SELECT * FROM t WHERE a = 'it\\'s'; -- ReplicaRouting:AllowStale=300ms\nSELECT 2",
        "-- ReplicaRouting:AllowStale=99999999999999999999ms\n-- ReplicaRouting:AllowStale=5m\n-- ReplicaRouting:AllowStale=\nSELECT 1",
        "-- ReplicaRouting:AllowStale=500ms\n-- ReplicaRouting:ReadFromPrimary\nSELECT 1",
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

    private static int ClassifyAll()
    {
        var sum = 0;
        foreach (var sql in Representative)
        {
            var verdict = SqlClassifier.Classify(sql);
            sum += (int)verdict.Kind + (int)verdict.Effects + (int)verdict.Hint + verdict.MaxStalenessMs;
        }

        return sum;
    }
}
