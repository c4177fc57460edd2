using System.Text;
using ReplicaRouting.Internal;
using static ReplicaRouting.Internal.StatementKind;

namespace ReplicaRouting.Tests.Internal;

/// <summary>
/// The skim: the fast path that jumps over the body of a statement when token-by-token lexing could not raise its verdict.
/// It must agree with full lexing on every text, and it must not skip what matters wherever it hides.
/// </summary>
public class SqlClassifierSkimTests
{
    private const SessionEffects NoFx = SessionEffects.None;
    private const SessionEffects Pin = SessionEffects.PinsToPrimary;
    private const int Seed = 20_250_301;

    /// <summary>A long plain read the skim must take, so that what is appended to it is found by the skim or not at all.</summary>
    private static readonly string LongRead = SqlClassifierSamples.EfQuery;

    // A tail appended to a long read → what the whole text is.
    public static TheoryData<string, object, object> RiskyTails => new()
    {
        // locking and INTO clauses
        { " FOR UPDATE", LockingRead, NoFx },
        { "\nFOR\tSHARE", LockingRead, NoFx },
        { " for update nowait", LockingRead, NoFx },
        { " FOR UPDATE OF `o` SKIP LOCKED", LockingRead, NoFx },
        { " LOCK IN SHARE MODE", LockingRead, NoFx },
        { " FOR/**/UPDATE", LockingRead, NoFx },
        { " FOR -- c\nUPDATE", LockingRead, NoFx },
        { " INTO @total", SessionState, Pin },
        { " INTO @`total`", SessionState, Pin },
        { " INTO OUTFILE '/tmp/orders.csv'", LockingRead, NoFx },
        { " into dumpfile '/tmp/o'", LockingRead, NoFx },
        { " INTO", Unknown, NoFx },
        { " INTO v", Unknown, NoFx },

        // executable comments are code; versioned ones may not be (the server is unknown here)
        { " /*! FOR UPDATE */", LockingRead, NoFx },
        { " /*!50100 FOR UPDATE */", Unknown, NoFx },
        { " /*M! FOR UPDATE */", Unknown, NoFx },
        { " /*M!100100 LOCK IN SHARE MODE */", Unknown, NoFx },

        // number-dot and exponent: the number ends and the word is a keyword
        { " AND id = 1.FOR UPDATE", LockingRead, NoFx },
        { " AND id = 1e5FOR UPDATE", LockingRead, NoFx },
        { " AND id = .5FOR UPDATE", LockingRead, NoFx },
        { " AND id = 1.LOCK IN SHARE MODE", LockingRead, NoFx },
        { " AND id = 1 --\x7F '\n FOR UPDATE -- '", LockingRead, NoFx },
        { " AND id = 1 --\x01 '\n FOR UPDATE -- '", LockingRead, NoFx },
        { " AND db.f(1) > 0", Write, NoFx },
        { " AND `db`.`f` (1) > 0", Write, NoFx },
        { " /*!*/", Read, NoFx },

        // functions with side effects or connection-bound results, sequences, variables, assignments
        { " AND LAST_INSERT_ID() > 0", SideEffectFunction, NoFx },
        { " AND last_insert_id () > 0", SideEffectFunction, NoFx },
        { " AND GET_LOCK('x', 1)", SideEffectFunction, Pin },
        { " AND get_lock/**/('x', 1)", SideEffectFunction, Pin },
        { " AND RELEASE_LOCK('x')", SideEffectFunction, NoFx },
        { " AND RELEASE_ALL_LOCKS()", SideEffectFunction, NoFx },
        { " AND IS_USED_LOCK('x')", SideEffectFunction, NoFx },
        { " AND is_free_lock('x')", SideEffectFunction, NoFx },
        { " AND FOUND_ROWS() > 0", Read, SessionEffects.ReadsPreviousStatement },
        { " AND ROW_COUNT() > 0", Read, SessionEffects.ReadsPreviousStatement },
        { " AND CONNECTION_ID() > 0", SideEffectFunction, NoFx },
        { " AND NEXTVAL(s) > 0", SideEffectFunction, NoFx },
        { " AND lastval(s) > 0", SideEffectFunction, NoFx },
        { " AND SETVAL(s, 1) > 0", SideEffectFunction, NoFx },
        { " AND NEXT VALUE FOR s > 0", SideEffectFunction, NoFx },
        { " AND PREVIOUS VALUE FOR s > 0", SideEffectFunction, NoFx },
        { " AND MASTER_POS_WAIT('f', 4) > 0", SideEffectFunction, NoFx },
        { " AND SOURCE_POS_WAIT('f', 4) > 0", SideEffectFunction, NoFx },
        { " AND MASTER_GTID_WAIT('0-1-1') > 0", SideEffectFunction, NoFx },
        { " AND WAIT_FOR_EXECUTED_GTID_SET('x') = 0", SideEffectFunction, NoFx },
        { " AND WAIT_UNTIL_SQL_THREAD_AFTER_GTIDS('x') = 0", SideEffectFunction, NoFx },
        { " AND @@identity > 0", SideEffectFunction, NoFx },
        { " AND @@session.last_insert_id > 0", SideEffectFunction, NoFx },
        { " AND @@warning_count = 0", Read, SessionEffects.ReadsPreviousStatement },
        { " AND @@`x` = 0", Unknown, NoFx },
        { " AND @@", Unknown, NoFx },
        { " AND (@r := @r + 1) > 0", SessionState, Pin },
        { " AND (@r:=1)", SessionState, Pin },

        // another statement
        { "; INSERT INTO t VALUES (1)", Write, NoFx },
        { ";\nDELETE FROM t", Write, NoFx },
        { "; SET @a = 1", SessionState, Pin },
        { ";SELECT LAST_INSERT_ID()", SideEffectFunction, NoFx },
        { ";", Read, NoFx },
        { "; -- done", Read, NoFx },

        // malformed: unterminated literals, identifiers and comments
        { " AND a = 'unterminated", Unknown, NoFx },
        { " AND a = \"unterminated", Unknown, NoFx },
        { " AND `unterminated", Unknown, NoFx },
        { " AND `a` = `b", Unknown, NoFx },
        { " /* unterminated", Unknown, NoFx },
        { " /*! unterminated", Unknown, NoFx },
        { " AND a = 'x\\", Unknown, NoFx },

        // a quote escaped with a backslash ends the literal under NO_BACKSLASH_ESCAPES: both readings count
        { " AND a = 'a\\'; INSERT INTO t VALUES (1); -- '", Write, NoFx },
        { " AND a = 'it\\'s' FOR UPDATE", LockingRead, NoFx },
        { " AND a = 'it\\'s', 'FOR UPDATE' -- '", LockingRead, NoFx },

        // hidden after things that could confuse a skim
        { " AND a = 'x`y' FOR UPDATE", LockingRead, NoFx },
        { " AND `it's` = 1 FOR UPDATE", LockingRead, NoFx },
        { " AND `a``b` = 'c''d' FOR UPDATE", LockingRead, NoFx },
        { " AND a = \"say \"\"hi\"\"\" FOR UPDATE", LockingRead, NoFx },
        { " AND a = '/* not a comment' FOR UPDATE", LockingRead, NoFx },
        { " AND a = '-- not a comment' FOR UPDATE", LockingRead, NoFx },
        { " AND a = 1--1 FOR UPDATE", LockingRead, NoFx },
        { " AND a = 1 /* ; */ FOR UPDATE", LockingRead, NoFx },
        { " AND a/b > 1 FOR UPDATE", LockingRead, NoFx },
        { " AND a = ':' FOR UPDATE", LockingRead, NoFx },
        { " AND a = @update FOR UPDATE", LockingRead, NoFx },
        { " AND `x`.update = 1 FOR UPDATE", LockingRead, NoFx },
        { " AND LastUpdated = 1 FOR UPDATE", LockingRead, NoFx },
        { " AND `Lock` = 1 LOCK IN SHARE MODE", LockingRead, NoFx },
        { " AND a = 'a\\\\' FOR UPDATE", LockingRead, NoFx },
        { " AND a = N'x' AND b = _utf8mb4'y' AND c = X'4D' FOR UPDATE", LockingRead, NoFx },
        { " AND a = 'FOR UPDATE' AND LAST_INSERT_ID() > 0", SideEffectFunction, NoFx },
        { " # note\nFOR UPDATE", LockingRead, NoFx },
        { " -- note\r\nFOR UPDATE", LockingRead, NoFx },

        // a pair split by a comment is still a pair (a comment is no token), also right after a literal
        { " FOR # c\nUPDATE", LockingRead, NoFx },
        { " AND a = 'x' FOR # c\nSHARE", LockingRead, NoFx },
        { " AND a = 'x' LOCK -- c\nIN SHARE MODE", LockingRead, NoFx },
        { " AND a = 'x' LOCK /* c */ IN SHARE MODE", LockingRead, NoFx },
        { " AND 'x' = GET_LOCK # c\n('x', 1)", SideEffectFunction, Pin },
        { " AND 'x' = GET_LOCK -- c\n('x', 1)", SideEffectFunction, Pin },
        { " AND 'x' = GET_LOCK /* c */ ('x', 1)", SideEffectFunction, Pin },
        { " AND a = 'x' AND NEXT # c\nVALUE # c\nFOR s > 0", SideEffectFunction, NoFx },
        { " AND a = 'x' AND PREVIOUS /* c */ VALUE -- c\nFOR s > 0", SideEffectFunction, NoFx },
        { " AND a = 'x' INTO # c\n@total", SessionState, Pin },
        { " AND a = 'x' INTO /* c */ OUTFILE '/tmp/o'", LockingRead, NoFx },
        { " AND a = 1 - 2 INTO -- c\n@total", SessionState, Pin },
        { " AND a = 1 / 2 FOR # c\nUPDATE", LockingRead, NoFx },
    };

