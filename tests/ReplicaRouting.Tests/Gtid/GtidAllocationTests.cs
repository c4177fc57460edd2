using System.Text;

namespace ReplicaRouting.Tests.Gtid;

public class GtidAllocationTests
{
    // Realistic sizes: a MySQL server that saw two failovers (3 UUIDs, 50 intervals), a MariaDB cluster with 3 domains.
    private static readonly MySqlGtidSet MySqlServer = MySqlGtidSet.Parse(Realistic(gapsEvery: 1));
    private static readonly MySqlGtidSet MySqlWanted = MySqlGtidSet.Parse(Realistic(gapsEvery: 2));
    private static readonly MariaDbGtidPosition MariaDbServer = MariaDbGtidPosition.Parse("0-2-1577,1-1-88,7-3-400001");
    private static readonly MariaDbGtidPosition MariaDbWanted = MariaDbGtidPosition.Parse("0-1-1576,1-1-88,7-3-399999");

    [Fact]
    public void IsSatisfiedBy_allocates_nothing()
    {
        var sink = 0;
        for (var i = 0; i < 200; i++)
            sink += CheckAll();

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
            sink += CheckAll();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal(1200 * 6, sink);
    }

    [Fact]
    public void Merge_that_adds_nothing_and_cached_ToString_allocate_nothing()
    {
        var sink = 0;
        for (var i = 0; i < 200; i++)
            sink += MergeAndFormat();

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
            sink += MergeAndFormat();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.NotEqual(0, sink);
    }

    [Fact]
    public void The_realistic_sets_are_what_they_claim()
    {
        Assert.Equal(3, MySqlServer.ToString().Split(',').Length);
        Assert.Equal(1 + 50, MySqlServer.ToString().Split(':').Length);
        Assert.True(MySqlWanted.IsSatisfiedBy(MySqlServer));
        Assert.False(MySqlServer.IsSatisfiedBy(MySqlWanted));
        Assert.True(MariaDbWanted.IsSatisfiedBy(MariaDbServer));
    }

    private static int CheckAll()
    {
        var satisfied = 0;
        satisfied += MySqlWanted.IsSatisfiedBy(MySqlServer) ? 1 : 0;
        satisfied += MySqlServer.IsSatisfiedBy(MySqlWanted) ? 0 : 1;
        satisfied += MySqlWanted.IsSatisfiedBy(MySqlWanted) ? 1 : 0;
        satisfied += MariaDbWanted.IsSatisfiedBy(MariaDbServer) ? 1 : 0;
        satisfied += MariaDbServer.IsSatisfiedBy(MariaDbWanted) ? 0 : 1;
        satisfied += MySqlWanted.IsSatisfiedBy(MariaDbServer) ? 0 : 1;
        return satisfied;
    }

    private static int MergeAndFormat()
    {
        var sum = 0;
        sum += MySqlServer.Merge(MySqlWanted).ToString().Length;
        sum += MariaDbServer.Merge(MariaDbWanted).ToString().Length;
        sum += MySqlServer.GetHashCode() & 1;
        sum += MySqlServer.Equals(MySqlWanted) ? 1 : 0;
        return sum;
    }

    /// <summary>Three UUIDs with 20, 15 and 15 intervals; <paramref name="gapsEvery"/> 2 drops every other interval.</summary>
    private static string Realistic(int gapsEvery)
    {
        string[] uuids = ["3e11fa47-71ca-11e1-9e33-c80aa9429562", "4f2a0b3c-1d2e-11ef-8a9b-0242ac120002", "a1b2c3d4-e5f6-4789-abcd-ef0123456789"];
        int[] counts = [20, 15, 15];
        var text = new StringBuilder();
        for (var u = 0; u < uuids.Length; u++)
        {
            text.Append(u == 0 ? "" : ",\n").Append(uuids[u]);
            for (var i = 0; i < counts[u]; i++)
            {
                if (i % gapsEvery == 0)
                    text.Append(':').Append((i * 100) + 1).Append('-').Append((i * 100) + 90);
            }
        }

        return text.ToString();
    }
}
