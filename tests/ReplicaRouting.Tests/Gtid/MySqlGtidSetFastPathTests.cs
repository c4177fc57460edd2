using System.Text;
using static ReplicaRouting.Tests.Gtid.GtidGenerator;

namespace ReplicaRouting.Tests.Gtid;

/// <summary>
/// The MySQL parser reads canonical, untagged text (what servers print and tokens carry) straight into the result and hands
/// everything else to the general parser; set inclusion skips runs of equal intervals in bulk. These tests hold both shortcuts
/// to the general code. "X,X" is the same set as X, valid exactly when X is (elements are checked one by one), and its repeated
/// UUIDs always take the general parser: so comparing the two parses of every text compares the two parsers.
/// </summary>
public class MySqlGtidSetFastPathTests
{
    private const string A = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
    private const string B = "4f2a0b3c-1d2e-11ef-8a9b-0242ac120002";
    private const int Seed = 20_250_119;

    private static readonly string[] TextList =
    [
        $"{A}:1",
        $"{A}:1-5:7:9-12,{B}:1-3",
        $"3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5",
        $"  {A}:1-5 ,\n{B}:1-3\n",
        $"{A}:1-5:6-7",                                      // touching: merged by the general parser
        $"{A}:1-5:3-9",                                      // overlapping
        $"{A}:7:1-3",                                        // unsorted intervals
        $"{B}:1,{A}:1",                                      // unsorted UUIDs
        $"{A}:1,{A}:3",                                      // repeated UUID
        $"{A}:tag:1-3",                                      // tags
        $"{A}:1-5:tag:1",
        $"{A}:999999999999999999",                           // 18 digits
        $"{A}:1-999999999999999999",
        $"{A}:1000000000000000000",                          // 19 digits
        $"{A}:1-9223372036854775807",
        $"{A}:9223372036854775806-9223372036854775807",
        $"{A}:9223372036854775808",                          // too large
        $"{A}:01",
        $"{A}:1-01",
        $"{A}:0",
        $"{A}:0-5",
        $"{A}:5-3",
        $"{A}:1-",
        $"{A}:1--2",
        $"{A}:1-2-3",
        $"{A}:1::2",
        $"{A}:",
        $"{A}::1",
        $"{A}:1 :2",
        $"{A}: 1",
        $"{A}:1x",
        $"{A}:1,",
        $",{A}:1",
        $"{A}:1,,{B}:1",
        $"{A}",
        $"{A}x:1",
        "3e11fa47-71ca-11e1-9e33-c80aa942956g:1",
        "3e11fa47_71ca-11e1-9e33-c80aa9429562:1",
        "3e11fa4771ca11e19e33c80aa9429562:1",
        "3e11fa47-71ca-11e1-9e33-c80aa942956\u0100:1",
        "3e11fa47-71ca-11e1-9e33-c80aa942956\u0161:1",    // 0x161 & 0xFF is 'a'
        "3e11fa47-71ca-11e1-9e33-c80aa942956\uff10:1",    // a fullwidth digit
        $"{A}:1\uff10",
    ];

    public static TheoryData<string> Texts => [.. TextList];

    [Theory]
    [MemberData(nameof(Texts))]
    public void Direct_and_general_parses_agree(string text) => AssertAgree(text);

    [Fact]
    public void Direct_and_general_parses_agree_on_damaged_text()
    {
        var random = new Random(Seed);
        const string Noise = "0123456789:-,~ \nabcdefABCDEFxg_\u0100\u0130";
        var checkedCount = 0;
        for (var i = 0; i < 3000; i++)
        {
            var model = RandomMySqlModel(random);
            if (model.Count == 0)
                continue;

            // Canonical text mostly (the direct parser's input), sometimes any spelling; then one to three random edits.
            var text = new StringBuilder(random.Next(3) == 0 ? MySqlText(random, model) : MySqlCanonical(model));
            for (var edits = random.Next(0, 4); edits > 0 && text.Length > 0; edits--)
            {
                var at = random.Next(text.Length);
                switch (random.Next(3))
                {
                    case 0:
                        text[at] = Noise[random.Next(Noise.Length)];
                        break;
                    case 1:
                        text.Insert(at, Noise[random.Next(Noise.Length)]);
                        break;
                    default:
                        text.Remove(at, 1);
                        break;
                }
            }

            if (string.IsNullOrWhiteSpace(text.ToString()))
                continue;
            AssertAgree(text.ToString());
            checkedCount++;
        }

        Assert.True(checkedCount > 2000);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(255)]
    [InlineData(256)]      // the direct parser's largest set
    [InlineData(257)]
    [InlineData(400)]
    public void Sets_of_any_interval_count_parse_the_same(int intervals)
    {
        // Too long to double: the general parser reads the intervals in reverse order instead.
        var spans = Enumerable.Range(0, intervals).Select(i => $":{(i * 3) + 1}-{(i * 3) + 2}").ToList();
        var canonical = A + string.Concat(spans);
        spans.Reverse();
        AssertAgree(canonical, A + string.Concat(spans));
        Assert.Equal(canonical, MySqlGtidSet.Parse(canonical).ToString());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(32)]       // the direct parser's most UUIDs
    [InlineData(33)]
    [InlineData(60)]
    public void Sets_of_any_uuid_count_parse_the_same(int uuids)
    {
        var elements = Enumerable.Range(1, uuids).Select(u => $"00000000-0000-0000-0000-{u:x12}:1-{u + 1}").ToList();
        var canonical = string.Join(",", elements);
        elements.Reverse();
        AssertAgree(canonical, uuids == 1 ? canonical + "," + canonical : string.Join(",", elements));
        Assert.Equal(canonical, MySqlGtidSet.Parse(canonical).ToString());
    }