    // A tail appended to a long read that leaves it a read, and that the skim jumps over.
    public static TheoryData<string> HarmlessTails => new()
    {
        "",
        " AND `o`.`Status` <> 'FOR UPDATE'",
        " AND a = \"LOCK IN SHARE MODE\"",
        " AND a = 'x; INSERT INTO t VALUES (1)'",
        " AND a = ':=' AND b = '@@identity' AND c = 'LAST_INSERT_ID()'",
        " AND a = 'it''s' AND b = \"say \"\"hi\"\"\"",
        " AND a = 'a\\\\' AND b = 'c\\nd'",
        " -- FOR UPDATE",
        " -- FOR UPDATE\n",
        " # INTO @x",
        " /* LAST_INSERT_ID() ; */",
        " /*+ MAX_EXECUTION_TIME(1000) */",
        " /*/ FOR UPDATE */",
        " AND `update` = 1 AND `Lock`.`Next` = 2 AND `get_lock`(1)",
        " AND `LastUpdated` > @since AND `minTotal` > 0 AND `Share` = 1",
        " AND LastUpdated > @since AND minTotal > 0 AND IsLocked = 0 AND NextDueDate IS NULL AND locked = 0",
        " AND t.update = 1 AND t.into = 2 AND t.last_insert_id = 3",
        " AND @update = 1 AND @into = 2",
        " AND a = 1--1",
        " AND a - 1 > 0 AND b / 2 > 0 AND c = 1 * 2",
        " AND a = ':' AND b = 1 ",
        " AND `a``b` = 'c''d' AND `x` = `y```",
    };

