using System.Text;
using ReplicaRouting.Tests.Gtid;

namespace ReplicaRouting.Tests.Session;

public class ConsistencyTokenTests
{
    private const string Allowed = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:~-";
    private const string A = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
    private const string B = "4f2a0b3c-1d2e-11ef-8a9b-0242ac120002";
    private const int Seed = 20_250_118;

    private static readonly DateTimeOffset Issued = DateTimeOffset.FromUnixTimeMilliseconds(1_735_689_600_123);

    [Fact]
    public void Text_form_examples()
    {
        var mariaDb = new ConsistencyToken("orders-eu", MariaDbGtidPosition.Parse("1-2-9,0-1-5"), Issued);
        Assert.Equal(ConsistencyToken.AppendChecksum("rr1.d.orders-eu.1735689600123.0-1-5~1-2-9"), mariaDb.ToString());

        var mySql = new ConsistencyToken("Main_1", MySqlGtidSet.Parse($"{B}:1-3,\n{A}:1-5:7:Batch:1-2"), Issued);
        Assert.Equal(ConsistencyToken.AppendChecksum($"rr1.m.Main_1.1735689600123.{A}:1-5:7:batch:1-2~{B}:1-3"), mySql.ToString());

        var empty = new ConsistencyToken("c", MySqlGtidSet.Empty, DateTimeOffset.UnixEpoch);
        Assert.Equal(ConsistencyToken.AppendChecksum("rr1.m.c.0."), empty.ToString());
        Assert.Matches("^rr1\\.m\\.c\\.0\\.\\.[0-9a-f]{8}$", empty.ToString());
    }

    public static TheoryData<string, string, long> RoundTrips => new()
    {
        // flavor letter, position, unix milliseconds
        { "m", "", 1_735_689_600_123 },
        { "m", $"{A}:1-5", 1_735_689_600_123 },
        { "m", $"{A}:1-5:7:tag_a:1-3:z:9,{B}:1-9223372036854775807", 0 },
        { "m", $"{A}:_:1", 1 },
        { "d", "", 1_735_689_600_123 },
        { "d", "0-1-5", 1_735_689_600_123 },
        { "d", "0-1-5,1-2-9,4294967295-4294967295-18446744073709551615", -1 },
        { "d", "0-1-5", DateTimeOffset.MinValue.ToUnixTimeMilliseconds() },
        { "d", "0-1-5", DateTimeOffset.MaxValue.ToUnixTimeMilliseconds() },
    };

    [Theory]
    [MemberData(nameof(RoundTrips))]
    public void Round_trips_through_text(string flavor, string positionText, long unixMilliseconds)
    {
        Assert.True(GtidPosition.TryParse(flavor == "m" ? ServerFlavor.MySql : ServerFlavor.MariaDb, positionText, out var position));
        var token = new ConsistencyToken("cluster-1", position, DateTimeOffset.FromUnixTimeMilliseconds(unixMilliseconds));
        var text = token.ToString();

        Assert.StartsWith($"rr1.{flavor}.cluster-1.{unixMilliseconds}.", text, StringComparison.Ordinal);
        Assert.True(ConsistencyToken.TryParse(text, out var parsed));
        Assert.Equal(token, parsed);
        Assert.Equal(token.GetHashCode(), parsed.GetHashCode());
        Assert.Equal(position.Flavor, parsed.Flavor);
        Assert.Equal("cluster-1", parsed.ClusterId);
        Assert.Equal(position, parsed.Position);
        Assert.Equal(token.IssuedAt, parsed.IssuedAt);
        Assert.Equal(TimeSpan.Zero, parsed.IssuedAt.Offset);
        Assert.Equal(text, parsed.ToString());
        Assert.Same(text, token.ToString());
    }

    [Fact]
    public void IssuedAt_is_kept_to_the_millisecond_in_utc()
    {
        var local = new DateTimeOffset(2025, 1, 17, 10, 30, 15, 123, TimeSpan.FromHours(2)).AddTicks(4567);
        var token = new ConsistencyToken("c", MariaDbGtidPosition.Empty, local);

        Assert.Equal(TimeSpan.Zero, token.IssuedAt.Offset);
        Assert.Equal(local.AddTicks(-4567), token.IssuedAt);
        Assert.True(ConsistencyToken.TryParse(token.ToString(), out var parsed));
        Assert.Equal(token, parsed);
    }