    [Fact]
    public void Token_separator_parses_like_the_comma()
    {
        foreach (var text in TextList)
        {
            var withTilde = text.Replace(',', '~');
            var expected = MySqlGtidSet.TryParse(text, out var set);
            Assert.Equal(expected, GtidPosition.TryParseWithSeparator(ServerFlavor.MySql, withTilde, '~', out var position));
            if (expected)
                Assert.Equal(set, position);
        }
    }

    [Fact]
    public void Inclusion_agrees_with_a_naive_check_around_shared_runs()
    {
        // 40 intervals with gaps of 20; the required side is the same list with one change at each place in turn, so that the
        // runs of equal intervals before and after the change are skipped in bulk.
        var baseline = Enumerable.Range(0, 40).Select(i => ((i * 100L) + 11, (i * 100L) + 90)).ToList();
        var server = Set(baseline);
        var changes = 0;
        for (var at = 0; at < baseline.Count; at++)
        {
            foreach (var changed in Changes(baseline, at))
            {
                var required = Set(changed);
                Assert.Equal(NaiveSubset(changed, baseline), required.IsSatisfiedBy(server));
                Assert.Equal(NaiveSubset(baseline, changed), server.IsSatisfiedBy(required));
                changes++;
            }
        }

        Assert.True(changes > 200);
        Assert.True(server.IsSatisfiedBy(Set(baseline)));

        static IEnumerable<List<(long Start, long End)>> Changes(List<(long Start, long End)> list, int at)
        {
            var (start, end) = list[at];
            yield return [.. list.Take(at), .. list.Skip(at + 1)];                                   // dropped
            yield return [.. list.Take(at), (start, end - 1), .. list.Skip(at + 1)];                 // shorter
            yield return [.. list.Take(at), (start + 1, end), .. list.Skip(at + 1)];
            yield return [.. list.Take(at), (start, end + 1), .. list.Skip(at + 1)];                 // longer
            yield return [.. list.Take(at), (start - 1, end), .. list.Skip(at + 1)];
            yield return [.. list.Take(at), (start, start + 10), (start + 20, end), .. list.Skip(at + 1)]; // split
            yield return [.. list.Take(at + 1), (end + 3, end + 5), .. list.Skip(at + 1)];           // an extra one in the gap
            yield return [.. list.Take(at)];                                                          // a prefix
            yield return [.. list.Skip(at)];                                                          // a suffix
        }

        static MySqlGtidSet Set(List<(long Start, long End)> intervals) =>
            MySqlGtidSet.Parse(intervals.Count == 0 ? $"{B}:1-5" : $"{B}:1-5,{A}" + string.Concat(intervals.Select(i => $":{i.Start}-{i.End}")));

        static bool NaiveSubset(List<(long Start, long End)> inner, List<(long Start, long End)> outer) =>
            inner.All(i => outer.Any(o => o.Start <= i.Start && i.End <= o.End));
    }

    private static void AssertAgree(string text) => AssertAgree(text, text + "," + text);

    /// <summary>
    /// <paramref name="text"/> (the direct parser's, when it qualifies) against <paramref name="reference"/>, a spelling of the
    /// same set, valid exactly when it is, that only the general parser reads.
    /// </summary>
    private static void AssertAgree(string text, string reference)
    {
        Assert.True(reference.Length <= GtidPosition.MaxTextLength);
        var direct = MySqlGtidSet.TryParse(text, out var set);
        var general = MySqlGtidSet.TryParse(reference, out var expected);
        Assert.True(direct == general, $"'{text}': {direct} vs {general}");
        if (direct)
        {
            Assert.Equal(expected!.ToString(), set!.ToString());
            Assert.Equal(expected, set);
            Assert.Equal(expected.GetHashCode(), set.GetHashCode());
        }
    }
}