    [Theory]
    [MemberData(nameof(RiskyTails))]
    public void What_hides_at_the_end_of_a_long_read_is_found(string tail, object kind, object effects)
    {
        var sql = LongRead + tail;
        var expected = new SqlClassification((StatementKind)kind, (SessionEffects)effects, SqlHint.None);

        Assert.Equal(expected, SqlClassifier.ClassifyByFullLexing(sql));
        Assert.Equal(expected, SqlClassifier.Classify(sql));
        Assert.Equal(expected, SqlClassifier.Classify(sql, skimMinLength: 0));
    }

    [Theory]
    [MemberData(nameof(RiskyTails))]
    public void What_hides_at_the_end_of_a_long_read_is_found_behind_tags_and_in_later_statements(string tail, object kind, object effects)
    {
        var expected = new SqlClassification((StatementKind)kind, (SessionEffects)effects, SqlSamplesHint);
        var tagged = SqlClassifierSamples.EfQueryWithTags + tail;
        Assert.Equal(expected, SqlClassifier.Classify(tagged));
        Assert.Equal(SqlClassifier.ClassifyByFullLexing(tagged), SqlClassifier.Classify(tagged));

        // the same read as the second statement of a text
        var second = "SELECT 1;\n" + LongRead + tail;
        Assert.Equal(SqlClassifier.ClassifyByFullLexing(second), SqlClassifier.Classify(second));
        Assert.Equal((StatementKind)kind, SqlClassifier.Classify(second).Kind);
    }

    private const SqlHint SqlSamplesHint = SqlHint.ReadFromPrimary;

    [Theory]
    [MemberData(nameof(RiskyTails))]
    public void The_skim_does_not_jump_over_a_word_or_operator_that_counts(string tail, object kind, object effects)
    {
        _ = effects;
        var sql = LongRead + tail;
        if ((StatementKind)kind is Read or Unknown || tail.Contains(';', StringComparison.Ordinal) || tail.Contains('\\', StringComparison.Ordinal))
            return;   // nothing to raise, a later statement, or a reading the skim may rightly jump over

        Assert.False(SqlClassifier.SkimsFirstStatement(sql), tail);
    }

