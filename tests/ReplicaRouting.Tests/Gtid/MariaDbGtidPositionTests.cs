namespace ReplicaRouting.Tests.Gtid;

public class MariaDbGtidPositionTests
{
    // text → canonical text
    public static TheoryData<string, string> Valid => new()
    {
        { "", "" },
        { " \n ", "" },
        { "0-1-5", "0-1-5" },
        { "0-1-5,1-2-9", "0-1-5,1-2-9" },
        { "1-2-9,0-1-5", "0-1-5,1-2-9" },
        { "1-2-9,\n0-1-5", "0-1-5,1-2-9" },
        { " 10-1-1 ,\t2-1-1\r\n, 0-3-7 ", "0-3-7,2-1-1,10-1-1" },
        { "0-0-0", "0-0-0" },
        { "4294967295-4294967295-18446744073709551615", "4294967295-4294967295-18446744073709551615" },
        { "0-2-576", "0-2-576" },
    };

    // text → a word of the error message
    public static TheoryData<string, string> Invalid => new()
    {
        { ",", "empty element" },
        { "0-1-5,", "empty element" },
        { ",0-1-5", "empty element" },
        { "0-1-5,,1-1-1", "empty element" },
        { "0-1-5,1-2-9,0-3-7", "duplicate domain" },
        { "0-1-5,0-1-5", "duplicate domain" },
        { "0-1", "expected '-'" },
        { "0", "expected '-'" },
        { "0-1-", "expected a number" },
        { "-1-5", "expected a number" },
        { "0--1-5", "expected a number" },
        { "0-1-5-6", "unexpected character" },
        { "0-1-5x", "unexpected character" },
        { "0-1-5 1-2-9", "unexpected character" },
        { "0-1-5;1-2-9", "unexpected character" },
        { "0 - 1 - 5", "expected '-'" },
        { "00-1-5", "leading zero" },
        { "0-01-5", "leading zero" },
        { "0-1-05", "leading zero" },
        { "4294967296-1-5", "too large" },
        { "0-4294967296-5", "too large" },
        { "0-1-18446744073709551616", "too large" },
        { "+0-1-5", "expected a number" },
        { "a-1-5", "expected a number" },
        { "0-1-5~1-2-9", "unexpected character" },
        { "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5", "expected '-'" },
    };

