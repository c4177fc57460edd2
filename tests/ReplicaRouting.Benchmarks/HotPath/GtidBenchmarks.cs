using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;

namespace ReplicaRouting.Benchmarks.HotPath;

/// <summary>
/// Realistic positions. MySQL: three server UUIDs and 50 intervals in all (one busy primary, one past primary whose
/// history has 48 gaps, one short-lived primary), as <c>@@global.gtid_executed</c> looks after a few failovers. MariaDB:
/// three replication domains.
/// </summary>
internal static class SamplePositions
{
    public const string ClusterId = "c3f09a1b2c4d5e6f7";

    /// <summary>What a session requires (MySQL captures the whole executed set, so a session carries all 50 intervals).</summary>
    public static readonly MySqlGtidSet MySqlRequired = MySqlGtidSet.Parse(MySqlText(primaryEnd: 1_204_311, thirdEnd: 5_000));

    /// <summary>A replica a little further on: every interval of <see cref="MySqlRequired"/> and some more.</summary>
    public static readonly MySqlGtidSet MySqlServer = MySqlGtidSet.Parse(MySqlText(primaryEnd: 1_204_350, thirdEnd: 5_000));

    /// <summary>The next capture after <see cref="MySqlRequired"/>: one more transaction on the primary.</summary>
    public static readonly MySqlGtidSet MySqlNextCapture = MySqlGtidSet.Parse(MySqlText(primaryEnd: 1_204_312, thirdEnd: 5_000));

    public static readonly MariaDbGtidPosition MariaDbRequired = MariaDbGtidPosition.Parse("0-3311-105252,1-3312-4410,2-3313-77");

    public static readonly MariaDbGtidPosition MariaDbServer = MariaDbGtidPosition.Parse("0-3311-105290,1-3312-4410,2-3313-80");

    public static readonly MariaDbGtidPosition MariaDbNextCapture = MariaDbGtidPosition.Parse("0-3311-105253");

    private static string MySqlText(long primaryEnd, long thirdEnd)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"3e11fa47-71ca-11e1-9e33-c80aa9429562:1-{primaryEnd},");

        // 48 intervals: transactions skipped by a replica filter leave gaps in the old primary's history.
        text.Append("8a94f357-aab4-11df-86ab-c80aa9429563");
        for (var i = 0; i < 48; i++)
            text.Append(CultureInfo.InvariantCulture, $":{(i * 1000) + 1}-{(i * 1000) + 990}");

        text.Append(CultureInfo.InvariantCulture, $",d9b4e1a2-5c3f-11ee-8c99-0242ac120002:1-{thirdEnd}");
        return text.ToString();
    }
}

/// <summary>GTID comparisons and merges: every causal read compares, every captured write merges.</summary>
[MemoryDiagnoser]
public class GtidBenchmarks
{
    [Benchmark]
    public bool GtidIsSatisfiedByMySql50() => SamplePositions.MySqlRequired.IsSatisfiedBy(SamplePositions.MySqlServer);

    [Benchmark]
    public bool GtidIsSatisfiedByMariaDb3() => SamplePositions.MariaDbRequired.IsSatisfiedBy(SamplePositions.MariaDbServer);

    [Benchmark]
    public GtidPosition GtidMergeMySql50() => SamplePositions.MySqlRequired.Merge(SamplePositions.MySqlNextCapture);

    [Benchmark]
    public GtidPosition GtidMergeMariaDb3() => SamplePositions.MariaDbRequired.Merge(SamplePositions.MariaDbNextCapture);
}

/// <summary>The consistency token: parsed and verified once per request that carries one, formatted once per response.</summary>
[MemoryDiagnoser]
public class TokenBenchmarks
{
    private static readonly DateTimeOffset s_issuedAt = DateTimeOffset.FromUnixTimeMilliseconds(1_764_000_000_123);

    private readonly string _mySqlToken = new ConsistencyToken(SamplePositions.ClusterId, SamplePositions.MySqlRequired, s_issuedAt).ToString();
    private readonly string _mariaDbToken = new ConsistencyToken(SamplePositions.ClusterId, SamplePositions.MariaDbRequired, s_issuedAt).ToString();

    /// <summary>Parse, then check the position against a server's: what restoring a session and routing its first read need.</summary>
    [Benchmark]
    public bool TokenParseVerifyMySql50() =>
        ConsistencyToken.TryParse(_mySqlToken, out var token) && token.Position.IsSatisfiedBy(SamplePositions.MySqlServer);

    [Benchmark]
    public bool TokenParseVerifyMariaDb3() =>
        ConsistencyToken.TryParse(_mariaDbToken, out var token) && token.Position.IsSatisfiedBy(SamplePositions.MariaDbServer);

    /// <summary>A new token's text (the position's own text is cached, as it is after the capture that produced it).</summary>
    [Benchmark]
    public string TokenFormatMySql50() => new ConsistencyToken(SamplePositions.ClusterId, SamplePositions.MySqlRequired, s_issuedAt).ToString();

    [Benchmark]
    public string TokenFormatMariaDb3() => new ConsistencyToken(SamplePositions.ClusterId, SamplePositions.MariaDbRequired, s_issuedAt).ToString();
}
