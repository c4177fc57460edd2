namespace ReplicaRouting.Tests.Gtid;

public class MySqlGtidSetTests
{
    private const string A = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
    private const string B = "4f2a0b3c-1d2e-11ef-8a9b-0242ac120002";
    private const string C = "00000000-0000-0000-0000-000000000001";
    private const string Max = "9223372036854775807";

    // text → canonical text
    public static TheoryData<string, string> Valid => new()
    {
        { "", "" },
        { " \n\t\r ", "" },
        { $"{A}:1", $"{A}:1" },
        { $"{A}:1-5", $"{A}:1-5" },
        { $"{A}:5-5", $"{A}:5" },
        { $"{A}:1-5:7:9-10", $"{A}:1-5:7:9-10" },
        // real server output: a newline after each comma
        { $"{A}:1-5,\n{B}:1-3", $"{A}:1-5,{B}:1-3" },
        { $"{B}:1-3,\n{A}:1-5,\n{C}:1", $"{C}:1,{A}:1-5,{B}:1-3" },
        { $"  {A}:1-5 \r\n,\t{B}:1-3\n", $"{A}:1-5,{B}:1-3" },
        // case
        { "3E11FA47-71CA-11E1-9E33-C80AA9429562:1", $"{A}:1" },
        { $"{A}:TAG_a:1", $"{A}:tag_a:1" },
        // merging: adjacent, overlapping, contained, unsorted, duplicates
        { $"{A}:1-5:6-7", $"{A}:1-7" },
        { $"{A}:1-5:3-9", $"{A}:1-9" },
        { $"{A}:1-9:3-4", $"{A}:1-9" },
        { $"{A}:9:1-3:5", $"{A}:1-3:5:9" },
        { $"{A}:1:1:1", $"{A}:1" },
        { $"{A}:1-3,{A}:4-6", $"{A}:1-6" },
        { $"{A}:1-3,{B}:2,{A}:10", $"{A}:1-3:10,{B}:2" },
        // extremes
        { $"{A}:{Max}", $"{A}:{Max}" },
        { $"{A}:1-{Max}", $"{A}:1-{Max}" },
        { $"{A}:1-{Max}:5", $"{A}:1-{Max}" },
        { $"{A}:9223372036854775806:{Max}", $"{A}:9223372036854775806-{Max}" },
        // tags (MySQL 8.3+): plain, grouped, several, sorted after the untagged intervals
        { $"{A}:tag:1-3", $"{A}:tag:1-3" },
        { $"{A}:1-5:tag1:1-3:tag2:7", $"{A}:1-5:tag1:1-3:tag2:7" },
        { $"{A}:zz:1:aa:7:1-5", $"{A}:aa:1-5:7:zz:1" },
        { $"{A}:b:1,{A}:3,{A}:a:2", $"{A}:3:a:2:b:1" },
        { $"{A}:t:1-2:t:3", $"{A}:t:1-3" },
        { $"{A}:T:1,{A}:t:2", $"{A}:t:1-2" },
        { $"{A}:a:1:_b:1:Z9:1", $"{A}:_b:1:a:1:z9:1" },
        { $"{A}:_:1", $"{A}:_:1" },
        { $"{A}:abcdefghijklmnopqrstuvwxyz_01234:1", $"{A}:abcdefghijklmnopqrstuvwxyz_01234:1" },
        { $"{A}:tag:1,{B}:1,{A}:2", $"{A}:2:tag:1,{B}:1" },
    };

    // text → a word of the error message
    public static TheoryData<string, string> Invalid => new()
    {
        { ",", "empty element" },
        { $"{A}:1,", "empty element" },
        { $",{A}:1", "empty element" },
        { $"{A}:1,,{B}:1", "empty element" },
        { $"{A}:1, ,{B}:1", "empty element" },
        { A, "expected ':'" },
        { $"{A}:", "expected a number" },
        { $"{A}:1:", "expected a number" },
        { $"{A}::1", "expected a number" },
        { $"{A}:1::2", "expected a number" },
        { $"{A}:0", "start at 1" },
        { $"{A}:0-5", "start at 1" },
        { $"{A}:5-3", "ends before it starts" },
        { $"{A}:1-", "expected a number" },
        { $"{A}:-1", "expected a number" },
        { $"{A}:+1", "expected a number" },
        { $"{A}:1--2", "expected a number" },
        { $"{A}:1-2-3", "expected ':'" },
        { $"{A}:01", "leading zero" },
        { $"{A}:1-02", "leading zero" },
        { $"{A}:9223372036854775808", "too large" },
        { $"{A}:1-99999999999999999999", "too large" },
        { $"{A}: 1", "expected a number" },
        { $"{A} :1", "expected ':'" },
        { $"{A}:1 :2", "expected ':'" },
        { $"{A}:1x", "expected ':'" },
        { $"{A}:1;{B}:1", "expected ':'" },
        { "3e11fa47-71ca-11e1-9e33-c80aa942956:1", "invalid UUID" },
        { "3e11fa4771ca11e19e33c80aa9429562:1", "invalid UUID" },
        { "3e11fa47-71ca-11e1-9e33-c80aa942956g:1", "invalid UUID" },
        { "3e11fa47_71ca-11e1-9e33-c80aa9429562:1", "invalid UUID" },
        { "{3e11fa47-71ca-11e1-9e33-c80aa9429562}:1", "invalid UUID" },
        { "x:1", "invalid UUID" },
        { $"{A}:tag", "tag without intervals" },
        { $"{A}:1:tag", "tag without intervals" },
        { $"{A}:tag:", "expected a number" },
        { $"{A}:tag1:tag2:1", "tag without intervals" },
        { $"{A}:abcdefghijklmnopqrstuvwxyz_012345:1", "longer than 32" },
        { $"{A}:ta-g:1", "expected ':'" },
        { $"{A}:tä:1", "expected ':'" },
        { $"{A}:t.g:1", "expected ':'" },
        { $"{A}:1~{B}:1", "expected ':'" },
    };

