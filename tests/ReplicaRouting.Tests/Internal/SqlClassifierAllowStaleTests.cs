using ReplicaRouting.Internal;
using static ReplicaRouting.Internal.StatementKind;

namespace ReplicaRouting.Tests.Internal;

/// <summary>The <c>ReplicaRouting:AllowStale=&lt;n&gt;ms|s</c> hint: where it counts, what it parses to, what is ignored.</summary>
public class SqlClassifierAllowStaleTests
{
    private const SessionEffects NoFx = SessionEffects.None;
    private const SessionEffects Pin = SessionEffects.PinsToPrimary;
    private const SqlHint NoHint = SqlHint.None;
    private const SqlHint Primary = SqlHint.ReadFromPrimary;

    // sql → kind, effects, hint, max staleness in ms (0 = none)
    public static TheoryData<string, object, object, object, int> Cases => new()
    {
        // both comment forms (and #), ms and s, any case, spaces around the comment's content
        { "-- ReplicaRouting:AllowStale=500ms\nSELECT 1", Read, NoFx, NoHint, 500 },
        { "/* ReplicaRouting:AllowStale=500ms */ SELECT 1", Read, NoFx, NoHint, 500 },
        { "/*ReplicaRouting:AllowStale=2s*/SELECT 1", Read, NoFx, NoHint, 2000 },
        { "-- ReplicaRouting:AllowStale=2s\nSELECT 1", Read, NoFx, NoHint, 2000 },
        { "# ReplicaRouting:AllowStale=750ms\nSELECT 1", Read, NoFx, NoHint, 750 },
        { "-- replicarouting:allowstale=3S\nSELECT 1", Read, NoFx, NoHint, 3000 },
        { "-- REPLICAROUTING:ALLOWSTALE=40MS\nSELECT 1", Read, NoFx, NoHint, 40 },
        { "-- ReplicaRouting:AllowStale=40Ms\nSELECT 1", Read, NoFx, NoHint, 40 },
        { "--   ReplicaRouting:AllowStale=10ms   \r\nSELECT 1", Read, NoFx, NoHint, 10 },
        { "/*\n  ReplicaRouting:AllowStale=10s\n*/ SELECT 1", Read, NoFx, NoHint, 10_000 },

        // EF Core TagWith: one "-- " line per tag line, a blank line, then the query
        { "-- ReplicaRouting:AllowStale=500ms\n\nSELECT `o`.`Id` FROM `Orders` AS `o`", Read, NoFx, NoHint, 500 },
        { "-- OrdersController.List\n-- ReplicaRouting:AllowStale=250ms\n\nSELECT `o`.`Id` FROM `Orders` AS `o`", Read, NoFx, NoHint, 250 },
        { "-- ReplicaRouting:AllowStale=250ms\n-- tag2\n\nSELECT 1", Read, NoFx, NoHint, 250 },
        { "/* tag */ /* ReplicaRouting:AllowStale=1s */ SELECT 1", Read, NoFx, NoHint, 1000 },

        // the range: 1 ms to 1 hour inclusive
        { "-- ReplicaRouting:AllowStale=1ms\nSELECT 1", Read, NoFx, NoHint, 1 },
        { "-- ReplicaRouting:AllowStale=1s\nSELECT 1", Read, NoFx, NoHint, 1000 },
        { "-- ReplicaRouting:AllowStale=3600s\nSELECT 1", Read, NoFx, NoHint, 3_600_000 },
        { "-- ReplicaRouting:AllowStale=3600000ms\nSELECT 1", Read, NoFx, NoHint, 3_600_000 },
        { "-- ReplicaRouting:AllowStale=0500ms\nSELECT 1", Read, NoFx, NoHint, 500 },
        { "-- ReplicaRouting:AllowStale=000000000000000000000000001s\nSELECT 1", Read, NoFx, NoHint, 1000 },

        // malformed or out of range: ignored, the statement is classified as without it
        { "-- ReplicaRouting:AllowStale=\nSELECT 1", Read, NoFx, NoHint, 0 },
        { "-- ReplicaRouting:AllowStale\nSELECT 1", Read, NoFx, NoHint, 0 },
        { "-- ReplicaRouting:AllowStale=abc\nSELECT 1", Read, NoFx, NoHint, 0 },
        { "-- ReplicaRouting:AllowStale=ms\nSELECT 1", Read, NoFx, NoHint, 0 },
        { "-- ReplicaRouting:AllowStale=500\nSELECT 1", Read, NoFx, NoHint, 0 },
        { "-- ReplicaRouting:AllowStale=5m\nSELECT 1", Read, NoFx, NoHint, 0 },
        { "-- ReplicaRouting:AllowStale=5min\nSELECT 1", Read, NoFx, NoHint, 0 },
        { "-- ReplicaRouting:AllowStale=1h\nSELECT 1", Read, NoFx, NoHint, 0 },
        { "-- ReplicaRouting:AllowStale=-1s\nSELECT 1", Read, NoFx, NoHint, 0 },
        { "-- ReplicaRouting:AllowStale=+1s\nSELECT 1", Read, NoFx, NoHint, 0 },
        { "-- ReplicaRouting:AllowStale=1.5s\nSELECT 1", Read, NoFx, NoHint, 0 },
        { "-- ReplicaRouting:AllowStale=1,5s\nSELECT 1", Read, NoFx, NoHint, 0 },
        { "-- ReplicaRouting:AllowStale=1 s\nSELECT 1", Read, NoFx, NoHint, 0 },
        { "-- ReplicaRouting:AllowStale= 1s\nSELECT 1", Read, NoFx, NoHint, 0 },
        { "-- ReplicaRouting:AllowStale =1s\nSELECT 1", Read, NoFx, NoHint, 0 },
        { "-- ReplicaRouting:AllowStale=1sms\nSELECT 1", Read, NoFx, NoHint, 0 },
        { "-- ReplicaRouting:AllowStale=1ss\nSELECT 1", Read, NoFx, NoHint, 0 },
        { "-- ReplicaRouting:AllowStale=1s please\nSELECT 1", Read, NoFx, NoHint, 0 },
        { "-- ReplicaRouting:AllowStale=0ms\nSELECT 1", Read, NoFx, NoHint, 0 },
        { "-- ReplicaRouting:AllowStale=0s\nSELECT 1", Read, NoFx, NoHint, 0 },
        { "-- ReplicaRouting:AllowStale=3601s\nSELECT 1", Read, NoFx, NoHint, 0 },
        { "-- ReplicaRouting:AllowStale=3600001ms\nSELECT 1", Read, NoFx, NoHint, 0 },
        { "-- ReplicaRouting:AllowStale=4294967296ms\nSELECT 1", Read, NoFx, NoHint, 0 },
        { "-- ReplicaRouting:AllowStale=4294968s\nSELECT 1", Read, NoFx, NoHint, 0 },
        { "-- ReplicaRouting:AllowStale=99999999999999999999999999999999ms\nSELECT 1", Read, NoFx, NoHint, 0 },
        { "-- ReplicaRouting:AllowStale=１s\nSELECT 1", Read, NoFx, NoHint, 0 },   // a full-width digit
        { "-- ReplicaRouting:AllowStale500ms\nSELECT 1", Read, NoFx, NoHint, 0 },
        { "-- ReplicaRouting:AllowStaleness=500ms\nSELECT 1", Read, NoFx, NoHint, 0 },
        { "/*+ ReplicaRouting:AllowStale=500ms */ SELECT 1", Read, NoFx, NoHint, 0 },

        // only a leading comment of a statement is a hint (the ReadFromPrimary rules)
        { "SELECT 1 -- ReplicaRouting:AllowStale=500ms", Read, NoFx, NoHint, 0 },
        { "SELECT /* ReplicaRouting:AllowStale=500ms */ 1", Read, NoFx, NoHint, 0 },
        { "SELECT '-- ReplicaRouting:AllowStale=500ms'", Read, NoFx, NoHint, 0 },
        { "SELECT '/* ReplicaRouting:AllowStale=500ms */' FROM t", Read, NoFx, NoHint, 0 },
        { "SELECT 1 /* ReplicaRouting:AllowStale=500ms */; SELECT 2", Read, NoFx, NoHint, 0 },
        { "SELECT 1; -- ReplicaRouting:AllowStale=500ms\nSELECT 2", Read, NoFx, NoHint, 500 },
        { "SELECT 1; /* ReplicaRouting:AllowStale=500ms */ SELECT 2", Read, NoFx, NoHint, 500 },
        { "--ReplicaRouting:AllowStale=500ms\nSELECT 1", Unknown, NoFx, NoHint, 0 },   // not a comment in MySQL
        { "/*! ReplicaRouting:AllowStale=500ms */ SELECT 1", Unknown, NoFx, NoHint, 0 },   // executable: code

        // a hint does not change the kind or the effects
        { "-- ReplicaRouting:AllowStale=500ms", Empty, NoFx, NoHint, 500 },
        { "-- ReplicaRouting:AllowStale=500ms\nINSERT INTO t VALUES (1)", Write, NoFx, NoHint, 500 },
        { "-- ReplicaRouting:AllowStale=500ms\nSELECT 1 FOR UPDATE", LockingRead, NoFx, NoHint, 500 },
        { "-- ReplicaRouting:AllowStale=500ms\nSET @x = 1", SessionState, Pin, NoHint, 500 },
        { "-- ReplicaRouting:AllowStale=500ms\nSELECT 1; UPDATE t SET a = 1", Write, NoFx, NoHint, 500 },

        // several: the stricter (smaller) bound; ReadFromPrimary wins over any of them
        { "-- ReplicaRouting:AllowStale=2s\n-- ReplicaRouting:AllowStale=500ms\nSELECT 1", Read, NoFx, NoHint, 500 },
        { "-- ReplicaRouting:AllowStale=500ms\n-- ReplicaRouting:AllowStale=2s\nSELECT 1", Read, NoFx, NoHint, 500 },
        { "-- ReplicaRouting:AllowStale=2s\nSELECT 1; -- ReplicaRouting:AllowStale=300ms\nSELECT 2", Read, NoFx, NoHint, 300 },
        { "-- ReplicaRouting:AllowStale=2s\n-- ReplicaRouting:AllowStale=junk\nSELECT 1", Read, NoFx, NoHint, 2000 },
        { "-- ReplicaRouting:AllowStale=500ms\n-- ReplicaRouting:ReadFromPrimary\nSELECT 1", Read, NoFx, Primary, 0 },
        { "-- ReplicaRouting:ReadFromPrimary\n-- ReplicaRouting:AllowStale=500ms\nSELECT 1", Read, NoFx, Primary, 0 },
        { "/* ReplicaRouting:ReadFromPrimary */ /* ReplicaRouting:AllowStale=1s */ SELECT 1", Read, NoFx, Primary, 0 },
        { "-- ReplicaRouting:AllowStale=1s\nSELECT 1; -- ReplicaRouting:ReadFromPrimary\nSELECT 2", Read, NoFx, Primary, 0 },

        // a backslash-escaped quote: the hint counts only when both readings (with and without backslash escapes) carry it
        { "-- ReplicaRouting:AllowStale=500ms\nSELECT * FROM t WHERE a = 'it\\'s'", Read, NoFx, NoHint, 500 },
        { "SELECT 'a\\'; -- ReplicaRouting:AllowStale=500ms\nSELECT 1 -- '", Read, NoFx, NoHint, 0 },
        { "SELECT 'a\\'; -- ReplicaRouting:ReadFromPrimary\nSELECT 1 -- '", Read, NoFx, Primary, 0 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Classifies(string sql, object kind, object effects, object hint, int maxStalenessMs)
    {
        var expected = new SqlClassification((StatementKind)kind, (SessionEffects)effects, (SqlHint)hint, maxStalenessMs);

        Assert.Equal(expected, SqlClassifier.Classify(sql));
    }

    [Fact]
    public void Cases_are_distinct()
    {
        var statements = Cases.Select(row => (string)row[0]).ToList();

        Assert.Equal(statements.Count, statements.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void An_EF_style_query_tagged_with_AllowStale_is_a_read_with_the_bound()
    {
        var sql = SqlClassifierSamples.EfQueryWithAllowStale;

        Assert.Equal(new SqlClassification(Read, NoFx, NoHint, 500), SqlClassifier.Classify(sql));
        Assert.True(SqlClassifier.Classify(sql).AllowsStale);
        Assert.False(SqlClassifier.Classify(SqlClassifierSamples.EfQuery).AllowsStale);
    }

    [Fact]
    public void The_three_argument_constructor_means_no_bound()
    {
        var classification = new SqlClassification(Read, NoFx, NoHint);

        Assert.Equal(0, classification.MaxStalenessMs);
        Assert.False(classification.AllowsStale);
        Assert.Equal(new SqlClassification(Read, NoFx, NoHint, 0), classification);
    }

    [Theory]
    [InlineData(0, 0, 0)]
    [InlineData(500, 0, 500)]
    [InlineData(0, 500, 500)]
    [InlineData(500, 2000, 500)]
    [InlineData(2000, 500, 500)]
    [InlineData(700, 700, 700)]
    public void Combine_keeps_the_stricter_bound(int first, int second, int expected)
    {
        var combined = SqlClassification.Combine(
            new SqlClassification(Read, NoFx, NoHint, first),
            new SqlClassification(Read, NoFx, NoHint, second));

        Assert.Equal(expected, combined.MaxStalenessMs);
        Assert.Equal(SqlHint.None, combined.Hint);
    }

    [Fact]
    public void Combine_lets_ReadFromPrimary_win_over_a_bound()
    {
        var stale = new SqlClassification(Read, NoFx, NoHint, 500);
        var primary = new SqlClassification(Read, NoFx, Primary);

        Assert.Equal(new SqlClassification(Read, NoFx, Primary), SqlClassification.Combine(stale, primary));
        Assert.Equal(new SqlClassification(Read, NoFx, Primary), SqlClassification.Combine(primary, stale));
    }

    [Fact]
    public void Combine_still_combines_kinds_and_effects()
    {
        var combined = SqlClassification.Combine(
            new SqlClassification(Read, NoFx, NoHint, 2000),
            new SqlClassification(SessionState, Pin, NoHint, 300));

        Assert.Equal(new SqlClassification(SessionState, Pin, NoHint, 300), combined);
    }

    [Fact]
    public void Combining_the_classified_statements_of_a_batch_keeps_the_stricter_bound()
    {
        var batch = new SqlClassification(Empty, NoFx, NoHint);
        foreach (var sql in new[]
        {
            "-- ReplicaRouting:AllowStale=2s\nSELECT 1",
            "SELECT 2",
            "/* ReplicaRouting:AllowStale=800ms */ SELECT 3",
        })
        {
            batch = SqlClassification.Combine(batch, SqlClassifier.Classify(sql));
        }

        Assert.Equal(new SqlClassification(Read, NoFx, NoHint, 800), batch);
    }
}