    [Theory]
    [MemberData(nameof(HarmlessTails))]
    public void Harmless_text_at_the_end_of_a_long_read_is_skimmed(string tail)
    {
        var sql = LongRead + tail;

        Assert.True(SqlClassifier.SkimsFirstStatement(sql), tail);
        Assert.Equal(new SqlClassification(Read, NoFx, SqlHint.None), SqlClassifier.Classify(sql));
        Assert.Equal(SqlClassifier.ClassifyByFullLexing(sql), SqlClassifier.Classify(sql));
    }

    [Fact]
    public void Representative_long_reads_take_the_fast_path()
    {
        Assert.True(SqlClassifier.SkimsFirstStatement(SqlClassifierSamples.EfQuery));
        Assert.True(SqlClassifier.SkimsFirstStatement(SqlClassifierSamples.EfQueryWithTags));
        Assert.True(SqlClassifier.SkimsFirstStatement(SqlClassifierSamples.EfQueryWithAllowStale));
        Assert.True(SqlClassifier.SkimsFirstStatement("SELECT id, customer_id, item, quantity, created_at FROM orders WHERE id = @id"));
        Assert.True(SqlClassifier.SkimsFirstStatement("INSERT INTO `Orders` (`CustomerId`, `CreatedAt`) VALUES (@p0, @p1)"));
    }

    [Fact]
    public void Huge_texts_with_many_harmless_matches_are_skimmed_and_classified()
    {
        // Every repetition holds three words the skim must look at closely. Quadratic work would make this test run for
        // minutes, which shows as a hung suite; its speed is measured by the hot-path benchmarks, not asserted here.
        var reads = "SELECT " + string.Concat(Enumerable.Repeat("LastUpdated, `Lock`, t.update, @next, ", 150_000)) + "1";
        var locking = reads + " FOR UPDATE";
        var literals = "SELECT " + string.Concat(Enumerable.Repeat("'FOR UPDATE', LastUpdated - 1, ", 150_000)) + "1 FOR SHARE";

        Assert.True(SqlClassifier.SkimsFirstStatement(reads));
        Assert.Equal(Read, SqlClassifier.Classify(reads).Kind);
        Assert.Equal(LockingRead, SqlClassifier.Classify(locking).Kind);
        Assert.Equal(LockingRead, SqlClassifier.Classify(literals).Kind);
    }

    [Theory]
    [MemberData(nameof(SqlClassifierTests.Cases), MemberType = typeof(SqlClassifierTests))]
    public void Every_table_case_is_classified_the_same_when_every_statement_is_skimmed(string sql, object kind, object effects, object hint)
    {
        var expected = new SqlClassification((StatementKind)kind, (SessionEffects)effects, (SqlHint)hint);

        Assert.Equal(expected, SqlClassifier.Classify(sql, skimMinLength: 0));
        Assert.Equal(expected, SqlClassifier.ClassifyByFullLexing(sql));
    }

    [Theory]
    [MemberData(nameof(SqlClassifierAllowStaleTests.Cases), MemberType = typeof(SqlClassifierAllowStaleTests))]
    public void Every_staleness_case_is_classified_the_same_when_every_statement_is_skimmed(string sql, object kind, object effects, object hint, int staleness)
    {
        var expected = new SqlClassification((StatementKind)kind, (SessionEffects)effects, (SqlHint)hint, staleness);

        Assert.Equal(expected, SqlClassifier.Classify(sql, skimMinLength: 0));
        Assert.Equal(expected, SqlClassifier.ClassifyByFullLexing(sql));
    }

    // Differential fuzzing: whatever the text, the skim and full lexing agree.

