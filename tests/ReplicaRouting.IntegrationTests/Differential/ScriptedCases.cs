using System.Data;
using MySqlConnector;

namespace ReplicaRouting.IntegrationTests.Differential;

/// <summary>The routed side's configuration in a differential run (the oracle is always plain MySqlConnector on the primary).</summary>
public enum DifferentialConfiguration
{
    /// <summary>ReadYourWrites (the default) inside <c>dataSource.BeginSession()</c>.</summary>
    ReadYourWritesSession,

    /// <summary>ReadYourWrites without any session (the connection's own writes only).</summary>
    ReadYourWritesNoSession,

    /// <summary>ReadConsistency.Eventual: reads of the script's own writes (MayBeStale) compare shape, not data.</summary>
    Eventual,

    /// <summary>ReadConsistency.Primary: no split at all.</summary>
    Primary,

    /// <summary>ReadYourWrites in a session with every replica's SQL apply thread stopped: causal reads wait 300 ms, then the primary.</summary>
    Lagged,

    /// <summary>ReadYourWrites in a session restored from another data source's token: reads carry a GTID wait batch.</summary>
    RestoredToken,
}

/// <summary>
/// One script per behaviour reported under "What we saw" in issue 11 (and the neighbours a user would write next to
/// it), read like the SQL an application sends. <c>{t}</c> is the run's table; <c>{t}_p</c>, <c>{t}_q</c>, <c>{t}_f</c> its routines.
/// </summary>
public static class ScriptedCases
{
    /// <summary>The common table: three rows every replica has before the script starts.</summary>
    private static readonly string[] Table =
    [
        "CREATE TABLE {t} (id INT PRIMARY KEY, tag VARCHAR(20) NOT NULL, n INT NOT NULL DEFAULT 0, UNIQUE KEY uk_tag (tag)) ENGINE=InnoDB",
        "INSERT INTO {t} (id, tag, n) VALUES (1, 'a', 10), (2, 'b', 20), (3, 'c', 30)",
    ];

    private static readonly string[] AutoIncrementTable =
    [
        .. Table,
        "CREATE TABLE {t}_ai (id INT AUTO_INCREMENT PRIMARY KEY, v INT NOT NULL) ENGINE=InnoDB",
    ];

    /// <summary>A write every "after a write" case starts with: it gives the session a GTID (so reads wait or pin) and the connection a capture.</summary>
    private static Sql AWrite(int id = 50) => new($"INSERT INTO {{t}} (id, tag, n) VALUES ({id}, 'w{id}', {id})", Exec.NonQuery);

    private static Sql Read(string text, Exec exec = Exec.Reader, bool async = false) => new(text, exec) { Async = async };

    private static Sql FreshRead(string text, Exec exec = Exec.Reader, bool async = false) => new(text, exec) { Async = async, MayBeStale = true };