    [Fact]
    public void Equality_covers_every_field()
    {
        var position = MariaDbGtidPosition.Parse("0-1-5");
        var token = new ConsistencyToken("c", position, Issued);
        Assert.True(token.Equals((object)new ConsistencyToken("c", MariaDbGtidPosition.Parse("0-1-5"), Issued)));
        Assert.False(token.Equals(new ConsistencyToken("C", position, Issued)));
        Assert.False(token.Equals(new ConsistencyToken("c", MariaDbGtidPosition.Parse("0-1-6"), Issued)));
        Assert.False(token.Equals(new ConsistencyToken("c", position, Issued.AddMilliseconds(1))));
        Assert.NotEqual(new ConsistencyToken("c", MySqlGtidSet.Empty, Issued), new ConsistencyToken("c", MariaDbGtidPosition.Empty, Issued));
        Assert.False(token.Equals(null));
    }

    public static TheoryData<string> InvalidClusterIds =>
        ["", new string('a', 65), "a b", "a.b", "a,b", "a:b", "a~b", "ä", "a;b", "a=b", "a\"b", "a\nb"];

    [Theory]
    [MemberData(nameof(InvalidClusterIds))]
    public void Constructor_rejects_invalid_cluster_ids(string clusterId)
    {
        var error = Assert.Throws<ArgumentException>(() => new ConsistencyToken(clusterId, MySqlGtidSet.Empty, Issued));
        Assert.Equal("clusterId", error.ParamName);
    }

    [Fact]
    public void Constructor_accepts_the_whole_cluster_id_alphabet_and_length()
    {
        const string Longest = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
        Assert.Equal(64, Longest.Length);
        var token = new ConsistencyToken(Longest, MySqlGtidSet.Empty, Issued);
        Assert.True(ConsistencyToken.TryParse(token.ToString(), out var parsed));
        Assert.Equal(Longest, parsed.ClusterId);
        Assert.Equal("x", new ConsistencyToken("x", MySqlGtidSet.Empty, Issued).ClusterId);
    }

    [Fact]
    public void Constructor_rejects_null()
    {
        Assert.Throws<ArgumentNullException>(() => new ConsistencyToken(null!, MySqlGtidSet.Empty, Issued));
        Assert.Throws<ArgumentNullException>(() => new ConsistencyToken("c", null!, Issued));
    }

    public static TheoryData<string> Invalid =>
    [
        "",
        "rr1",
        "rr1.",
        "rr1.m",
        "rr1.m.c",
        "rr1.m.c.0",                                    // missing position field
        "rr1.m.c.0.x.y",                                // extra field
        "rr1.d.c.0.0-1-5.",
        "rr2.m.c.0.",                                   // other version
        "rr0.m.c.0.",
        "RR1.m.c.0.",
        "rr1m.c.0.",
        "rr10.m.c.0.",
        "xx1.m.c.0.",
        "rr1.M.c.0.",                                   // flavor letters
        "rr1.x.c.0.",
        "rr1.md.c.0.",
        "rr1..c.0.",
        $"rr1.d.c.0.{A}:1-5",                           // MySQL set with the MariaDB letter
        "rr1.m.c.0.0-1-5",                              // and the other way round
        "rr1.m..0.",                                    // cluster ids
        $"rr1.m.{new string('a', 65)}.0.",
        "rr1.m.a:b.0.",
        "rr1.m.a~b.0.",
        "rr1.m.c..",                                    // timestamps
        "rr1.m.c.01.",
        "rr1.m.c.-0.",
        "rr1.m.c.-.",
        "rr1.m.c.+1.",
        "rr1.m.c.1e3.",
        "rr1.m.c.1:2.",
        "rr1.m.c.253402300800000.",                     // year 10000
        "rr1.m.c.-62135596800001.",                     // before year 1
        "rr1.m.c.99999999999999999999.",
        "rr1.m.c.9223372036854775808.",
        "rr1.m.c.-9223372036854775808.",
        "rr1.d.c.0.0-1-5,1-2-9",                        // characters a cookie cannot carry
        "rr1.d.c.0.0-1-5~ 1-2-9",
        "rr1.d.c.0.0-1-5 ",
        " rr1.d.c.0.0-1-5",
        "rr1.d.c.0.0-1-5\n",
        "rr1.d.c.0.0-1-5;",
        "rr1.d.c.0.\"0-1-5\"",
        "rr1.d.c.0.0-1-5=",
        "rr1.d.c.0.0-1-5\\",
        "rr1.d.c.0.0-1-5\0",
        "rr1.d.c.0.0-1-é",
        "rr1.d.c.0.0-1-5~",                             // bad positions
        "rr1.d.c.0.~0-1-5",
        "rr1.d.c.0.0-1-5~~1-2-9",
        "rr1.d.c.0.0-1-5~0-2-9",
        "rr1.d.c.0.0-1",
        $"rr1.m.c.0.{A}:0",
        $"rr1.m.c.0.{A}:1-5~",
        $"rr1.m.c.0.{A}",
    ];

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Rejects_invalid_text(string text)
    {
        Assert.False(ConsistencyToken.TryParse(text, out var token));
        Assert.Null(token);

        // With a correct checksum the field rules alone must still reject it.
        Assert.False(ConsistencyToken.TryParse(ConsistencyToken.AppendChecksum(text), out token));
        Assert.Null(token);
    }