    [Theory]
    [MemberData(nameof(Valid))]
    public void Parses_to_the_canonical_text(string text, string canonical)
    {
        Assert.True(MariaDbGtidPosition.TryParse(text, out var position));
        Assert.Equal(canonical, position.ToString());
        Assert.Equal(canonical.Length == 0, position.IsEmpty);
        Assert.Equal(ServerFlavor.MariaDb, position.Flavor);

        var again = MariaDbGtidPosition.Parse(canonical);
        Assert.Equal(canonical, again.ToString());
        Assert.Equal(position, again);
        Assert.Equal(position.GetHashCode(), again.GetHashCode());
        Assert.True(GtidPosition.TryParse(ServerFlavor.MariaDb, text, out var general));
        Assert.Equal(position, general);
    }

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Rejects_invalid_text_and_says_why(string text, string reason)
    {
        Assert.False(MariaDbGtidPosition.TryParse(text, out var position));
        Assert.Null(position);
        Assert.False(GtidPosition.TryParse(ServerFlavor.MariaDb, text, out _));
        var error = Assert.Throws<FormatException>(() => MariaDbGtidPosition.Parse(text));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_error_points_at_the_second_entry_of_a_duplicate_domain()
    {
        var error = Assert.Throws<FormatException>(() => MariaDbGtidPosition.Parse("0-1-5,1-2-9, 0-3-7"));
        Assert.Contains("index 13", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Empty_text_is_the_empty_position()
    {
        Assert.True(MariaDbGtidPosition.TryParse("", out var position));
        Assert.Same(MariaDbGtidPosition.Empty, position);
        Assert.Equal("", MariaDbGtidPosition.Empty.ToString());
    }

    [Fact]
    public void Text_longer_than_the_cap_never_parses()
    {
        static string Padded(int length) => "0-1-5," + new string('\n', length - 11) + "1-2-9";
        Assert.True(MariaDbGtidPosition.TryParse(Padded(GtidPosition.MaxTextLength), out var position));
        Assert.Equal("0-1-5,1-2-9", position.ToString());
        Assert.False(MariaDbGtidPosition.TryParse(Padded(GtidPosition.MaxTextLength + 1), out _));
    }

    [Fact]
    public void Parse_rejects_null() => Assert.Throws<ArgumentNullException>(() => MariaDbGtidPosition.Parse(null!));

    [Fact]
    public void ToString_is_computed_once()
    {
        var position = MariaDbGtidPosition.Parse("1-2-9,0-1-5");
        Assert.Same(position.ToString(), position.ToString());
    }

    // position, server → satisfied
    public static TheoryData<string, string, bool> Satisfaction => new()
    {
        { "", "", true },
        { "", "0-1-5", true },
        { "0-1-5", "", false },
        { "0-1-5", "0-1-5", true },
        { "0-1-5", "0-1-6", true },
        { "0-1-5", "0-1-4", false },
        { "0-1-5", "0-9-5", true },           // server ids are ignored: a failover continues the domain with a new one
        { "0-1-5", "0-9-600", true },
        { "0-1-5", "1-1-9", false },          // unknown domain
        { "0-1-5,1-2-9", "0-1-5", false },
        { "0-1-5,1-2-9", "0-1-7,1-3-9,2-1-1", true },
        { "0-1-5,1-2-9", "0-1-7,1-3-8", false },
        { "0-1-18446744073709551615", "0-1-18446744073709551615", true },
    };

    [Theory]
    [MemberData(nameof(Satisfaction))]
    public void IsSatisfiedBy_compares_seq_per_domain(string position, string server, bool satisfied) =>
        Assert.Equal(satisfied, MariaDbGtidPosition.Parse(position).IsSatisfiedBy(MariaDbGtidPosition.Parse(server)));

    // a, b → a.Merge(b)
    public static TheoryData<string, string, string> Merges => new()
    {
        { "", "", "" },
        { "0-1-5", "", "0-1-5" },
        { "", "0-1-5", "0-1-5" },
        { "0-1-5", "0-1-7", "0-1-7" },
        { "0-1-7", "0-1-5", "0-1-7" },
        { "0-1-5", "0-2-7", "0-2-7" },          // the larger seq brings its server id
        { "0-2-7", "0-1-5", "0-2-7" },
        { "0-1-5", "0-2-5", "0-1-5" },          // equal seq: this one's entry
        { "0-2-5", "0-1-5", "0-2-5" },
        { "0-1-5", "1-2-9", "0-1-5,1-2-9" },
        { "2-1-1,0-1-9", "1-1-1,0-1-3,3-3-3", "0-1-9,1-1-1,2-1-1,3-3-3" },
    };

    [Theory]
    [MemberData(nameof(Merges))]
    public void Merge_takes_the_larger_seq_per_domain(string a, string b, string merged) =>
        Assert.Equal(merged, MariaDbGtidPosition.Parse(a).Merge(MariaDbGtidPosition.Parse(b)).ToString());

    [Fact]
    public void Merge_returns_an_operand_when_the_other_adds_nothing()
    {
        var big = MariaDbGtidPosition.Parse("0-1-9,1-2-3");
        Assert.Same(big, big.Merge(MariaDbGtidPosition.Parse("0-1-4")));
        Assert.Same(big, big.Merge(MariaDbGtidPosition.Parse("0-7-9")));
        Assert.Same(big, big.Merge(MariaDbGtidPosition.Empty));
        Assert.Same(big, big.Merge(big));
        Assert.Same(big, MariaDbGtidPosition.Empty.Merge(big));
    }

    [Fact]
    public void Merge_rejects_the_other_flavor_and_null()
    {
        var position = MariaDbGtidPosition.Parse("0-1-5");
        var error = Assert.Throws<ArgumentException>(() => position.Merge(MySqlGtidSet.Empty));
        Assert.Equal("other", error.ParamName);
        Assert.Throws<ArgumentNullException>(() => position.Merge(null!));
        Assert.Throws<ArgumentNullException>(() => position.IsSatisfiedBy(null!));
    }

    [Fact]
    public void A_position_of_the_other_flavor_never_satisfies()
    {
        Assert.False(MariaDbGtidPosition.Empty.IsSatisfiedBy(MySqlGtidSet.Empty));
        Assert.False(MariaDbGtidPosition.Parse("0-1-5").IsSatisfiedBy(MySqlGtidSet.Parse("3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5")));
    }

    [Fact]
    public void Equality_is_by_content_including_server_ids()
    {
        var position = MariaDbGtidPosition.Parse("0-1-5,1-2-9");
        Assert.True(position.Equals((object)MariaDbGtidPosition.Parse("1-2-9, 0-1-5")));
        Assert.False(position.Equals(MariaDbGtidPosition.Parse("0-3-5,1-2-9")));
        Assert.False(position.Equals(MariaDbGtidPosition.Parse("0-1-5")));
        Assert.False(position.Equals(null));
    }

    [Fact]
    public void Unknown_flavor_never_parses() =>
        Assert.False(GtidPosition.TryParse((ServerFlavor)7, "0-1-5", out _));
}