    public static readonly IReadOnlyList<Script> All =
    [
        new("row_count_after_write", Table,
        [
            new Sql("UPDATE {t} SET n = n + 1 WHERE id <= 3", Exec.NonQuery),
            Read("SELECT ROW_COUNT()", Exec.Scalar),
            new Sql("INSERT INTO {t} (id, tag) VALUES (4, 'd'), (5, 'e')", Exec.NonQuery) { Async = true },
            Read("SELECT ROW_COUNT()", Exec.Reader, async: true),
            new Sql("DELETE FROM {t} WHERE id >= 4", Exec.NonQuery),
            Read("SELECT ROW_COUNT() AS deleted", Exec.Scalar, async: true),
        ]),

        new("found_rows_after_sql_calc_found_rows", Table,
        [
            AWrite(),
            FreshRead("SELECT SQL_CALC_FOUND_ROWS id, tag FROM {t} ORDER BY id LIMIT 1"),
            FreshRead("SELECT FOUND_ROWS()", Exec.Scalar),   // counts the script's own write, which a replica may not have under Eventual
            FreshRead("SELECT SQL_CALC_FOUND_ROWS id FROM {t} WHERE id > 1 ORDER BY id LIMIT 1", Exec.Scalar, async: true),
            FreshRead("SELECT FOUND_ROWS()", Exec.Reader, async: true),
        ]),

        new("warnings_after_insert_ignore_duplicate", Table,
        [
            new Sql("INSERT IGNORE INTO {t} (id, tag) VALUES (1, 'dup')", Exec.NonQuery),
            Read("SHOW WARNINGS"),
            Read("SHOW COUNT(*) WARNINGS", Exec.Scalar),
            new Sql("INSERT IGNORE INTO {t} (id, tag) VALUES (2, 'dup2')", Exec.NonQuery) { Async = true },
            Read("SHOW COUNT(*) WARNINGS", Exec.Scalar, async: true),
            new Sql("INSERT IGNORE INTO {t} (id, tag) VALUES (3, 'dup3')", Exec.NonQuery),
            new Sql("GET DIAGNOSTICS CONDITION 1 @errno = MYSQL_ERRNO, @sqlstate = RETURNED_SQLSTATE", Exec.NonQuery),
            Read("SELECT @errno, @sqlstate"),
        ]),

        new("warnings_after_cast", Table,
        [
            Read("SELECT CAST('abc' AS SIGNED)", Exec.Scalar),
            Read("SHOW WARNINGS"),
            Read("SELECT CAST('12x' AS SIGNED) AS v FROM {t} WHERE id = 1", Exec.Reader, async: true),
            Read("SHOW COUNT(*) WARNINGS", Exec.Scalar, async: true),
            Read("SELECT CAST('abc' AS SIGNED)", Exec.Scalar),
            new Sql("GET DIAGNOSTICS @count = NUMBER", Exec.NonQuery),
            Read("SELECT @count", Exec.Scalar),
        ])
        {
            Kept =
            [
                new(7, "GET DIAGNOSTICS after a read that ran on a replica runs there (the diagnostics are there), so the user variable it assigns lives on that replica, not on the primary session that later reads it",
                    (_, configuration) => configuration != DifferentialConfiguration.Primary)
                {
                    Intermittent = true,   // the same replica may serve the read of @count
                },
            ],
        },

        new("warnings_and_errors_after_a_write", Table,
        [
            AWrite(),
            Read("SELECT CAST('abc' AS SIGNED)", Exec.Scalar),
            Read("SHOW WARNINGS"),
            Read("SELECT no_such_column FROM {t}"),
            Read("SHOW ERRORS"),
            Read("SHOW COUNT(*) ERRORS", Exec.Scalar),
        ]),

        new("call_assigns_a_user_variable", [.. Table, "CREATE PROCEDURE {t}_p(IN p_tag VARCHAR(20), OUT p_count INT) BEGIN INSERT INTO {t} (id, tag) VALUES (100, p_tag); SELECT COUNT(*) INTO p_count FROM {t}; END"],
        [
            new Sql("CALL {t}_p(@tag, @out_id)", Exec.NonQuery) { Parameters = [new Param("@tag", "x")] },
            Read("SELECT @out_id", Exec.Scalar),
            Read("SELECT @out_id AS out_id", Exec.Reader, async: true),
        ]),

        new("select_assigns_a_user_variable", Table,
        [
            Read("SELECT @total := SUM(n) FROM {t}", Exec.Scalar),
            Read("SELECT @total", Exec.Scalar),
            Read("SELECT n INTO @one FROM {t} WHERE id = 1", Exec.NonQuery),
            Read("SELECT @one", Exec.Scalar, async: true),
        ]),

        new("user_variables_set_and_read", Table,
        [
            new Sql("SET @x = 41", Exec.NonQuery),
            Read("SELECT @x + 1", Exec.Scalar),
            AWrite(),
            Read("SELECT @x := @x + 1", Exec.Scalar, async: true),
            Read("SELECT @x, @never_set"),
        ]),

        new("scalar_error_after_the_first_row", Table,
        [
            AWrite(),
            Read("SELECT IF(n=2,(SELECT 1 UNION SELECT 2),n) FROM (SELECT 1 n UNION ALL SELECT 2) t", Exec.Scalar),
            Read("SELECT IF(n=2,(SELECT 1 UNION SELECT 2),n) FROM (SELECT 1 n UNION ALL SELECT 2) t", Exec.Scalar, async: true),
            Read("SELECT IF(n=2,(SELECT 1 UNION SELECT 2),n) FROM (SELECT 1 n UNION ALL SELECT 2) t"),
            Read("SELECT 1", Exec.Scalar),
        ]),

        new("cancel_after_a_write", Table,
        [
            AWrite(),
            new Sql("SELECT SLEEP(3) FROM {t} WHERE id = 1", Exec.Scalar) { Interrupt = Interrupt.CancelMethod },
            new Sql("SELECT SLEEP(3) FROM {t} WHERE id = 1", Exec.Scalar) { Interrupt = Interrupt.Token },
            Read("SELECT COUNT(*) FROM {t} WHERE id <= 3", Exec.Scalar),
        ])
        {
            Kept =
            [
                // Lagged: the cancel arrives while the read still waits for the session's GTID in front of the statement.
                new(2, "a Cancel() that arrives while the read waits for the session's GTID interrupts the wait, then the statement behind it: how each server reports the two interruptions differs from one interrupted statement",
                    (_, configuration) => configuration == DifferentialConfiguration.Lagged) { Intermittent = true },
                new(3, "as step 2, with a CancellationToken (MySQL reports the interrupted wait as an error, so MySqlConnector throws OperationCanceledException where the interrupted SLEEP returns 1)",
                    (_, configuration) => configuration == DifferentialConfiguration.Lagged) { Intermittent = true },
            ],
        },

        new("cancel_a_plain_read", Table,
        [
            new Sql("SELECT SLEEP(3) FROM {t} WHERE id = 1") { Interrupt = Interrupt.CancelMethod, Async = true },
            Read("SELECT COUNT(*) FROM {t}", Exec.Scalar),
        ]),

        new("command_timeout_after_a_write", Table,
        [
            AWrite(),
            new Sql("SELECT SLEEP(3) FROM {t} WHERE id = 1", Exec.Scalar) { Timeout = 1 },
            Read("SELECT COUNT(*) FROM {t} WHERE id <= 3", Exec.Scalar),
        ])
        {
            Kept =
            [
                new(2, "MariaDB: a read that waits for the session's GTID runs behind the wait in one MySqlBatch, and MySqlConnector reports a batch command killed by its timeout as 1317 QueryInterrupted, not as CommandTimeoutExpired",
                    (flavor, configuration) => flavor == TopologyConfig.MariaDb
                        && configuration is DifferentialConfiguration.ReadYourWritesSession or DifferentialConfiguration.ReadYourWritesNoSession),
            ],
        },

        new("reader_over_dml_after_a_write", Table,
        [
            AWrite(),
            new Sql("DELETE FROM {t} WHERE id = 3"),
            new Sql("UPDATE {t} SET n = n + 1 WHERE id <= 2") { Async = true },
            new Sql("INSERT INTO {t} (id, tag) VALUES (60, 'r60')", Exec.ReaderSingleResult),
        ]),

        new("stored_procedure_output_after_a_write", [.. Table, "CREATE PROCEDURE {t}_q(IN x INT, OUT y INT) SET y = x * 2"],
        [
            AWrite(),
            new Sql("{t}_q", Exec.NonQuery)
            {
                CommandType = CommandType.StoredProcedure,
                Parameters = [new Param("@x", 21), new Param("@y", null, ParameterDirection.Output, MySqlDbType.Int32)],
            },
            new Sql("{t}_q", Exec.NonQuery)
            {
                Async = true,
                CommandType = CommandType.StoredProcedure,
                Parameters = [new Param("@x", 5), new Param("@y", null, ParameterDirection.Output, MySqlDbType.Int32)],
            },
        ]),

        new("stored_procedure_output_without_a_write", [.. Table, "CREATE PROCEDURE {t}_q(IN x INT, OUT y INT) SET y = x * 2"],
        [
            new Sql("{t}_q", Exec.Scalar)
            {
                CommandType = CommandType.StoredProcedure,
                Parameters = [new Param("@x", 4), new Param("@y", null, ParameterDirection.Output, MySqlDbType.Int32)],
            },
        ]),

        new("versioned_comment_write", Table,
        [
            AWrite(),
            new Sql("/*!40000 ALTER TABLE {t} DISABLE KEYS */", Exec.NonQuery),
            new Sql("/*!40000 ALTER TABLE {t} ENABLE KEYS */", Exec.NonQuery) { Async = true },
            new Sql("/*!40101 INSERT INTO {t} (id, tag) VALUES (70, 'v70') */", Exec.NonQuery),
            FreshRead("SELECT COUNT(*) FROM {t}", Exec.Scalar),
        ]),

        new("function_that_writes_with_read_from_primary_hint", [.. Table, Script.AsAdmin + "CREATE FUNCTION {t}_f(p_tag VARCHAR(20)) RETURNS INT DETERMINISTIC MODIFIES SQL DATA SQL SECURITY INVOKER BEGIN INSERT INTO {t} (id, tag) VALUES (200, p_tag); RETURN 1; END"],
        [
            new Sql("SELECT {t}_f('h')", Exec.Scalar) { Hint = RoutingHint.ReadFromPrimary },
            FreshRead("SELECT COUNT(*) FROM {t} WHERE tag = 'h'", Exec.Scalar),
            FreshRead("SELECT id, tag FROM {t} ORDER BY id", Exec.Reader, async: true),
        ]),

        new("function_that_writes_without_hint", [.. Table, Script.AsAdmin + "CREATE FUNCTION {t}_f(p_tag VARCHAR(20)) RETURNS INT DETERMINISTIC MODIFIES SQL DATA SQL SECURITY INVOKER BEGIN INSERT INTO {t} (id, tag) VALUES (200, p_tag); RETURN 1; END"],
        [
            new Sql("SELECT {t}_f('h')", Exec.Scalar),
            FreshRead("SELECT COUNT(*) FROM {t} WHERE tag = 'h'", Exec.Scalar),
        ]),

        new("last_insert_id_after_an_insert", AutoIncrementTable,
        [
            new Sql("INSERT INTO {t}_ai (v) VALUES (1)", Exec.NonQuery),
            Read("SELECT LAST_INSERT_ID()", Exec.Scalar),
            new Sql("INSERT INTO {t}_ai (v) VALUES (2), (3)", Exec.NonQuery) { Async = true },
            Read("SELECT LAST_INSERT_ID()", Exec.Scalar, async: true),
            new Sql("INSERT INTO {t}_ai (v) VALUES (4); SELECT LAST_INSERT_ID(), ROW_COUNT()"),
        ]),

        new("prepared_statements", Table,
        [
            new Sql("SELECT tag, n FROM {t} WHERE id = @id") { Prepare = true, Parameters = [new Param("@id", 2)] },
            new Sql("INSERT INTO {t} (id, tag, n) VALUES (@id, @tag, @n)", Exec.NonQuery) { Prepare = true, Parameters = [new Param("@id", 8), new Param("@tag", "p8"), new Param("@n", 80)] },
            new Sql("SELECT tag, n FROM {t} WHERE id = @id") { Prepare = true, Async = true, Parameters = [new Param("@id", 8)], MayBeStale = true },
            new Sql("SELECT COUNT(*) FROM {t} WHERE n > @n", Exec.Scalar) { Prepare = true, Parameters = [new Param("@n", 15)], MayBeStale = true },
            new Sql("PREPARE s1 FROM 'SELECT COUNT(*) FROM {t} WHERE id <= 3'", Exec.NonQuery),
            Read("EXECUTE s1", Exec.Scalar),
            new Sql("DEALLOCATE PREPARE s1", Exec.NonQuery),
        ]),

        new("multi_statement_insert_then_row_count", Table,
        [
            new Sql("INSERT INTO {t} (id, tag) VALUES (10, 'm10'), (11, 'm11'); SELECT ROW_COUNT()"),
            new Sql("UPDATE {t} SET n = 5 WHERE id >= 10; SELECT ROW_COUNT() AS changed", Exec.Scalar) { Async = true },
            new Sql("DELETE FROM {t} WHERE id = 10; SELECT ROW_COUNT(); SELECT COUNT(*) FROM {t}"),
            new Sql("SELECT id FROM {t} WHERE id <= 2 ORDER BY id; SELECT tag FROM {t} WHERE id = 3", Exec.ReaderSingleResult),
            new Sql("SELECT id FROM {t} WHERE id <= 2 ORDER BY id; SELECT tag FROM {t} WHERE id = 3", Exec.ReaderSingleRow) { Async = true },
        ]),

        new("batches", Table,
        [
            new Batch(["INSERT INTO {t} (id, tag) VALUES (20, 'b20')", "SELECT ROW_COUNT()"]),
            new Batch(["UPDATE {t} SET n = n + 1 WHERE id <= 3", "UPDATE {t} SET n = n + 1 WHERE id = 1"], Exec.NonQuery) { Async = true },
            new Batch(["SELECT COUNT(*) FROM {t} WHERE id <= 3", "SELECT tag FROM {t} WHERE id = 1"], Exec.Scalar),
            new Batch(["SELECT id, tag FROM {t} WHERE id <= 3 ORDER BY id", "SELECT SUM(n) FROM {t} WHERE id <= 3"]) { Async = true, MayBeStale = true },
        ]),

        new("read_only_transaction", Table,
        [
            AWrite(),
            new Begin(IsolationLevel.RepeatableRead, ReadOnly: true),
            Read("SELECT COUNT(*) FROM {t} WHERE id <= 3", Exec.Scalar),
            new Sql("INSERT INTO {t} (id, tag) VALUES (30, 'ro')", Exec.NonQuery),
            Read("SELECT COUNT(*) FROM {t} WHERE id <= 3", Exec.Scalar),
            new Commit(),
            new Begin(IsolationLevel.ReadCommitted, ReadOnly: true) { Async = true },
            new Sql("UPDATE {t} SET n = 0", Exec.NonQuery) { Async = true },
            new Rollback { Async = true },
        ])
        {
            Kept =
            [
                new(4, "a read-only transaction that runs on a replica refuses a write with the replica's 1290 (read_only), checked before 1792 (read-only transaction); nothing is written either way", (_, configuration) => configuration == DifferentialConfiguration.Eventual),
                new(8, "as step 4", (_, configuration) => configuration == DifferentialConfiguration.Eventual),
            ],
        },

        new("transactions_commit_and_rollback", Table,
        [
            new Begin(),
            new Sql("INSERT INTO {t} (id, tag) VALUES (40, 't40')", Exec.NonQuery),
            Read("SELECT COUNT(*) FROM {t}", Exec.Scalar),
            Read("SELECT ROW_COUNT()", Exec.Scalar),
            new Rollback(),
            FreshRead("SELECT COUNT(*) FROM {t}", Exec.Scalar),
            new Begin(IsolationLevel.ReadCommitted) { Async = true },
            new Sql("UPDATE {t} SET n = n * 2 WHERE id = 1", Exec.NonQuery) { Async = true },
            new Commit { Async = true },
            FreshRead("SELECT n FROM {t} WHERE id = 1", Exec.Scalar),
        ]),

        new("errors_after_a_write", Table,
        [
            AWrite(),
            new Sql("INSERT INTO {t} (id, tag) VALUES (1, 'again')", Exec.NonQuery),
            Read("SELECT no_such_column FROM {t}", Exec.Scalar),
            Read("SELEC 1", Exec.Reader, async: true),
            Read("SELECT * FROM {t}_missing", Exec.Reader),
            new Sql("UPDATE {t} SET no_such_column = 1", Exec.NonQuery) { Async = true },
            Read("SELECT COUNT(*) FROM {t} WHERE id <= 3", Exec.Scalar),
        ]),

        new("reader_behaviours_after_a_write", Table,
        [
            AWrite(),
            Read("SELECT id, tag, n FROM {t} WHERE id <= 3 ORDER BY id", Exec.ReaderSingleRow),
            Read("SELECT id, tag FROM {t} WHERE id <= 3 ORDER BY id; SELECT COUNT(*) FROM {t} WHERE id <= 3", Exec.ReaderSingleResult, async: true),
            Read("SELECT id, tag FROM {t} WHERE id <= 3 ORDER BY id; SELECT COUNT(*) FROM {t} WHERE id <= 3", Exec.Reader),
            Read("SELECT id FROM {t} WHERE id < 0", Exec.Reader, async: true),
            new Sql("SELECT tag FROM {t} WHERE id = @id", Exec.Scalar) { Parameters = [new Param("@id", 50)], MayBeStale = true },
        ]),
    ];

    /// <summary>Cases left out of the lagged and restored-token configurations: slow, and no session position plays a part in them.</summary>
    private static readonly HashSet<string> NotLagged = ["cancel_a_plain_read", "command_timeout_after_a_write"];

    public static Script Get(string name) => All.Single(s => s.Name == name);

    /// <summary>(case, configuration) rows for the theories.</summary>
    public static TheoryData<string, string> Matrix()
    {
        var data = new TheoryData<string, string>();
        foreach (var script in All)
        {
            foreach (var configuration in Enum.GetValues<DifferentialConfiguration>())
            {
                if (configuration is DifferentialConfiguration.Lagged or DifferentialConfiguration.RestoredToken && NotLagged.Contains(script.Name))
                    continue;
                data.Add(script.Name, configuration.ToString());
            }
        }

        return data;
    }
}