    [Fact]
    public void A_token_with_a_damaged_or_truncated_position_is_rejected_by_its_checksum()
    {
        var text = new ConsistencyToken("c", MySqlGtidSet.Parse($"{A}:1-10067"), Issued).ToString();
        var body = text[..text.LastIndexOf('.')];
        var shortened = body.Replace(":1-10067", ":1-1", StringComparison.Ordinal) + text[text.LastIndexOf('.')..];
        Assert.False(ConsistencyToken.TryParse(shortened, out _));
        Assert.False(ConsistencyToken.TryParse(text[..^1] + (text[^1] == '0' ? '1' : '0'), out _));
        Assert.True(ConsistencyToken.TryParse(text, out _));
    }

    [Fact]
    public void Text_longer_than_the_cap_never_parses()
    {
        var atCap = TokenOfLength(ConsistencyToken.MaxLength);
        Assert.Equal(ConsistencyToken.MaxLength, atCap.Length);
        Assert.True(ConsistencyToken.TryParse(atCap, out _));

        var overCap = TokenOfLength(ConsistencyToken.MaxLength + 1);
        Assert.Equal(ConsistencyToken.MaxLength + 1, overCap.Length);
        Assert.False(ConsistencyToken.TryParse(overCap, out _));
        Assert.False(ConsistencyToken.TryParse(new string('a', 100_000), out _));
    }

    [Fact]
    public void Every_truncation_fails_or_parses_to_a_valid_token()
    {
        string[] texts =
        [
            new ConsistencyToken("orders-eu", MariaDbGtidPosition.Parse("0-1-5,1-2-9,10-3-700"), Issued).ToString(),
            new ConsistencyToken("Main_1", MySqlGtidSet.Parse($"{A}:1-5:7:tag_a:1-3,{B}:1-9"), Issued).ToString(),
            new ConsistencyToken("c", MySqlGtidSet.Empty, DateTimeOffset.FromUnixTimeMilliseconds(-1)).ToString(),
        ];
        var parsedCount = 0;
        foreach (var text in texts)
        {
            for (var length = 0; length <= text.Length; length++)
            {
                if (ConsistencyToken.TryParse(text.AsSpan(0, length), out var token))
                {
                    parsedCount++;
                    AssertValid(token);
                }
            }
        }

        // The whole texts, plus prefixes that end right after the timestamp (empty position) or on a complete GTID element.
        Assert.InRange(parsedCount, texts.Length, 100);
    }

    [Fact]
    public void Damaged_and_random_text_never_throws()
    {
        var random = new Random(Seed);
        var valid = new ConsistencyToken("orders-eu", MySqlGtidSet.Parse($"{A}:1-5:7:tag_a:1-3,{B}:1-9"), Issued).ToString();
        const string Noise = Allowed + ",; \"=\\\n\0é";
        for (var i = 0; i < 5000; i++)
        {
            var text = new StringBuilder(valid);
            switch (i % 3)
            {
                case 0:
                    text[random.Next(text.Length)] = Noise[random.Next(Noise.Length)];
                    break;
                case 1:
                    text.Insert(random.Next(text.Length + 1), Noise[random.Next(Noise.Length)]);
                    text.Remove(random.Next(text.Length), 1);
                    break;
                default:
                    text.Clear().Append(random.Next(2) == 0 ? "rr1." : "");
                    for (var n = random.Next(0, 80); n > 0; n--)
                        text.Append(Noise[random.Next(Noise.Length)]);
                    break;
            }

            if (ConsistencyToken.TryParse(text.ToString(), out var token))
                AssertValid(token);
        }
    }

