using System.Text;
using ReplicaRouting.Internal;

namespace ReplicaRouting.Tests.Internal;

/// <summary>Properties that must hold for any input. Seeded, so every run checks the same few thousand texts.</summary>
public class SqlClassifierFuzzTests
{
    private const int Seed = 20_240_601;

    // Characters that matter to the lexer, weighted up so random text keeps hitting quotes, comments and operators.
    private const string Interesting = "'\"`\\/*-#!M;:=@(),.+ \n\t\r0123456789";

    private static readonly string[] Words =
    [
        "SELECT", "select", "FROM", "t", "WHERE", "FOR", "UPDATE", "SHARE", "LOCK", "IN", "INTO", "@x", "@@identity", "OUTFILE",
        "INSERT", "DELETE", "SET", "BEGIN", "COMMIT", "ROLLBACK", "START", "TRANSACTION", "READ", "ONLY", "WITH", "AS", "(", ")",
        "LAST_INSERT_ID(", "GET_LOCK(", "NEXT", "VALUE", "/*!", "/*M!50100", "*/", "/*", "--", "-- ", "#", ";", ":=", "'", "\"",
        "`", "\\'", "''", "ReplicaRouting:ReadFromPrimary", "ReplicaRouting:AllowStale=500ms", "ReplicaRouting:AllowStale=", "EXPLAIN", "SHOW", "DO", "STATEMENT", "GLOBAL", "\n",
    ];

    private static readonly string[] NeutralPrefixes = [" ", "\n", "\t", "\r\n", "/* c */", "/**/", "-- c\n", "--\n", "# c\n", "#\n"];

    private const string AppendedWrite = "\n;INSERT INTO t VALUES(1)";

    /// <summary>The classifier table plus samples: the seeds every mutation starts from.</summary>
    private static readonly string[] Corpus =
    [
        .. SqlClassifierTests.Cases.Select(row => (string)row[0]),
        .. SqlClassifierAllowStaleTests.Cases.Select(row => (string)row[0]),
        SqlClassifierSamples.EfQuery,
        SqlClassifierSamples.EfQueryWithTags,
        SqlClassifierSamples.EfQueryWithAllowStale,
    ];

    [Fact]
    public void Random_text_never_throws_and_is_deterministic()
    {
        var random = new Random(Seed);
        for (var i = 0; i < 3000; i++)
        {
            var text = RandomText(random, random.Next(0, 160));
            var first = SqlClassifier.Classify(text);
            Assert.Equal(first, SqlClassifier.Classify(text));
            Assert.Equal(first, SqlClassifier.Classify(new string(text.AsSpan())));   // a different instance, same content
        }
    }

    [Fact]
    public void Random_bytes_never_throw()
    {
        var random = new Random(Seed + 1);
        var bytes = new byte[256];
        for (var i = 0; i < 2000; i++)
        {
            var length = random.Next(0, bytes.Length);
            random.NextBytes(bytes.AsSpan(0, length));
            SqlClassifier.Classify(Encoding.Latin1.GetString(bytes, 0, length));
            SqlClassifier.Classify(Encoding.UTF8.GetString(bytes, 0, length));

            // raw UTF-16 code units, unpaired surrogates included
            SqlClassifier.Classify(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, char>(bytes.AsSpan(0, length & ~1)));
        }
    }

    [Fact]
    public void Every_truncation_of_valid_sql_is_classified_without_throwing()
    {
        var cases = 0;
        foreach (var sql in Corpus)
        {
            for (var length = 0; length <= sql.Length; length++)
            {
                SqlClassifier.Classify(sql.AsSpan(0, length));
                cases++;
            }
        }

        Assert.True(cases > 5000);
    }

    [Fact]
    public void Mutated_sql_never_throws_and_is_deterministic()
    {
        var random = new Random(Seed + 2);
        for (var i = 0; i < 4000; i++)
        {
            var text = Mutate(random, Corpus[random.Next(Corpus.Length)]);
            Assert.Equal(SqlClassifier.Classify(text), SqlClassifier.Classify(text));
        }
    }

    [Fact]
    public void Leading_whitespace_and_comments_do_not_change_the_verdict()
    {
        var random = new Random(Seed + 3);
        for (var i = 0; i < 3000; i++)
        {
            var text = (i % 3) switch
            {
                0 => Corpus[i / 3 % Corpus.Length],
                1 => Mutate(random, Corpus[random.Next(Corpus.Length)]),
                _ => RandomText(random, random.Next(0, 80)),
            };
            var prefix = new StringBuilder();
            for (var n = random.Next(1, 4); n > 0; n--)
                prefix.Append(NeutralPrefixes[random.Next(NeutralPrefixes.Length)]);

            Assert.Equal(SqlClassifier.Classify(text), SqlClassifier.Classify(prefix + text));
        }
    }

    [Fact]
    public void A_read_followed_by_an_insert_is_a_write()
    {
        var random = new Random(Seed + 4);
        var reads = 0;
        for (var i = 0; i < 4000; i++)
        {
            var text = i < Corpus.Length ? Corpus[i] : Mutate(random, Corpus[random.Next(Corpus.Length)]);
            var verdict = SqlClassifier.Classify(text);
            if (verdict.Kind != StatementKind.Read)
                continue;

            reads++;
            var appended = SqlClassifier.Classify(text + AppendedWrite);
            Assert.True(appended.Kind == StatementKind.Write, $"{appended.Kind} for: {text}");
            Assert.Equal(verdict.Effects, appended.Effects);
        }

        Assert.True(reads > 500, $"only {reads} reads");
    }

    private static string RandomText(Random random, int length)
    {
        var builder = new StringBuilder(length);
        while (builder.Length < length)
        {
            switch (random.Next(4))
            {
                case 0:
                    builder.Append(Interesting[random.Next(Interesting.Length)]);
                    break;
                case 1:
                    builder.Append(Words[random.Next(Words.Length)]).Append(' ');
                    break;
                case 2:
                    builder.Append((char)random.Next(0x20, 0x7F));
                    break;
                default:
                    builder.Append((char)random.Next(0, 0x10000));   // anything, unpaired surrogates included
                    break;
            }
        }

        return builder.ToString();
    }

    /// <summary>One to three edits: insert random characters or words, delete, duplicate a segment, or cut.</summary>
    private static string Mutate(Random random, string sql)
    {
        var text = new StringBuilder(sql);
        for (var edits = random.Next(1, 4); edits > 0; edits--)
        {
            var at = random.Next(text.Length + 1);
            switch (random.Next(5))
            {
                case 0:
                    text.Insert(at, RandomText(random, random.Next(1, 4)));
                    break;
                case 1:
                    text.Insert(at, Words[random.Next(Words.Length)]);
                    break;
                case 2:
                    text.Remove(at, random.Next(text.Length - at + 1));
                    break;
                case 3:
                    var length = random.Next(text.Length - at + 1);
                    text.Insert(random.Next(text.Length + 1), text.ToString(at, length));
                    break;
                default:
                    text.Length = at;
                    break;
            }
        }

        return text.ToString();
    }
}