    [Theory]
    [MemberData(nameof(Valid))]
    public void Parses_to_the_canonical_text(string text, string canonical)
    {
        Assert.True(MySqlGtidSet.TryParse(text, out var set));
        Assert.Equal(canonical, set.ToString());
        Assert.Equal(canonical.Length == 0, set.IsEmpty);
        Assert.Equal(ServerFlavor.MySql, set.Flavor);

        // The canonical text is a fixed point, and both spellings are the same set.
        var again = MySqlGtidSet.Parse(canonical);
        Assert.Equal(canonical, again.ToString());
        Assert.Equal(set, again);
        Assert.Equal(set.GetHashCode(), again.GetHashCode());
        Assert.True(GtidPosition.TryParse(ServerFlavor.MySql, text, out var position));
        Assert.Equal(set, position);
    }

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Rejects_invalid_text_and_says_why(string text, string reason)
    {
        Assert.False(MySqlGtidSet.TryParse(text, out var set));
        Assert.Null(set);
        Assert.False(GtidPosition.TryParse(ServerFlavor.MySql, text, out _));
        var error = Assert.Throws<FormatException>(() => MySqlGtidSet.Parse(text));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Empty_text_is_the_empty_set()
    {
        Assert.True(MySqlGtidSet.TryParse("", out var set));
        Assert.Same(MySqlGtidSet.Empty, set);
        Assert.True(MySqlGtidSet.Empty.IsEmpty);
        Assert.Equal("", MySqlGtidSet.Empty.ToString());
    }

    [Fact]
    public void Text_longer_than_the_cap_never_parses()
    {
        // Whitespace after a comma is legal, so padding keeps the set valid and only the length changes.
        static string Padded(int length) => $"{A}:1,{new string(' ', length - (2 * A.Length) - 5)}{B}:1";
        Assert.Equal(GtidPosition.MaxTextLength, Padded(GtidPosition.MaxTextLength).Length);
        Assert.True(MySqlGtidSet.TryParse(Padded(GtidPosition.MaxTextLength), out var set));
        Assert.Equal($"{A}:1,{B}:1", set.ToString());
        Assert.False(MySqlGtidSet.TryParse(Padded(GtidPosition.MaxTextLength + 1), out _));
        var error = Assert.Throws<FormatException>(() => MySqlGtidSet.Parse(new string(' ', GtidPosition.MaxTextLength + 1)));
        Assert.Contains("MaxTextLength", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_rejects_null() => Assert.Throws<ArgumentNullException>(() => MySqlGtidSet.Parse(null!));

    [Fact]
    public void ToString_is_computed_once()
    {
        var set = MySqlGtidSet.Parse($"{B}:1-3,{A}:5");
        Assert.Same(set.ToString(), set.ToString());
    }

    // set, server → satisfied
    public static TheoryData<string, string, bool> Satisfaction => new()
    {
        { "", "", true },
        { "", $"{A}:1", true },
        { $"{A}:1", "", false },
        { $"{A}:1-5", $"{A}:1-5", true },
        { $"{A}:2-4", $"{A}:1-5", true },
        { $"{A}:1-5", $"{A}:1-4", false },
        { $"{A}:1-5", $"{A}:2-5", false },
        { $"{A}:3", $"{A}:1-2:4-5", false },
        { $"{A}:1-5", $"{A}:1-3:4-5", true },      // the server side is canonical too: 1-3:4-5 is 1-5
        { $"{A}:1:5", $"{A}:1-5", true },
        { $"{A}:1-5", $"{B}:1-5", false },
        { $"{A}:1,{B}:1", $"{A}:1-9", false },
        { $"{A}:1,{B}:1", $"{C}:1,{A}:1-9,{B}:1-9", true },
        { $"{A}:tag:1", $"{A}:1", false },
        { $"{A}:1", $"{A}:tag:1", false },
        { $"{A}:tag:1-2", $"{A}:1-9:TAG:1-3", true },
        { $"{A}:tag:1-2", $"{A}:1-9:other:1-3", false },
        { $"{A}:{Max}", $"{A}:1-{Max}", true },
        { $"{A}:1-{Max}", $"{A}:1-9223372036854775806", false },
    };

    [Theory]
    [MemberData(nameof(Satisfaction))]
    public void IsSatisfiedBy_is_set_inclusion(string set, string server, bool satisfied) =>
        Assert.Equal(satisfied, MySqlGtidSet.Parse(set).IsSatisfiedBy(MySqlGtidSet.Parse(server)));

    // a, b → a ∪ b
    public static TheoryData<string, string, string> Merges => new()
    {
        { "", "", "" },
        { $"{A}:1-5", "", $"{A}:1-5" },
        { "", $"{A}:1-5", $"{A}:1-5" },
        { $"{A}:1-5", $"{A}:6-7", $"{A}:1-7" },
        { $"{A}:1-5", $"{A}:7", $"{A}:1-5:7" },
        { $"{A}:1-5:10-12", $"{A}:4-10:20", $"{A}:1-12:20" },
        { $"{A}:1:3:5", $"{A}:2:4", $"{A}:1-5" },
        { $"{A}:1-5", $"{B}:1-3", $"{A}:1-5,{B}:1-3" },
        { $"{B}:1", $"{C}:1,{A}:1", $"{C}:1,{A}:1,{B}:1" },
        { $"{A}:1-5:t:1", $"{A}:3-9:s:1:t:2", $"{A}:1-9:s:1:t:1-2" },
        { $"{A}:1-{Max}", $"{A}:5", $"{A}:1-{Max}" },
        { $"{A}:1-9223372036854775806", $"{A}:{Max}", $"{A}:1-{Max}" },
    };

    [Theory]
    [MemberData(nameof(Merges))]
    public void Merge_is_the_union(string a, string b, string union)
    {
        var left = MySqlGtidSet.Parse(a);
        var right = MySqlGtidSet.Parse(b);
        Assert.Equal(union, left.Merge(right).ToString());
        Assert.Equal(union, right.Merge(left).ToString());
    }

    [Fact]
    public void Merge_returns_an_operand_when_the_other_adds_nothing()
    {
        var big = MySqlGtidSet.Parse($"{A}:1-9,{B}:1-3");
        var small = MySqlGtidSet.Parse($"{A}:2-4");
        Assert.Same(big, big.Merge(small));
        Assert.Same(big, big.Merge(MySqlGtidSet.Empty));
        Assert.Same(big, big.Merge(MySqlGtidSet.Parse($"{A}:1-9,{B}:1-3")));
        Assert.Same(big, small.Merge(big));
        Assert.Same(big, MySqlGtidSet.Empty.Merge(big));
    }

    [Fact]
    public void Merge_rejects_the_other_flavor_and_null()
    {
        var set = MySqlGtidSet.Parse($"{A}:1");
        var error = Assert.Throws<ArgumentException>(() => set.Merge(MariaDbGtidPosition.Parse("0-1-5")));
        Assert.Equal("other", error.ParamName);
        Assert.Throws<ArgumentNullException>(() => set.Merge(null!));
        Assert.Throws<ArgumentNullException>(() => set.IsSatisfiedBy(null!));
    }

    [Fact]
    public void A_position_of_the_other_flavor_never_satisfies()
    {
        Assert.False(MySqlGtidSet.Empty.IsSatisfiedBy(MariaDbGtidPosition.Empty));
        Assert.False(MySqlGtidSet.Parse($"{A}:1").IsSatisfiedBy(MariaDbGtidPosition.Parse("0-1-5")));
    }

    [Fact]
    public void Equality_is_by_content()
    {
        var set = MySqlGtidSet.Parse($"{A}:1-3:tag:1");
        Assert.True(set.Equals((object)MySqlGtidSet.Parse($"{A}:TAG:1,{A}:3:1-2")));
        Assert.False(set.Equals(MySqlGtidSet.Parse($"{A}:1-3:tag:2")));
        Assert.False(set.Equals(MySqlGtidSet.Parse($"{A}:1-3:tah:1")));
        Assert.False(set.Equals(MySqlGtidSet.Parse($"{A}:1-3")));
        Assert.False(set.Equals(MySqlGtidSet.Parse($"{B}:1-3:tag:1")));
        Assert.False(set.Equals(null));
        Assert.False(MySqlGtidSet.Empty.Equals(MariaDbGtidPosition.Empty));
    }
}
