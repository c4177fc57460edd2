using ReplicaRouting.Internal;
using static ReplicaRouting.Internal.StatementKind;

namespace ReplicaRouting.Tests.Internal;

/// <summary>
/// The classifier reads comments, numbers and calls as the server it talks to does. Every expectation here was checked
/// against MySQL 9.7.4 and MariaDB 10.11.19 (docs/routing.md, "How the classifier reads SQL").
/// </summary>
public class SqlClassifierServerReadingTests
{
    private static readonly SqlContext MySql = SqlContext.For(ServerFlavor.MySql, "9.7.4");
    private static readonly SqlContext MariaDb = SqlContext.For(ServerFlavor.MariaDb, "10.11.19-MariaDB-log");

    private const string HiddenInsert = "; INSERT INTO t (v) VALUES ('x') #' */";

    // sql → kind on MySQL 9.7, kind on MariaDB 10.11
    public static TheoryData<string, object, object> Cases => new()
    {
        // a versioned comment the server skips hides a quote that would otherwise open a literal: what follows is code
        { "SELECT 1 /*!80000 ' */" + HiddenInsert, Read, Write },   // MySQL runs it: the quote opens a literal
        { "SELECT 1 /*!50700 ' */" + HiddenInsert, Read, Write },   // MariaDB skips MySQL's 50700..99999
        { "SELECT 1 /*!99999 ' */" + HiddenInsert, Write, Write },
        { "SELECT 1 /*!999999 ' */" + HiddenInsert, Write, Write },
        { "SELECT 1 /*M!999999 ' */" + HiddenInsert, Write, Write },   // MySQL: an ordinary comment
        { "SELECT 1 /*M! ' */" + HiddenInsert, Write, Read },          // MariaDB runs /*M! without a version
        { "SELECT 1 /*!50699 ' */" + HiddenInsert, Read, Read },       // both run it

        // whether the version runs
        { "SELECT 1 /*!90704 FOR UPDATE */", LockingRead, Read },
        { "SELECT 1 /*!90705 FOR UPDATE */", Read, Read },
        { "SELECT 1 /*!50699 FOR UPDATE */", LockingRead, LockingRead },
        { "SELECT 1 /*!50700 FOR UPDATE */", LockingRead, Read },
        { "SELECT 1 /*!100000 FOR UPDATE */", Read, LockingRead },
        { "SELECT 1 /*!101119 FOR UPDATE */", Read, LockingRead },
        { "SELECT 1 /*!101120 FOR UPDATE */", Read, Read },
        { "SELECT 1 /*M!50700 FOR UPDATE */", Read, LockingRead },
        { "SELECT 1 /*M!101119 FOR UPDATE */", Read, LockingRead },
        { "SELECT 1 /*m! FOR UPDATE */", Read, Read },   // only an upper-case M
        { "SELECT 1 /*!090704 FOR UPDATE */", LockingRead, Read },   // 6 digits before whitespace: MySQL's 9.7.4
        { "SELECT 1 /*!090704*/ FOR UPDATE", LockingRead, LockingRead },

        // a skipped versioned comment holds one nested comment; an ordinary one holds none
        { "SELECT 1 /*!99999 /* x */ ; INSERT INTO t VALUES (1) */", Read, Read },
        { "SELECT 1 /*!99999 /* x */ */ FOR UPDATE", LockingRead, LockingRead },
        { "SELECT 1 /* /* x */ FOR UPDATE", LockingRead, LockingRead },
        { "SELECT 1 /*!99999 # */ FOR UPDATE", LockingRead, LockingRead },   // # is no comment inside a comment
        { "SELECT 1 /*!99999 ", Unknown, Unknown },

        // inside an executable comment
        { "SELECT 1 /*! , 2 # */ \n FOR UPDATE */", LockingRead, LockingRead },
        { "SELECT 1 /*! , 2 /*!50000 , 3 */ , 4", Unknown, Unknown },   // nested: the first */ ends both
        { "SELECT 1 /*! , 2", Unknown, Unknown },

        // -- is a comment before whitespace, a control character (DEL too) or the end
        { "SELECT 1 --\u007F '\n; INSERT INTO t (v) VALUES ('x') -- '", Write, Write },
        { "SELECT 1 --\u0001 '\n; INSERT INTO t (v) VALUES ('x') -- '", Write, Write },
        { "SELECT 1 --\u0085 '\n; INSERT INTO t (v) VALUES ('x') -- '", Read, Read },   // NEL is no control character to the server
        { "SELECT 1 --", Read, Read },
        { "SELECT 1 --1 FOR UPDATE", LockingRead, LockingRead },

        // numbers end where the server ends them
        { "SELECT * FROM t WHERE id = 1.FOR UPDATE", LockingRead, LockingRead },
        { "SELECT * FROM t WHERE id = 1.LOCK IN SHARE MODE", LockingRead, LockingRead },
        { "SELECT 1.INTO @v", SessionState, SessionState },
        { "SELECT 1.5FOR UPDATE", LockingRead, LockingRead },
        { "SELECT 1e5FOR UPDATE", LockingRead, LockingRead },
        { "SELECT 1e+5FOR UPDATE", LockingRead, LockingRead },
        { "SELECT .5FOR UPDATE", LockingRead, LockingRead },
        { "SELECT 1.5e3FOR UPDATE", LockingRead, LockingRead },
        { "SELECT 1abc FROM t", Read, Read },
        { "SELECT 0x1F, 0b101, 0x1G FROM t", Read, Read },
        { "SELECT 0xFFFOR UPDATE", Read, Read },   // one name: the server fails on UPDATE
        { "SELECT t.1e5for FROM t", Read, Read },   // after a dot: a name
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Each_server_reads_it_as_it_runs(string sql, object onMySql, object onMariaDb)
    {
        Assert.Equal((StatementKind)onMySql, SqlClassifier.Classify(sql, MySql).Kind);
        Assert.Equal((StatementKind)onMariaDb, SqlClassifier.Classify(sql, MariaDb).Kind);
        Assert.Equal(SqlClassifier.ClassifyByFullLexing(sql, MySql), SqlClassifier.Classify(sql, MySql, skimMinLength: 0));
        Assert.Equal(SqlClassifier.ClassifyByFullLexing(sql, MariaDb), SqlClassifier.Classify(sql, MariaDb, skimMinLength: 0));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Unknown_servers_take_the_stronger_reading(string sql, object onMySql, object onMariaDb)
    {
        var stronger = (StatementKind)Math.Max((byte)(StatementKind)onMySql, (byte)(StatementKind)onMariaDb);

        Assert.True(SqlClassifier.Classify(sql).Kind >= stronger, sql);
    }

    [Fact]
    public void Nodes_of_different_versions_take_the_stronger_reading()
    {
        var mixed = SqlContext.For(ServerFlavor.MariaDb, "10.6.20-MariaDB").WithServer(ServerFlavor.MariaDb, "10.11.19-MariaDB");

        Assert.Equal(LockingRead, SqlClassifier.Classify("SELECT 1 /*!100700 FOR UPDATE */", mixed).Kind);
        Assert.Equal(Read, SqlClassifier.Classify("SELECT 1 /*!100700 FOR UPDATE */", SqlContext.For(ServerFlavor.MariaDb, "10.6.20")).Kind);
        Assert.Equal(2, mixed.Readings.Length);
        Assert.Same(mixed, mixed.WithServer(ServerFlavor.MariaDb, "10.6.20-MariaDB-log"));
    }

    [Theory]
    [InlineData("9.7.4", 90704)]
    [InlineData("8.0.36-28", 80036)]
    [InlineData("10.11.19-MariaDB-deb12-log", 101119)]
    [InlineData("5.5.5-10.11.19-MariaDB", 101119)]
    [InlineData("11.8", 110800)]
    [InlineData("garbage", 0)]
    public void Server_versions_are_read_as_the_comments_write_them(string serverVersion, int expected) =>
        Assert.Equal(expected, ServerReading.ParseVersion(serverVersion));

    [Fact]
    public void Without_a_version_no_reading_is_assumed()
    {
        var context = SqlContext.For(ServerFlavor.MySql, "garbage");

        Assert.Same(SqlContext.Unknown, context);
        Assert.Equal(Unknown, SqlClassifier.Classify("SELECT 1 /*!50100 x */", context).Kind);
    }
}