    /// <summary>Tokens that matter to the lexer or the skim, weighted toward what the skim must not miss.</summary>
    private static readonly string[] Words =
    [
        "SELECT", "select", "FROM", "t", "t.", ".", "WHERE", "AND", "FOR", "for", "UPDATE", "update", "SHARE", "LOCK", "IN", "INTO", "into",
        "OUTFILE", "DUMPFILE", "NEXT", "PREVIOUS", "VALUE", "VALUES", "SQL_CALC_FOUND_ROWS", "LAST_INSERT_ID", "last_insert_id(",
        "FOUND_ROWS(", "ROW_COUNT(", "GET_LOCK(", "get_lock", "RELEASE_LOCK(", "RELEASE_ALL_LOCKS(", "IS_USED_LOCK(", "IS_FREE_LOCK(",
        "NEXTVAL(", "LASTVAL(", "SETVAL(", "CONNECTION_ID(", "MASTER_POS_WAIT(", "SOURCE_POS_WAIT(", "MASTER_GTID_WAIT(",
        "WAIT_FOR_EXECUTED_GTID_SET(", "WAIT_UNTIL_SQL_THREAD_AFTER_GTIDS(", "LastUpdated", "minTotal", "Locked", "NextDate",
        "@x", "@", "@@", "@@identity", "@@session.insert_id", "@@version", "@update", ":=", ":", "=", "(", ")", ",", ";", "/*!",
        "/*!50100", "/*M!", "/*M!100100", "*/", "/*", "/*+", "--", "-- ", "-", "#", "\n", "'", "\"", "`", "``", "''", "\\", "\\'",
        "'FOR UPDATE'", "`update`", "`it's`", "'x`y'", "1--1", "/", "*", "WITH", "INSERT", "SET", "EXPLAIN", "DO", "SHOW",
        "ReplicaRouting:ReadFromPrimary", "ReplicaRouting:AllowStale=500ms", "\u00e9", "$",
    ];

    /// <summary>Characters that matter to the lexer or the skim.</summary>
    private const string Interesting = "'\"`\\/*-#!M;:=@(),. \n\t";

    private static readonly string[] Corpus =
    [
        .. SqlClassifierTests.Cases.Select(row => (string)row[0]),
        .. SqlClassifierAllowStaleTests.Cases.Select(row => (string)row[0]),
        SqlClassifierSamples.EfQuery,
        SqlClassifierSamples.EfQueryWithTags,
        SqlClassifierSamples.EfQueryWithAllowStale,
    ];

    [Fact]
    public void Every_truncation_of_the_corpus_is_classified_the_same_by_the_skim()
    {
        foreach (var sql in Corpus)
        {
            for (var length = 0; length <= sql.Length; length++)
                AssertSame(sql[..length]);
        }
    }

    [Fact]
    public void Long_reads_with_words_inserted_anywhere_are_classified_the_same_by_the_skim()
    {
        var random = new Random(Seed);
        var skimmed = 0;
        var raised = 0;
        for (var i = 0; i < 6000; i++)
        {
            var text = new StringBuilder(LongRead);
            for (var edits = random.Next(1, 4); edits > 0; edits--)
            {
                // anywhere: in code, in literals, in quoted identifiers, in comments, at the very end
                var at = random.Next(4) == 0 ? text.Length : random.Next(text.Length + 1);
                text.Insert(at, Words[random.Next(Words.Length)] + (random.Next(2) == 0 ? " " : ""));
            }

            var sql = text.ToString();
            AssertSame(sql);
            if (SqlClassifier.SkimsFirstStatement(sql))
                skimmed++;
            if (SqlClassifier.Classify(sql).Kind != Read)
                raised++;
        }

        // both outcomes must be well represented for the comparison to mean something
        Assert.True(skimmed > 1000, $"only {skimmed} skimmed");
        Assert.True(raised > 1000, $"only {raised} not plain reads");
    }

    [Fact]
    public void Mutated_sql_is_classified_the_same_by_the_skim()
    {
        var random = new Random(Seed + 1);
        for (var i = 0; i < 6000; i++)
            AssertSame(Mutate(random, Corpus[random.Next(Corpus.Length)]));
    }

    [Fact]
    public void Random_text_is_classified_the_same_by_the_skim()
    {
        var random = new Random(Seed + 2);
        for (var i = 0; i < 6000; i++)
        {
            var text = new StringBuilder();
            var length = random.Next(0, 400);
            while (text.Length < length)
            {
                switch (random.Next(6))
                {
                    case 0:
                        text.Append(Interesting[random.Next(Interesting.Length)]);
                        break;
                    case 1:
                    case 2:
                        text.Append(Words[random.Next(Words.Length)]).Append(' ');
                        break;
                    case 3:
                        text.Append((char)random.Next(0x20, 0x7F));
                        break;
                    case 4:
                        text.Append("`c").Append(random.Next(100)).Append("`, ");
                        break;
                    default:
                        text.Append((char)random.Next(0, 0x10000));
                        break;
                }
            }

            AssertSame(text.ToString());
            AssertSame("SELECT " + text);
        }
    }

    private static void AssertSame(string sql)
    {
        var reference = SqlClassifier.ClassifyByFullLexing(sql);
        Assert.True(reference == SqlClassifier.Classify(sql, skimMinLength: 0), sql);
        Assert.True(reference == SqlClassifier.Classify(sql), sql);
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
                    text.Insert(at, Interesting[random.Next(Interesting.Length)]);
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
