using ReplicaRouting.Internal;
using static ReplicaRouting.Internal.StatementKind;

namespace ReplicaRouting.Tests.Internal;

public class SqlClassifierTests
{
    private const SessionEffects NoFx = SessionEffects.None;
    private const SessionEffects Pin = SessionEffects.PinsToPrimary;
    private const SessionEffects RoTx = SessionEffects.BeginsReadOnlyTransaction;
    private const SessionEffects Ends = SessionEffects.EndsTransaction;
    private const SessionEffects Prev = SessionEffects.ReadsPreviousStatement;
    private const SqlHint NoHint = SqlHint.None;
    private const SqlHint Hint = SqlHint.ReadFromPrimary;

    // The kinds and effects are internal, so the theory takes them as object (a public test cannot name them).
    // sql → kind, effects, hint
    public static TheoryData<string, object, object, object> Cases => new()
    {
        // nothing to execute
        { "", Empty, NoFx, NoHint },
        { "   ", Empty, NoFx, NoHint },
        { "\n\t  \r\n", Empty, NoFx, NoHint },
        { "-- only a comment", Empty, NoFx, NoHint },
        { "/* only a comment */", Empty, NoFx, NoHint },
        { "# hash comment", Empty, NoFx, NoHint },
        { ";", Empty, NoFx, NoHint },
        { " ; ; ;", Empty, NoFx, NoHint },
        { "/* a */ -- b\n # c\n", Empty, NoFx, NoHint },
        { "/*! */", Empty, NoFx, NoHint },

        // whitespace, case, comments in every position and form
        { "SELECT 1", Read, NoFx, NoHint },
        { "select 1", Read, NoFx, NoHint },
        { "SeLeCt * FrOm t", Read, NoFx, NoHint },
        { "  \n\tSELECT 1  \n", Read, NoFx, NoHint },
        { "SELECT\tsql_no_cache\n*\nFROM\r\nt", Read, NoFx, NoHint },
        { "SELECT 1;", Read, NoFx, NoHint },
        { "SELECT 1;;", Read, NoFx, NoHint },
        { ";SELECT 1", Read, NoFx, NoHint },
        { "/* c */ SELECT 1", Read, NoFx, NoHint },
        { "-- c\nSELECT 1", Read, NoFx, NoHint },
        { "# c\nSELECT 1", Read, NoFx, NoHint },
        { "--\nSELECT 1", Read, NoFx, NoHint },
        { "--\tc\nSELECT 1", Read, NoFx, NoHint },
        { "/**/SELECT/**/1", Read, NoFx, NoHint },
        { "SELECT /* c */ 1 /* d */ FROM t", Read, NoFx, NoHint },
        { "SELECT 1 -- trailing", Read, NoFx, NoHint },
        { "SELECT 1 # trailing", Read, NoFx, NoHint },
        { "SELECT 1--", Read, NoFx, NoHint },
        { "SELECT 1--1", Read, NoFx, NoHint },
        { "--SELECT 1", Unknown, NoFx, NoHint },
        { "-- INSERT INTO t VALUES (1);\nSELECT 1", Read, NoFx, NoHint },
        { "/* INSERT INTO t */ SELECT 1", Read, NoFx, NoHint },
        { "SELECT 1 /* ; DELETE FROM t */", Read, NoFx, NoHint },
        { "SELECT 1 # ; DELETE FROM t", Read, NoFx, NoHint },
        { "/*/ SELECT 1 */ SELECT 2", Read, NoFx, NoHint },
        { "SELECT 1 /* unterminated", Unknown, NoFx, NoHint },
        { "/* unterminated", Unknown, NoFx, NoHint },
        { "*/ SELECT 1", Unknown, NoFx, NoHint },

        // string literals and quoted identifiers hide keywords, ';' and ':='
        { "SELECT 'FOR UPDATE'", Read, NoFx, NoHint },
        { "SELECT \"FOR UPDATE\"", Read, NoFx, NoHint },
        { "SELECT 'a; INSERT INTO t VALUES (1)'", Read, NoFx, NoHint },
        { "SELECT 'x := 1'", Read, NoFx, NoHint },
        { "SELECT a FROM t WHERE b = ':='", Read, NoFx, NoHint },
        { "SELECT '/* not a comment'", Read, NoFx, NoHint },
        { "SELECT '-- not a comment' FROM t FOR UPDATE", LockingRead, NoFx, NoHint },
        { "SELECT 'it\\'s'", Read, NoFx, NoHint },
        { "SELECT * FROM t WHERE a = 'it\\'s' AND b = 'x'", Read, NoFx, NoHint },
        { "SELECT 'it''s'", Read, NoFx, NoHint },
        { "SELECT 'it''s; DELETE FROM t'", Read, NoFx, NoHint },
        { "SELECT \"say \\\"hi\\\"\"", Read, NoFx, NoHint },
        { "SELECT \"say \"\"hi\"\"\"", Read, NoFx, NoHint },
        { "SELECT 'a\\\\'", Read, NoFx, NoHint },
        { "SELECT 'a\\\\', 'b'", Read, NoFx, NoHint },
        { "SELECT N'x', _utf8mb4'y', X'4D', b'01'", Read, NoFx, NoHint },
        // under NO_BACKSLASH_ESCAPES the literal ends at \' and the rest is code: both readings count
        { "SELECT 'a\\'; INSERT INTO t VALUES (1); -- '", Write, NoFx, NoHint },
        { "SELECT 'it\\'s', 'FOR UPDATE'", Read, NoFx, NoHint },   // that reading ends in an open literal: the server rejects it
        { "SELECT 'it\\'s', 'FOR UPDATE' -- '", LockingRead, NoFx, NoHint },
        { "SELECT 'a\\'; b'", Read, NoFx, NoHint },
        { "SELECT 'C:\\'", Unknown, NoFx, NoHint },
        { "SELECT 'unterminated", Unknown, NoFx, NoHint },
        { "SELECT \"unterminated", Unknown, NoFx, NoHint },
        { "SELECT `unterminated", Unknown, NoFx, NoHint },
        { "SELECT * FROM `update`", Read, NoFx, NoHint },
        { "SELECT `FOR UPDATE` FROM t", Read, NoFx, NoHint },
        { "SELECT a AS `FOR UPDATE` FROM t", Read, NoFx, NoHint },
        { "SELECT `a``b` FROM t", Read, NoFx, NoHint },
        { "SELECT `LAST_INSERT_ID` FROM t", Read, NoFx, NoHint },
        { "SELECT `x` FROM `t` WHERE `select` = 1", Read, NoFx, NoHint },
        { "SELECT t.into FROM t", Read, NoFx, NoHint },
        { "SELECT t.`into` FROM t", Read, NoFx, NoHint },

        // executable comments are code; optimizer hints are comments. The server is unknown here: a versioned comment may
        // be code or a comment (SqlClassifierServerReadingTests has each server's reading), so it goes to the primary.
        { "/*!40101 SET NAMES utf8 */", Unknown, Pin, NoHint },
        { "/*!40101 SET NAMES utf8 */;", Unknown, Pin, NoHint },
        { "/*! SET NAMES utf8 */", SessionState, Pin, NoHint },
        { "/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */;", Unknown, Pin, NoHint },
        { "SELECT /*!STRAIGHT_JOIN*/ a FROM t JOIN u", Read, NoFx, NoHint },
        { "SELECT 1 /*! FOR UPDATE */", LockingRead, NoFx, NoHint },
        { "SELECT 1 /*!50100 FOR UPDATE */", Unknown, NoFx, NoHint },
        { "/*!*/SELECT 1", Read, NoFx, NoHint },
        { "/*!1234 SELECT */ 1", Unknown, NoFx, NoHint },   // not a version: 1234 is code
        { "/*!50100 SELECT */ 1", Unknown, NoFx, NoHint },
        { "/*!50001 CREATE ALGORITHM=UNDEFINED VIEW v AS SELECT 1 */", Unknown, NoFx, NoHint },
        { "/*M! SET NAMES utf8 */", Unknown, Pin, NoHint },
        { "/*M!100100 SELECT 1 */", Unknown, NoFx, NoHint },
        { "SELECT 1 /*M!100301 FOR SHARE */", Unknown, NoFx, NoHint },
        { "SELECT a FROM t WHERE id = 1 /*!50100 LOCK IN SHARE MODE */", Unknown, NoFx, NoHint },
        { "/*!40101 SELECT 1", Unknown, NoFx, NoHint },
        { "SELECT /*+ MAX_EXECUTION_TIME(1000) */ * FROM t", Read, NoFx, NoHint },
        { "SELECT /*+ SET_VAR(sort_buffer_size = 16M) */ name FROM t", Read, NoFx, NoHint },
        { "SELECT /*+ FOR UPDATE */ 1", Read, NoFx, NoHint },
        { "/*+ BKA(t) */ SELECT 1", Read, NoFx, NoHint },
        { "INSERT /*+ SET_VAR(foreign_key_checks=OFF) */ INTO t VALUES (1)", Write, NoFx, NoHint },

        // routing hint: a leading comment of any statement
        { "-- ReplicaRouting:ReadFromPrimary\nSELECT 1", Read, NoFx, Hint },
        { "/* ReplicaRouting:ReadFromPrimary */ SELECT 1", Read, NoFx, Hint },
        { "/*ReplicaRouting:ReadFromPrimary*/SELECT 1", Read, NoFx, Hint },
        { "-- replicarouting:readfromprimary\nSELECT 1", Read, NoFx, Hint },
        { "--   ReplicaRouting:ReadFromPrimary   \r\nSELECT 1", Read, NoFx, Hint },
        { "# ReplicaRouting:ReadFromPrimary\nSELECT 1", Read, NoFx, Hint },
        { "-- tag1\n-- ReplicaRouting:ReadFromPrimary\n\nSELECT `o`.`Id` FROM `Orders` AS `o`", Read, NoFx, Hint },
        { "-- ReplicaRouting:ReadFromPrimary\n-- tag2\n\nSELECT 1", Read, NoFx, Hint },
        { "/* tag */ /* ReplicaRouting:ReadFromPrimary */ SELECT 1", Read, NoFx, Hint },
        { "SELECT 1; -- ReplicaRouting:ReadFromPrimary\nSELECT 2", Read, NoFx, Hint },
        { "SELECT 1; /* ReplicaRouting:ReadFromPrimary */ SELECT 2", Read, NoFx, Hint },
        { "-- ReplicaRouting:ReadFromPrimary\nINSERT INTO t VALUES (1)", Write, NoFx, Hint },
        { "-- ReplicaRouting:ReadFromPrimary\nSELECT 1; UPDATE t SET a = 1", Write, NoFx, Hint },
        { "SELECT 1 /* ReplicaRouting:ReadFromPrimary */; SELECT 2", Read, NoFx, NoHint },
        { "-- ReplicaRouting:ReadFromPrimary", Empty, NoFx, Hint },
        { "-- ReplicaRouting:Something\nSELECT 1", Read, NoFx, NoHint },
        { "-- ReplicaRouting:ReadFromPrimary please\nSELECT 1", Read, NoFx, NoHint },
        { "SELECT 1 -- ReplicaRouting:ReadFromPrimary", Read, NoFx, NoHint },
        { "SELECT /* ReplicaRouting:ReadFromPrimary */ 1", Read, NoFx, NoHint },
        { "SELECT '-- ReplicaRouting:ReadFromPrimary'", Read, NoFx, NoHint },
        { "/*+ ReplicaRouting:ReadFromPrimary */ SELECT 1", Read, NoFx, NoHint },
        { "--ReplicaRouting:ReadFromPrimary\nSELECT 1", Unknown, NoFx, NoHint },

        // set operations, parenthesised queries, TABLE, VALUES
        { "SELECT a FROM t UNION SELECT a FROM u", Read, NoFx, NoHint },
        { "SELECT a FROM t UNION ALL SELECT a FROM u ORDER BY a", Read, NoFx, NoHint },
        { "SELECT a FROM t INTERSECT SELECT a FROM u", Read, NoFx, NoHint },
        { "SELECT a FROM t EXCEPT SELECT a FROM u", Read, NoFx, NoHint },
        { "(SELECT 1)", Read, NoFx, NoHint },
        { "((SELECT 1) UNION (SELECT 2))", Read, NoFx, NoHint },
        { "( ( SELECT a FROM t ) ) ORDER BY a", Read, NoFx, NoHint },
        { "(SELECT a FROM t) UNION ALL (SELECT a FROM u) ORDER BY a LIMIT 10", Read, NoFx, NoHint },
        { "(WITH c AS (SELECT 1) SELECT * FROM c)", Read, NoFx, NoHint },
        { "(SELECT a FROM t FOR UPDATE)", LockingRead, NoFx, NoHint },
        { "(1)", Unknown, NoFx, NoHint },
        { "(INSERT INTO t VALUES (1))", Unknown, NoFx, NoHint },
        { "(", Unknown, NoFx, NoHint },
        { "TABLE t", Read, NoFx, NoHint },
        { "TABLE t ORDER BY a LIMIT 5", Read, NoFx, NoHint },
        { "VALUES ROW(1, 2), ROW(3, 4)", Read, NoFx, NoHint },

        // common table expressions
        { "WITH c AS (SELECT 1) SELECT * FROM c", Read, NoFx, NoHint },
        { "with c as (select 1) select * from c", Read, NoFx, NoHint },
        { "WITH RECURSIVE r (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 10) SELECT n FROM r", Read, NoFx, NoHint },
        { "WITH a AS (SELECT 1), b AS (SELECT 2) SELECT * FROM a, b", Read, NoFx, NoHint },
        { "WITH c (a, b) AS (SELECT 1, 2) SELECT a FROM c", Read, NoFx, NoHint },
        { "WITH `select` AS (SELECT 1) SELECT * FROM `select`", Read, NoFx, NoHint },
        { "WITH c AS (SELECT 1) (SELECT * FROM c)", Read, NoFx, NoHint },
        { "WITH c AS (SELECT id FROM t) SELECT * FROM c FOR UPDATE", LockingRead, NoFx, NoHint },
        { "WITH c AS (SELECT 1) SELECT * FROM c INTO @x", SessionState, Pin, NoHint },
        { "WITH c AS (SELECT LAST_INSERT_ID()) SELECT * FROM c", SideEffectFunction, NoFx, NoHint },
        { "WITH c AS (SELECT id FROM t) UPDATE t JOIN c USING (id) SET t.x = 1", Write, NoFx, NoHint },
        { "WITH c AS (SELECT id FROM t) DELETE FROM t WHERE id IN (SELECT id FROM c)", Write, NoFx, NoHint },
        { "WITH c AS (SELECT 1) INSERT INTO t SELECT * FROM c", Write, NoFx, NoHint },
        { "WITH c AS (SELECT 1)", Unknown, NoFx, NoHint },
        { "WITH", Unknown, NoFx, NoHint },

        // SHOW, DESCRIBE, EXPLAIN
        { "SHOW TABLES", Read, NoFx, NoHint },
        { "show databases", Read, NoFx, NoHint },
        { "SHOW FULL PROCESSLIST", Read, NoFx, NoHint },
        { "SHOW CREATE TABLE t", Read, NoFx, NoHint },
        { "SHOW VARIABLES LIKE 'gtid%'", Read, NoFx, NoHint },
        { "SHOW REPLICA STATUS", Read, NoFx, NoHint },
        { "SHOW WARNINGS", Read, Prev, NoHint },
        { "SHOW ERRORS LIMIT 5", Read, Prev, NoHint },
        { "SHOW COUNT(*) WARNINGS", Read, Prev, NoHint },
        { "SHOW PROFILES", Read, Prev, NoHint },
        { "SHOW", Unknown, NoFx, NoHint },
        { "DESCRIBE t", Read, NoFx, NoHint },
        { "DESC t", Read, NoFx, NoHint },
        { "DESC `my table`", Read, NoFx, NoHint },
        { "DESCRIBE `select`", Read, NoFx, NoHint },
        { "DESCRIBE db.t col", Read, NoFx, NoHint },
        { "EXPLAIN t", Read, NoFx, NoHint },
        { "EXPLAIN SELECT * FROM t", Read, NoFx, NoHint },
        { "EXPLAIN FORMAT=JSON SELECT * FROM t", Read, NoFx, NoHint },
        { "EXPLAIN FORMAT = TREE SELECT 1", Read, NoFx, NoHint },
        { "EXPLAIN ANALYZE SELECT * FROM t", Read, NoFx, NoHint },
        { "EXPLAIN EXTENDED SELECT 1", Read, NoFx, NoHint },
        { "EXPLAIN PARTITIONS SELECT 1", Read, NoFx, NoHint },
        { "EXPLAIN WITH c AS (SELECT 1) SELECT * FROM c", Read, NoFx, NoHint },
        { "EXPLAIN (SELECT 1)", Read, NoFx, NoHint },
        { "DESCRIBE SELECT 1", Read, NoFx, NoHint },
        { "EXPLAIN FOR CONNECTION 42", Read, NoFx, NoHint },
        { "EXPLAIN SELECT * FROM t FOR UPDATE", LockingRead, NoFx, NoHint },
        { "EXPLAIN UPDATE t SET a = 1", Write, NoFx, NoHint },
        { "EXPLAIN ANALYZE DELETE FROM t", Write, NoFx, NoHint },
        { "EXPLAIN INSERT INTO t VALUES (1)", Write, NoFx, NoHint },
        { "EXPLAIN FORMAT=JSON INTO @plan SELECT 1", SessionState, Pin, NoHint },
        { "EXPLAIN CREATE TABLE t (a INT)", Unknown, NoFx, NoHint },
        { "EXPLAIN EXPLAIN SELECT 1", Unknown, NoFx, NoHint },
        { "EXPLAIN", Unknown, NoFx, NoHint },

        // DO
        { "DO 1", LockingRead, NoFx, NoHint },   // DO (SELECT …) takes shared row locks
        { "DO SLEEP(1)", LockingRead, NoFx, NoHint },
        { "DO (SELECT MAX(id) FROM t)", LockingRead, NoFx, NoHint },
        { "DO GET_LOCK('job', 10)", SideEffectFunction, Pin, NoHint },
        { "DO RELEASE_LOCK('job')", SideEffectFunction, NoFx, NoHint },
        { "DO RELEASE_ALL_LOCKS()", SideEffectFunction, NoFx, NoHint },
        { "DO @x := 1", SessionState, Pin, NoHint },

        // locking reads
        { "SELECT * FROM t WHERE id = 1 FOR UPDATE", LockingRead, NoFx, NoHint },
        { "select * from t for update", LockingRead, NoFx, NoHint },
        { "SELECT * FROM t FOR SHARE", LockingRead, NoFx, NoHint },
        { "SELECT * FROM t LOCK IN SHARE MODE", LockingRead, NoFx, NoHint },
        { "SELECT * FROM t FOR UPDATE NOWAIT", LockingRead, NoFx, NoHint },
        { "SELECT * FROM t FOR UPDATE SKIP LOCKED", LockingRead, NoFx, NoHint },
        { "SELECT * FROM t JOIN u FOR UPDATE OF t", LockingRead, NoFx, NoHint },
        { "SELECT * FROM t FOR SHARE OF t NOWAIT", LockingRead, NoFx, NoHint },
        { "SELECT * FROM t FOR UPDATE WAIT 5", LockingRead, NoFx, NoHint },
        { "SELECT * FROM t\nFOR\n/* c */ UPDATE", LockingRead, NoFx, NoHint },
        { "SELECT * FROM t FOR SYSTEM_TIME AS OF TIMESTAMP '2024-01-01'", Read, NoFx, NoHint },

        // SELECT … INTO
        { "SELECT * FROM t INTO OUTFILE '/tmp/t.csv'", LockingRead, NoFx, NoHint },
        { "SELECT * INTO OUTFILE '/tmp/t.csv' FROM t", LockingRead, NoFx, NoHint },
        { "SELECT a FROM t INTO DUMPFILE '/tmp/a'", LockingRead, NoFx, NoHint },
        { "SELECT COUNT(*) INTO @n FROM t", SessionState, Pin, NoHint },
        { "SELECT a, b FROM t LIMIT 1 INTO @a, @b", SessionState, Pin, NoHint },
        { "SELECT a INTO @`x` FROM t", SessionState, Pin, NoHint },
        { "SELECT a INTO x FROM t", Unknown, NoFx, NoHint },
        { "SELECT a FROM t INTO", Unknown, NoFx, NoHint },

        // functions with side effects or connection-bound results, and their lookalikes
        { "SELECT LAST_INSERT_ID()", SideEffectFunction, NoFx, NoHint },
        { "select last_insert_id()", SideEffectFunction, NoFx, NoHint },
        { "SELECT LAST_INSERT_ID ()", SideEffectFunction, NoFx, NoHint },
        { "SELECT LAST_INSERT_ID(/* */)", SideEffectFunction, NoFx, NoHint },
        { "SELECT * FROM t WHERE id = LAST_INSERT_ID()", SideEffectFunction, NoFx, NoHint },
        { "SELECT FOUND_ROWS()", Read, Prev, NoHint },
        { "SELECT SQL_CALC_FOUND_ROWS * FROM t LIMIT 10", Read, NoFx, NoHint },
        { "SELECT SQL_CALC_FOUND_ROWS * FROM t LIMIT 1; SELECT FOUND_ROWS()", Read, Prev, NoHint },
        { "INSERT INTO t VALUES (1); SELECT ROW_COUNT()", Write, Prev, NoHint },
        { "SET @n = ROW_COUNT()", SessionState, Pin | Prev, NoHint },
        { "GET DIAGNOSTICS @n = NUMBER", SessionState, Pin | Prev, NoHint },
        { "GET CURRENT DIAGNOSTICS CONDITION 1 @e = MYSQL_ERRNO", SessionState, Pin | Prev, NoHint },
        { "get stacked diagnostics @n = NUMBER", SessionState, Pin | Prev, NoHint },
        { "GET LOST", Unknown, NoFx, NoHint },
        { "SELECT ROW_COUNT()", Read, Prev, NoHint },
        { "SELECT GET_LOCK('a', 10)", SideEffectFunction, Pin, NoHint },
        { "SELECT RELEASE_LOCK('a')", SideEffectFunction, NoFx, NoHint },
        { "SELECT IS_USED_LOCK('a'), IS_FREE_LOCK('b')", SideEffectFunction, NoFx, NoHint },
        { "SELECT NEXTVAL(s)", SideEffectFunction, NoFx, NoHint },
        { "SELECT nextval(db.s)", SideEffectFunction, NoFx, NoHint },
        { "SELECT LASTVAL(s)", SideEffectFunction, NoFx, NoHint },
        { "SELECT SETVAL(s, 100)", SideEffectFunction, NoFx, NoHint },
        { "SELECT NEXT VALUE FOR s", SideEffectFunction, NoFx, NoHint },
        { "SELECT PREVIOUS VALUE FOR s", SideEffectFunction, NoFx, NoHint },
        { "SELECT CONNECTION_ID()", SideEffectFunction, NoFx, NoHint },
        { "SELECT MASTER_POS_WAIT('bin.000001', 4)", SideEffectFunction, NoFx, NoHint },
        { "SELECT SOURCE_POS_WAIT('bin.000001', 4, 1)", SideEffectFunction, NoFx, NoHint },
        { "SELECT MASTER_GTID_WAIT('0-1-100', 1)", SideEffectFunction, NoFx, NoHint },
        { "SELECT WAIT_FOR_EXECUTED_GTID_SET('3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5', 1)", SideEffectFunction, NoFx, NoHint },
        { "SELECT WAIT_UNTIL_SQL_THREAD_AFTER_GTIDS('3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5', 1)", SideEffectFunction, NoFx, NoHint },
        { "SELECT SLEEP(1)", Read, NoFx, NoHint },
        { "SELECT COUNT(*), MAX(id), NOW(), UUID() FROM t", Read, NoFx, NoHint },
        { "SELECT LAST_VALUE(a) OVER (ORDER BY b) FROM t", Read, NoFx, NoHint },
        { "SELECT last_insert_id_col FROM t", Read, NoFx, NoHint },
        { "SELECT t.last_insert_id FROM t", Read, NoFx, NoHint },
        { "SELECT get_lock_count FROM stats", Read, NoFx, NoHint },
        { "SELECT row_count, found_rows FROM stats", Read, NoFx, NoHint },
        { "SELECT nextval_col FROM t", Read, NoFx, NoHint },
        { "SELECT next, value FROM t", Read, NoFx, NoHint },
        { "SELECT 'LAST_INSERT_ID()'", Read, NoFx, NoHint },
        { "SELECT /* LAST_INSERT_ID() */ 1", Read, NoFx, NoHint },

        // system and user variables
        { "SELECT @@last_insert_id", SideEffectFunction, NoFx, NoHint },
        { "SELECT @@identity", SideEffectFunction, NoFx, NoHint },
        { "SELECT @@last_gtid", SideEffectFunction, NoFx, NoHint },
        { "SELECT @@warning_count, @@error_count", Read, Prev, NoHint },
        { "SELECT @@session.last_insert_id", SideEffectFunction, NoFx, NoHint },
        { "SELECT @@SESSION.WARNING_COUNT", Read, Prev, NoHint },
        { "SELECT @@in_transaction", SideEffectFunction, NoFx, NoHint },
        { "SELECT @@insert_id, @@pseudo_thread_id", SideEffectFunction, NoFx, NoHint },
        { "SELECT @@version", Read, NoFx, NoHint },
        { "SELECT @@server_id, @@read_only", Read, NoFx, NoHint },
        { "SELECT @@global.gtid_executed", Read, NoFx, NoHint },
        { "SELECT @@session.sql_mode", Read, NoFx, NoHint },
        { "SELECT @@version_comment LIMIT 1", Read, NoFx, NoHint },
        { "SELECT @x", Read, NoFx, NoHint },
        { "SELECT @last_insert_id", Read, NoFx, NoHint },
        { "SELECT a FROM t WHERE b = @x", Read, NoFx, NoHint },
        { "SELECT @@", Unknown, NoFx, NoHint },

        // assignments
        { "SELECT @r := @r + 1 AS rn FROM t", SessionState, Pin, NoHint },
        { "SELECT @r:=0", SessionState, Pin, NoHint },
        { "SELECT a FROM t WHERE (@n := @n + 1) > 0", SessionState, Pin, NoHint },

        // SET
        { "SET @x = 1", SessionState, Pin, NoHint },
        { "set @a = 1, @b = 2", SessionState, Pin, NoHint },
        { "SET @x := 1", SessionState, Pin, NoHint },
        { "SET NAMES utf8mb4", SessionState, Pin, NoHint },
        { "SET NAMES utf8mb4 COLLATE utf8mb4_unicode_ci", SessionState, Pin, NoHint },
        { "SET CHARACTER SET utf8", SessionState, Pin, NoHint },
        { "SET autocommit = 0", SessionState, Pin, NoHint },
        { "SET SESSION sql_mode = 'ANSI'", SessionState, Pin, NoHint },
        { "SET LOCAL sql_mode = 'ANSI'", SessionState, Pin, NoHint },
        { "SET @@session.time_zone = '+00:00'", SessionState, Pin, NoHint },
        { "SET @@time_zone = '+00:00'", SessionState, Pin, NoHint },
        { "SET TRANSACTION ISOLATION LEVEL READ COMMITTED", SessionState, Pin, NoHint },
        { "SET SESSION TRANSACTION READ ONLY", SessionState, Pin, NoHint },
        { "SET ROLE ALL", SessionState, Pin, NoHint },
        { "SET GLOBAL max_connections = 500", Write, NoFx, NoHint },
        { "SET @@global.max_connections = 500", Write, NoFx, NoHint },
        { "SET PERSIST max_connections = 500", Write, NoFx, NoHint },
        { "SET PERSIST_ONLY innodb_log_file_size = 1", Write, NoFx, NoHint },
        { "SET GLOBAL TRANSACTION ISOLATION LEVEL SERIALIZABLE", Write, NoFx, NoHint },
        { "SET GLOBAL a = 1, b = 2", Write, NoFx, NoHint },
        { "SET GLOBAL a = (SELECT 1), b = CONCAT('x', 'y')", Write, NoFx, NoHint },
        { "SET GLOBAL a = 1, SESSION b = 2", SessionState, Pin, NoHint },
        { "SET GLOBAL a = 1, @x = 2", SessionState, Pin, NoHint },
        { "SET STATEMENT max_statement_time = 10 FOR SELECT * FROM t", Read, NoFx, NoHint },
        { "SET STATEMENT sql_mode = '', foreign_key_checks = 0 FOR INSERT INTO t VALUES (1)", Write, NoFx, NoHint },
        { "SET STATEMENT a = 1", Unknown, NoFx, NoHint },
        { "SET", Unknown, NoFx, NoHint },

        // other session state
        { "CREATE TEMPORARY TABLE tmp (id INT)", SessionState, Pin, NoHint },
        { "create temporary table tmp select * from t", SessionState, Pin, NoHint },
        { "CREATE OR REPLACE TEMPORARY TABLE tmp (id INT)", SessionState, Pin, NoHint },
        { "DROP TEMPORARY TABLE tmp", SessionState, Pin, NoHint },
        { "DROP TEMPORARY TABLE IF EXISTS tmp", SessionState, Pin, NoHint },
        { "LOCK TABLES t READ", SessionState, Pin, NoHint },
        { "LOCK TABLE t WRITE, u READ", SessionState, Pin, NoHint },
        { "UNLOCK TABLES", SessionState, Pin, NoHint },
        { "USE shop", SessionState, Pin, NoHint },
        { "USE `shop`", SessionState, Pin, NoHint },
        { "PREPARE s FROM 'SELECT 1'", SessionState, Pin, NoHint },
        { "EXECUTE s USING @a", SessionState, Pin, NoHint },
        { "DEALLOCATE PREPARE s", SessionState, Pin, NoHint },
        { "DROP PREPARE s", SessionState, Pin, NoHint },
        { "HANDLER t OPEN", SessionState, Pin, NoHint },
        { "HANDLER t READ NEXT", SessionState, Pin, NoHint },

        // transaction control
        { "BEGIN", TransactionControl, Pin, NoHint },
        { "BEGIN WORK", TransactionControl, Pin, NoHint },
        { "begin;", TransactionControl, Pin, NoHint },
        { "BEGIN NOT ATOMIC SELECT 1; END", Unknown, NoFx, NoHint },
        { "START TRANSACTION", TransactionControl, Pin, NoHint },
        { "START TRANSACTION WITH CONSISTENT SNAPSHOT", TransactionControl, Pin, NoHint },
        { "START TRANSACTION READ WRITE", TransactionControl, Pin, NoHint },
        { "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ WRITE", TransactionControl, Pin, NoHint },
        { "START TRANSACTION READ ONLY", TransactionControl, RoTx, NoHint },
        { "start transaction read only", TransactionControl, RoTx, NoHint },
        { "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY", TransactionControl, RoTx, NoHint },
        { "START TRANSACTION READ ONLY, WITH CONSISTENT SNAPSHOT", TransactionControl, RoTx, NoHint },
        { "START TRANSACTION READ ONLY, READ WRITE", Unknown, NoFx, NoHint },
        { "START TRANSACTION READ", Unknown, NoFx, NoHint },
        { "START TRANSACTION READ ONLY,", Unknown, NoFx, NoHint },
        { "START TRANSACTION ISOLATION LEVEL SERIALIZABLE", Unknown, NoFx, NoHint },
        { "START", Unknown, NoFx, NoHint },
        { "COMMIT", TransactionControl, Ends, NoHint },
        { "COMMIT WORK", TransactionControl, Ends, NoHint },
        { "commit;", TransactionControl, Ends, NoHint },
        { "COMMIT AND NO CHAIN", TransactionControl, Ends, NoHint },
        { "COMMIT AND CHAIN", TransactionControl, Pin, NoHint },
        { "COMMIT RELEASE", TransactionControl, Ends, NoHint },
        { "COMMIT NO RELEASE", TransactionControl, Ends, NoHint },
        { "COMMIT WORK AND NO CHAIN NO RELEASE", TransactionControl, Ends, NoHint },
        { "COMMIT AND CHAIN RELEASE", Unknown, NoFx, NoHint },
        { "COMMIT foo", Unknown, NoFx, NoHint },
        { "ROLLBACK", TransactionControl, Ends, NoHint },
        { "ROLLBACK WORK", TransactionControl, Ends, NoHint },
        { "ROLLBACK AND CHAIN", TransactionControl, Pin, NoHint },
        { "ROLLBACK TO SAVEPOINT sp1", TransactionControl, NoFx, NoHint },
        { "ROLLBACK TO sp1", TransactionControl, NoFx, NoHint },
        { "ROLLBACK WORK TO SAVEPOINT `sp 1`", TransactionControl, NoFx, NoHint },
        { "ROLLBACK TO", Unknown, NoFx, NoHint },
        { "SAVEPOINT sp1", TransactionControl, NoFx, NoHint },
        { "RELEASE SAVEPOINT sp1", TransactionControl, NoFx, NoHint },
        { "RELEASE sp1", Unknown, NoFx, NoHint },
        { "SAVEPOINT", Unknown, NoFx, NoHint },
        { "XA START 'x'", TransactionControl, Pin, NoHint },
        { "XA COMMIT 'x'", TransactionControl, Pin, NoHint },
        { "XA RECOVER", TransactionControl, Pin, NoHint },

        // writes: data, schema, administration
        { "INSERT INTO t (a) VALUES (1)", Write, NoFx, NoHint },
        { "insert into t values (1)", Write, NoFx, NoHint },
        { "INSERT INTO t SELECT * FROM u", Write, NoFx, NoHint },
        { "INSERT INTO t (last_insert_id) VALUES (1)", Write, NoFx, NoHint },
        { "INSERT INTO t VALUES (1) ON DUPLICATE KEY UPDATE a = VALUES(a)", Write, NoFx, NoHint },
        { "INSERT INTO t VALUES (NEXTVAL(s))", Write, NoFx, NoHint },
        { "INSERT INTO t SELECT GET_LOCK('x', 1)", Write, Pin, NoHint },
        { "UPDATE t SET a = 1 WHERE id = 2", Write, NoFx, NoHint },
        { "UPDATE t SET a = 1 WHERE b = 'SELECT'", Write, NoFx, NoHint },
        { "UPDATE t SET a = (SELECT LAST_INSERT_ID())", Write, NoFx, NoHint },
        { "DELETE FROM t WHERE id = 1", Write, NoFx, NoHint },
        { "REPLACE INTO t VALUES (1)", Write, NoFx, NoHint },
        { "LOAD DATA INFILE '/tmp/x' INTO TABLE t", Write, NoFx, NoHint },
        { "LOAD DATA LOCAL INFILE 'x.csv' INTO TABLE t", Write, NoFx, NoHint },
        { "LOAD XML INFILE 'x.xml' INTO TABLE t", Write, NoFx, NoHint },
        { "CALL p(1, 2)", Write, Pin, NoHint },
        { "CALL p(@tag, @out_id)", Write, Pin, NoHint },
        { "CREATE TABLE t (id INT PRIMARY KEY)", Write, NoFx, NoHint },
        { "CREATE TABLE t2 AS SELECT * FROM t", Write, NoFx, NoHint },
        { "CREATE INDEX i ON t (a)", Write, NoFx, NoHint },
        { "CREATE OR REPLACE VIEW v AS SELECT 1", Write, NoFx, NoHint },
        { "ALTER TABLE t ADD COLUMN b INT", Write, NoFx, NoHint },
        { "DROP TABLE t", Write, NoFx, NoHint },
        { "DROP TABLE IF EXISTS t", Write, NoFx, NoHint },
        { "RENAME TABLE t TO u", Write, NoFx, NoHint },
        { "TRUNCATE TABLE t", Write, NoFx, NoHint },
        { "GRANT SELECT ON db.* TO 'u'@'%'", Write, NoFx, NoHint },
        { "REVOKE SELECT ON db.* FROM 'u'@'%'", Write, NoFx, NoHint },
        { "ANALYZE TABLE t", Write, NoFx, NoHint },
        { "OPTIMIZE TABLE t", Write, NoFx, NoHint },
        { "REPAIR TABLE t", Write, NoFx, NoHint },
        { "CHECK TABLE t", Write, NoFx, NoHint },   // deliberate: administration (FOR UPGRADE may change the table)
        { "FLUSH PRIVILEGES", Write, NoFx, NoHint },
        { "RESET MASTER", Write, NoFx, NoHint },
        { "PURGE BINARY LOGS BEFORE NOW()", Write, NoFx, NoHint },
        { "KILL 42", Write, NoFx, NoHint },
        { "INSTALL PLUGIN p SONAME 'p.so'", Write, NoFx, NoHint },
        { "UNINSTALL PLUGIN p", Write, NoFx, NoHint },
        { "CHANGE MASTER TO MASTER_HOST = 'db1'", Write, NoFx, NoHint },
        { "CHANGE REPLICATION SOURCE TO SOURCE_HOST = 'db1'", Write, NoFx, NoHint },
        { "START SLAVE", Write, NoFx, NoHint },
        { "START REPLICA", Write, NoFx, NoHint },
        { "STOP REPLICA", Write, NoFx, NoHint },
        { "STOP SLAVE IO_THREAD", Write, NoFx, NoHint },
        { "SHUTDOWN", Write, NoFx, NoHint },

        // multi-statement text: strongest kind, all effects, any hint
        { "SELECT 1; SELECT 2", Read, NoFx, NoHint },
        { "SELECT 1;\n-- c\n;SELECT 2;", Read, NoFx, NoHint },
        { "SELECT 'a;b'; SELECT \"c;d\"", Read, NoFx, NoHint },
        { "SELECT 1; INSERT INTO t VALUES (1)", Write, NoFx, NoHint },
        { "INSERT INTO t VALUES (1); SELECT LAST_INSERT_ID()", Write, NoFx, NoHint },
        { "SELECT 1; SELECT 2 FOR UPDATE", LockingRead, NoFx, NoHint },
        { "BEGIN; SELECT * FROM t; COMMIT", TransactionControl, Pin | Ends, NoHint },
        { "START TRANSACTION READ ONLY; SELECT 1; COMMIT;", TransactionControl, RoTx | Ends, NoHint },
        { "SET @x = 1; SELECT @x", SessionState, Pin, NoHint },
        { "SELECT GET_LOCK('a', 1); SELECT RELEASE_LOCK('a')", SideEffectFunction, Pin, NoHint },
        { "COMMIT; SELECT 1", TransactionControl, Ends, NoHint },
        { "SELECT 1; garbage", Unknown, NoFx, NoHint },
        { "SELECT 1; DELIMITER //", Unknown, NoFx, NoHint },

        // identifiers beyond ASCII
        { "SELECT café FROM menü", Read, NoFx, NoHint },
        { "SELECT 名前 FROM 顧客", Read, NoFx, NoHint },
        { "SELECT * FROM `größe` WHERE ñ = 'ü'", Read, NoFx, NoHint },
        { "SELECT $a FROM t_1$", Read, NoFx, NoHint },
        { "SELECTé 1", Unknown, NoFx, NoHint },
        { "ＳＥＬＥＣＴ 1", Unknown, NoFx, NoHint },

        // garbage and statements not understood
        { "DELIMITER //", Unknown, NoFx, NoHint },
        { "garbage", Unknown, NoFx, NoHint },
        { "12345", Unknown, NoFx, NoHint },
        { "'just a string'", Unknown, NoFx, NoHint },
        { ")))", Unknown, NoFx, NoHint },
        { "@x := 1", Unknown, Pin, NoHint },
        { "HELP 'contents'", Read, NoFx, NoHint },
        { "CHECKSUM TABLE t1, t2 EXTENDED", Read, NoFx, NoHint },
        { "CHECKSUM t", Unknown, NoFx, NoHint },
        { "CREATE DEFINER = `a`@`%` FUNCTION f() RETURNS INT RETURN 1", Write, SessionEffects.ChangesRoutines, NoHint },
        { "DROP FUNCTION IF EXISTS f", Write, SessionEffects.ChangesRoutines, NoHint },
        { "ALTER PROCEDURE p COMMENT 'x'", Write, SessionEffects.ChangesRoutines, NoHint },
        { "BINLOG 'AAAA'", Unknown, NoFx, NoHint },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Classifies(string sql, object kind, object effects, object hint)
    {
        var expected = new SqlClassification((StatementKind)kind, (SessionEffects)effects, (SqlHint)hint);

        Assert.Equal(expected, SqlClassifier.Classify(sql));
    }

    [Fact]
    public void Table_covers_at_least_200_distinct_statements()
    {
        var statements = Cases.Select(row => (string)row[0]).ToList();

        Assert.True(statements.Count >= 200, $"only {statements.Count} cases");
        Assert.Equal(statements.Count, statements.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void Control_characters_are_whitespace()
    {
        Assert.Equal(Read, SqlClassifier.Classify("\0\u0001SELECT\u001f1\0").Kind);
    }

    [Fact]
    public void An_EF_style_query_with_tags_is_a_read_with_the_hint()
    {
        var sql = SqlClassifierSamples.EfQueryWithTags;

        Assert.True(sql.Length > 2000);
        Assert.Equal(new SqlClassification(Read, NoFx, Hint), SqlClassifier.Classify(sql));
        Assert.Equal(new SqlClassification(Read, NoFx, NoHint), SqlClassifier.Classify(SqlClassifierSamples.EfQuery));
    }

    [Fact]
    public void Huge_and_deeply_nested_input_is_handled()
    {
        Assert.Equal(Unknown, SqlClassifier.Classify(new string('(', 1_000_000)).Kind);
        Assert.Equal(Read, SqlClassifier.Classify(new string('(', 100_000) + "SELECT 1" + new string(')', 100_000)).Kind);
        Assert.Equal(Read, SqlClassifier.Classify("SELECT " + string.Concat(Enumerable.Repeat("a, ", 300_000)) + "1").Kind);
        Assert.Equal(Unknown, SqlClassifier.Classify("SELECT '" + new string('x', 1_000_000)).Kind);
        Assert.Equal(Unknown, SqlClassifier.Classify("/*" + new string('*', 1_000_000)).Kind);
        Assert.Equal(Empty, SqlClassifier.Classify(new string(';', 1_000_000)).Kind);
        Assert.Equal(Empty, SqlClassifier.Classify(string.Concat(Enumerable.Repeat("/*! */", 100_000))).Kind);

        // nesting of statements inside statements is bounded
        Assert.Equal(Read, SqlClassifier.Classify(string.Concat(Enumerable.Repeat("SET STATEMENT a = 1 FOR ", 3)) + "SELECT 1").Kind);
        Assert.Equal(Unknown, SqlClassifier.Classify(string.Concat(Enumerable.Repeat("SET STATEMENT a = 1 FOR ", 1000)) + "SELECT 1").Kind);
        Assert.Equal(Read, SqlClassifier.Classify(Nest("(WITH c AS (SELECT 1) ", "SELECT 1", ")", 3)).Kind);
        Assert.Equal(Unknown, SqlClassifier.Classify(Nest("(WITH c AS (SELECT 1) ", "SELECT 1", ")", 1000)).Kind);

        static string Nest(string open, string inner, string close, int depth) =>
            string.Concat(Enumerable.Repeat(open, depth)) + inner + string.Concat(Enumerable.Repeat(close, depth));
    }
}