    /// <summary>The 50-interval MySQL position of the token benchmark, with '~' for ','.</summary>
    private static string BenchmarkPosition()
    {
        var text = new StringBuilder("3e11fa47-71ca-11e1-9e33-c80aa9429562:1-1204311~8a94f357-aab4-11df-86ab-c80aa9429563");
        for (var i = 0; i < 48; i++)
            text.Append(':').Append((i * 1000) + 1).Append('-').Append((i * 1000) + 990);
        return text.Append("~d9b4e1a2-5c3f-11ee-8c99-0242ac120002:1-5000").ToString();
    }

    // Tokens written by the code before the parser and checksum were rewritten (text verbatim, checksum included): tokens
    // already issued must keep parsing to the same token. Flavor letter, cluster id, unix ms, canonical position.
    public static TheoryData<string, string, string, long, string> IssuedTokens => new()
    {
        {
            "rr1.m.orders-eu_1.1735689600123.3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5:7:9-12~4f2a0b3c-1d2e-11ef-8a9b-0242ac120002:1-3.7ff0ce2b",
            "m", "orders-eu_1", 1_735_689_600_123, $"{A}:1-5:7:9-12,{B}:1-3"
        },
        {
            "rr1.m.orders-eu_1.1735689600123.3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5:tag_a:1-3:z:9~4f2a0b3c-1d2e-11ef-8a9b-0242ac120002:1-9223372036854775807.d3b96a9c",
            "m", "orders-eu_1", 1_735_689_600_123, $"{A}:1-5:tag_a:1-3:z:9,{B}:1-9223372036854775807"
        },
        { "rr1.m.orders-eu_1.1735689600123..0bdd5b42", "m", "orders-eu_1", 1_735_689_600_123, "" },
        {
            "rr1.d.orders-eu_1.1735689600123.0-1-5~1-2-9~4294967295-4294967295-18446744073709551615.977094f0",
            "d", "orders-eu_1", 1_735_689_600_123, "0-1-5,1-2-9,4294967295-4294967295-18446744073709551615"
        },
        {
            $"rr1.m.c3f09a1b2c4d5e6f7.1764000000123.{BenchmarkPosition()}.12766997",
            "m", "c3f09a1b2c4d5e6f7", 1_764_000_000_123, BenchmarkPosition().Replace('~', ',')
        },
    };

    [Theory]
    [MemberData(nameof(IssuedTokens))]
    public void Tokens_issued_before_still_parse_to_the_same_token(string text, string flavor, string clusterId, long unixMilliseconds, string position)
    {
        Assert.True(ConsistencyToken.TryParse(text, out var token));
        Assert.Equal(flavor == "m" ? ServerFlavor.MySql : ServerFlavor.MariaDb, token.Flavor);
        Assert.Equal(clusterId, token.ClusterId);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(unixMilliseconds), token.IssuedAt);
        Assert.Equal(position, token.Position.ToString());
        Assert.Equal(text, token.ToString());
        Assert.Equal(text, new ConsistencyToken(clusterId, token.Position, token.IssuedAt).ToString());

        // The check digits were always read in either case.
        Assert.True(ConsistencyToken.TryParse(text[..^8] + text[^8..].ToUpperInvariant(), out var upper));
        Assert.Equal(token, upper);

