using ReplicaRouting.Internal;
using static ReplicaRouting.Internal.StatementKind;

namespace ReplicaRouting.Tests.Internal;

public class RoutineCatalogTests
{
    private static readonly RoutineCatalog Catalog = RoutineCatalog.From(
    [
        new("shop", "f_ins", IsFunction: true, "CONTAINS SQL", "BEGIN INSERT INTO log (v) VALUES (1); RETURN 1; END"),
        new("shop", "f_declared", IsFunction: true, "MODIFIES SQL DATA", "RETURN 1"),
        new("shop", "f_read", IsFunction: true, "READS SQL DATA", "RETURN (SELECT COUNT(*) FROM orders)"),
        new("shop", "f_pure", IsFunction: true, "CONTAINS SQL", "RETURN REPLACE(x, 'a', 'b')"),
        new("shop", "f_calls", IsFunction: true, "READS SQL DATA", "RETURN f_ins() + 1"),
        new("shop", "f_calls_calls", IsFunction: true, "CONTAINS SQL", "RETURN shop.f_calls()"),
        new("shop", "f_calls_unseen", IsFunction: true, "CONTAINS SQL", "RETURN other.f_unseen()"),
        new("shop", "f_hidden", IsFunction: true, "CONTAINS SQL", null),
        new("shop", "f_hidden_read", IsFunction: true, "READS SQL DATA", null),
        new("shop", "f_sets", IsFunction: true, "CONTAINS SQL", "BEGIN SET @last = 1; RETURN 1; END"),
        new("shop", "f_local", IsFunction: true, "CONTAINS SQL", "BEGIN DECLARE v INT; SET v = 1; SELECT 1 INTO v; RETURN v; END"),
        new("shop", "p_write", IsFunction: false, "MODIFIES SQL DATA", "INSERT INTO log VALUES (1)"),
    ]);

    private static readonly SqlContext Context = SqlContext.For(ServerFlavor.MariaDb, "10.11.19-MariaDB").WithRoutines(Catalog);

    [Theory]
    [InlineData("f_ins", RoutineAccess.MayWrite)]
    [InlineData("F_INS", RoutineAccess.MayWrite)]
    [InlineData("f_declared", RoutineAccess.MayWrite)]
    [InlineData("f_read", RoutineAccess.ReadsOnly)]
    [InlineData("f_pure", RoutineAccess.ReadsOnly)]
    [InlineData("f_calls", RoutineAccess.MayWrite)]
    [InlineData("f_calls_calls", RoutineAccess.MayWrite)]
    [InlineData("f_calls_unseen", RoutineAccess.MayWrite)]
    [InlineData("f_hidden", RoutineAccess.MayWrite)]
    [InlineData("f_hidden_read", RoutineAccess.ReadsOnly)]
    [InlineData("f_sets", RoutineAccess.MayWrite)]
    [InlineData("f_local", RoutineAccess.ReadsOnly)]
    [InlineData("p_write", RoutineAccess.Unknown)]
    [InlineData("now", RoutineAccess.Unknown)]
    public void Decides_what_each_function_may_do(string name, object expected)
    {
        Assert.Equal((RoutineAccess)expected, Catalog.Lookup("", name));
        Assert.Equal((RoutineAccess)expected, Catalog.Lookup("SHOP", name));
    }

    [Theory]
    [InlineData("SELECT f_ins()", Write)]
    [InlineData("DO f_ins()", Write)]
    [InlineData("SELECT shop.f_ins() AS x", Write)]
    [InlineData("SELECT `shop`.`f_ins` (1) AS x", Write)]
    [InlineData("SELECT `F_Ins`()", Write)]
    [InlineData("SELECT a FROM t WHERE b = f_calls()", Write)]
    [InlineData("SELECT f_read(), f_pure('x')", Read)]
    [InlineData("SELECT shop.f_read()", Read)]
    [InlineData("SELECT other.f_unknown()", Write)]   // a qualified routine it cannot see may write
    [InlineData("SELECT f_unknown(), NOW(), COUNT(*)", Read)]   // unqualified and unknown: a built-in
    [InlineData("SELECT 'f_ins()' FROM t", Read)]
    [InlineData("SELECT t.f_ins FROM t", Read)]
    public void A_call_to_a_function_that_may_write_is_a_write(string sql, object expected)
    {
        Assert.Equal((StatementKind)expected, SqlClassifier.Classify(sql, Context).Kind);
        Assert.Equal(SqlClassifier.ClassifyByFullLexing(sql, Context), SqlClassifier.Classify(sql, Context, skimMinLength: 0));
    }

    [Theory]
    [InlineData(" AND f_ins() > 0")]
    [InlineData(" AND f_ins (1) > 0")]
    [InlineData(" AND F_INS/* c */(1) > 0")]
    [InlineData(" AND f_ins -- c\n(1) > 0")]
    [InlineData(" AND `f_ins`(1) > 0")]
    [InlineData(" AND shop . f_read(1) > 0 AND other.x(1) > 0")]
    public void The_skim_finds_calls_at_the_end_of_a_long_read(string tail)
    {
        var sql = "SELECT `o`.`Id`, `o`.`CreatedAt`, `o`.`Status` FROM `Orders` AS `o` WHERE `o`.`CustomerId` = @id AND `o`.`Total` > 0" + tail;

        Assert.Equal(Write, SqlClassifier.Classify(sql, Context).Kind);
        Assert.Equal(Write, SqlClassifier.ClassifyByFullLexing(sql, Context).Kind);
    }

    [Fact]
    public void Lookups_allocate_nothing()
    {
        Catalog.Lookup("shop", "f_ins");
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            Catalog.Lookup("", "F_INS".AsSpan());
            Catalog.Lookup("shop".AsSpan(), "f_read".AsSpan());
        }

        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }
}