        // FNV-1a changes with any single changed character: every one is caught, wherever the parser is when it meets it.
        var body = text.LastIndexOf('.');
        for (var i = 0; i < body; i++)
        {
            var damaged = text.ToCharArray();
            damaged[i] = damaged[i] switch { '9' => '8', 'z' => 'y', 'Z' => 'Y', '~' => '-', _ => (char)(damaged[i] + 1) };
            Assert.False(ConsistencyToken.TryParse(damaged, out _), new string(damaged));
        }
    }

    [Fact]
    public void A_cluster_id_accepts_exactly_its_alphabet()
    {
        // Every character at one place, with a correct checksum: only the alphabet decides.
        const string ClusterIdChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
        for (var c = 0; c <= char.MaxValue; c++)
        {
            var text = ConsistencyToken.AppendChecksum($"rr1.m.ab{(char)c}cd.0.");
            Assert.True(ClusterIdChars.Contains((char)c, StringComparison.Ordinal) == ConsistencyToken.TryParse(text, out _), $"U+{c:X4}");
        }

        // Bad characters at every place of ids of every length, so that they fall at every offset of the text (the check runs
        // over blocks of characters, the last block overlapping the one before).
        foreach (var bad in " /;@[`{\u007f\u00e9\u0100\u012d\u022e\uff0e\0\n:~")
        {
            for (var length = 1; length <= 64; length++)
            {
                for (var at = 0; at < length; at++)
                {
                    var id = new string('a', length).ToCharArray();
                    id[at] = bad;
                    Assert.False(ConsistencyToken.TryParse(ConsistencyToken.AppendChecksum($"rr1.m.{new string(id)}.0."), out _));
                }
            }
        }
    }

    public static TheoryData<string> WhitespaceInPositions =>
    [
        $"rr1.m.c.0.{A}:1-5~ {B}:1-3",
        $"rr1.m.c.0.{A}:1-5 ~{B}:1-3",
        $"rr1.m.c.0.{A}:1-5~\n{B}:1-3",
        $"rr1.m.c.0.\t{A}:1-5",
        $"rr1.m.c.0.{A}:1-5\r",
        "rr1.d.c.0.0-1-5 ~1-2-9",
        "rr1.d.c.0. 0-1-5",
    ];

    [Theory]
    [MemberData(nameof(WhitespaceInPositions))]
    public void Whitespace_the_gtid_parsers_allow_is_not_allowed_in_a_token(string body)
    {
        // The GTID parsers skip whitespace around elements; a token may not carry any.
        var position = body.Split('.')[4];
        Assert.True(GtidPosition.TryParse(body[4] == 'm' ? ServerFlavor.MySql : ServerFlavor.MariaDb, position.Replace('~', ','), out _));
        Assert.False(ConsistencyToken.TryParse(ConsistencyToken.AppendChecksum(body), out var token));
        Assert.Null(token);
    }

    [Fact]
    public void Text_only_uses_cookie_and_header_safe_characters()
    {
        var random = new Random(Seed + 1);
        var seen = new HashSet<char>();
        for (var i = 0; i < 2000; i++)
        {
            GtidPosition position = random.Next(2) == 0 ? GtidGenerator.RandomMySqlSet(random) : GtidGenerator.RandomMariaDbPosition(random);
            var clusterId = RandomClusterId(random);
            var issuedAt = DateTimeOffset.FromUnixTimeMilliseconds(random.NextInt64(-62_135_596_800_000, 253_402_300_799_999));
            var token = new ConsistencyToken(clusterId, position, issuedAt);
            var text = token.ToString();

            Assert.Equal(-1, text.AsSpan().IndexOfAnyExcept(Allowed));
            seen.UnionWith(text);
            Assert.True(ConsistencyToken.TryParse(text, out var parsed), text);
            Assert.Equal(token, parsed);
        }

        // The generators reach the characters that needed thought: '~' for commas, '_' in tags and ids, '-' in times.
        Assert.Subset(seen, new HashSet<char>("~_-:."));
    }

    private static void AssertValid(ConsistencyToken token)
    {
        var text = token.ToString();
        Assert.Equal(-1, text.AsSpan().IndexOfAnyExcept(Allowed));
        Assert.True(ConsistencyToken.TryParse(text, out var again));
        Assert.Equal(token, again);
        Assert.Equal(token.Position.Flavor, token.Flavor);
    }

    private static string RandomClusterId(Random random)
    {
        const string Chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
        var length = random.Next(3) == 0 ? 64 : random.Next(1, 20);
        return string.Create(length, random, static (span, r) =>
        {
            for (var i = 0; i < span.Length; i++)
                span[i] = Chars[r.Next(Chars.Length)];
        });
    }

    /// <summary>A valid MariaDB token of exactly <paramref name="length"/> characters: entries are added, then seqs widened.</summary>
    /// <summary>A valid token of exactly <paramref name="length"/> characters (the checksum field takes 9).</summary>
    private static string TokenOfLength(int length) => ConsistencyToken.AppendChecksum(BodyOfLength(length - 9));

    private static string BodyOfLength(int length)
    {
        const string Header = "rr1.d.c.0.";
        var seqs = new List<ulong>();
        string Text() => Header + string.Join("~", seqs.Select((seq, domain) => $"{domain}-1-{seq}"));
        while (Text().Length + 8 < length)
            seqs.Add(1);
        for (var i = 0; Text().Length < length; i++)
            seqs[i % seqs.Count] = (seqs[i % seqs.Count] * 10) + 1;
        return Text();
    }
}
