using System.Text;

namespace ReplicaRouting.IntegrationTests.Classification;

/// <summary>What a generated statement was built to be (for the figures; the server, not this label, is the oracle).</summary>
public enum Shape
{
    Read,
    Write,
    LockingRead,
    SessionState,
    RoutineCall,

    /// <summary>A read, then a construct that hides a payload (a write, a locking or INTO clause) in one reading of the text.</summary>
    Hostile,
}

/// <summary>
/// A seeded grammar of MySQL/MariaDB statements over the test's own tables (<c>classdiff_*</c>): reads of many shapes,
/// writes, locking reads, session-state changers, stored function calls, and hostile texts built as a read + a hiding
/// construct (versioned comments, <c>--</c> and control characters, <c>#</c>, nested comments, backslash quotes,
/// number-dot tokens, multi-statements) + a payload. Statement <c>i</c> of seed <c>s</c> is always the same text, on every
/// machine (own PRNG, no <see cref="Random"/>).
/// </summary>
public sealed class StatementGenerator(bool mariaDb)
{
    private readonly StringBuilder _text = new(256);

    /// <summary>The text of statement <paramref name="index"/> of <paramref name="seed"/>, and what it was built to be.</summary>
    public (string Sql, Shape Shape) Generate(int seed, long index)
    {
        var random = new SplitMix(seed, index);
        _text.Clear();
        var roll = random.Next(100);
        var shape = roll switch
        {
            < 38 => Shape.Read,
            < 48 => Shape.Write,
            < 56 => Shape.LockingRead,
            < 63 => Shape.SessionState,
            < 69 => Shape.RoutineCall,
            _ => Shape.Hostile,
        };
        switch (shape)
        {
            case Shape.Read: Read(ref random); break;
            case Shape.Write: Write(ref random); break;
            case Shape.LockingRead: LockingRead(ref random); break;
            case Shape.SessionState: SessionState(ref random); break;
            case Shape.RoutineCall: RoutineCall(ref random); break;
            default: Hostile(ref random); break;
        }

        return (_text.ToString(), shape);
    }

    // ------------------------------------------------------------------------------------------------ reads

    private void Read(ref SplitMix r)
    {
        switch (r.Next(22))
        {
            case 0 or 1 or 2: Select(ref r); break;
            case 3: Append("SELECT a.id, b.note FROM classdiff_t a ").Pick(ref r, "JOIN", "LEFT JOIN", "INNER JOIN", "STRAIGHT_JOIN").Append(" classdiff_u b ON b.t_id = a.id WHERE a.id ").Pick(ref r, "<", ">", "<=", "=").Number(ref r, 1, 15); break;
            case 4: Append("SELECT id, v FROM classdiff_t WHERE id IN (SELECT t_id FROM classdiff_u WHERE note ").Pick(ref r, "LIKE 'n%'", "IS NOT NULL", "<> ''").Append(") ORDER BY id"); break;
            case 5: Append("SELECT d.c FROM (SELECT COUNT(*) AS c FROM classdiff_t WHERE n > ").Number(ref r, 0, 200).Append(") AS d"); break;
            case 6: Append("WITH c AS (SELECT id, n FROM classdiff_t WHERE id <= ").Number(ref r, 1, 20).Append(") SELECT SUM(n), MAX(id) FROM c"); break;
            case 7: Append("WITH RECURSIVE seq (k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM seq WHERE k < ").Number(ref r, 1, 9).Append(") SELECT k FROM seq"); break;
            case 8: Append("SELECT id, v FROM classdiff_t WHERE id = ").Number(ref r, 1, 20).Pick(ref r, " UNION ", " UNION ALL ", " UNION DISTINCT ").Append("SELECT t_id, note FROM classdiff_u WHERE id = ").Number(ref r, 1, 20); break;
            case 9: Append("(SELECT id FROM classdiff_t ORDER BY id LIMIT ").Number(ref r, 1, 5).Append(")"); break;
            case 10: Append("SELECT ").Expression(ref r, 2, columns: false).Append(", ").Expression(ref r, 2, columns: false).Pick(ref r, "", " FROM DUAL"); break;
            case 11: Show(ref r); break;
            case 12:
                Pick(ref r, "DESCRIBE classdiff_t", "DESC classdiff_u", "EXPLAIN SELECT * FROM classdiff_t WHERE id = 3", "EXPLAIN FORMAT=JSON SELECT id FROM classdiff_u",
                    "EXPLAIN UPDATE classdiff_t SET n = 0 WHERE id = 1", "EXPLAIN DELETE FROM classdiff_w WHERE id = 1", "SHOW COLUMNS FROM classdiff_t", "EXPLAIN classdiff_t");
                break;
            case 13: Append("DO ").Expression(ref r, 2, columns: false); break;
            case 14: Append("SELECT ").Pick(ref r, "DISTINCT ", "SQL_NO_CACHE ", "HIGH_PRIORITY ", "ALL ", "SQL_CALC_FOUND_ROWS ", "STRAIGHT_JOIN ", "/*+ NO_INDEX_MERGE(classdiff_t) */ ").Append("n FROM classdiff_t WHERE id < ").Number(ref r, 1, 20); break;
            case 15: Append("SELECT id, ROW_NUMBER() OVER (ORDER BY n DESC) AS rk FROM classdiff_t WHERE n ").Pick(ref r, "> 10", "BETWEEN 1 AND 100", "IS NOT NULL"); break;
            case 16: Append("SELECT v FROM classdiff_t WHERE v LIKE ").Literal(ref r).Append(" ESCAPE '!'"); break;
            case 17:
                Pick(ref r, "SELECT REPLACE(v, 'a', 'b') FROM classdiff_t", "SELECT INSERT(v, 1, 1, 'x') FROM classdiff_t", "SELECT LEFT(v, 2), IF(n > 5, 'y', 'n') FROM classdiff_t",
                    "SELECT `update`.id FROM classdiff_t AS `update`", "SELECT 1 AS `delete`, 2 AS `for update`", "SELECT JSON_OBJECT('k', v) FROM classdiff_t",
                    "SELECT COUNT(*) FROM classdiff_t GROUP BY n % 3 HAVING COUNT(*) > 0", "SELECT v FROM classdiff_t WHERE v REGEXP '^v[0-9]+$'",
                    "SELECT `we``ird`.id FROM classdiff_t `we``ird`", "SELECT 'INSERT INTO classdiff_w (v) VALUES (1)' AS sql_text");
                break;
            case 18: ValuesOrTable(ref r); break;
            case 19:
                Pick(ref r, "CHECKSUM TABLE classdiff_t", "CHECK TABLE classdiff_u", "HELP 'contents'", "SELECT FOUND_ROWS()", "SELECT ROW_COUNT()", "SELECT LAST_INSERT_ID()",
                    "SELECT @v", "SELECT @@session.sql_mode", "SELECT DATABASE(), USER(), VERSION()", "SELECT CONNECTION_ID()");
                break;
            default: Select(ref r); Comment(ref r); break;
        }
    }

    private void ValuesOrTable(ref SplitMix r)
    {
        if (mariaDb)
            Pick(ref r, "VALUES (1, 'a'), (2, 'b')", "SELECT * FROM (VALUES (1), (2)) AS x", "SELECT NEXT VALUE FOR classdiff_seq", "SELECT PREVIOUS VALUE FOR classdiff_seq");
        else
            Pick(ref r, "VALUES ROW(1, 'a'), ROW(2, 'b')", "TABLE classdiff_t", "TABLE classdiff_u ORDER BY id LIMIT 2", "SELECT * FROM (VALUES ROW(1), ROW(2)) AS x (k)");
    }

    private void Show(ref SplitMix r) =>
        Pick(ref r, "SHOW TABLES", "SHOW TABLES LIKE 'classdiff%'", "SHOW CREATE TABLE classdiff_t", "SHOW VARIABLES LIKE 'read_only'", "SHOW SESSION STATUS LIKE 'Com_select'",
            "SHOW INDEX FROM classdiff_t", "SHOW WARNINGS", "SHOW FULL COLUMNS FROM classdiff_u", "SHOW TABLE STATUS LIKE 'classdiff_t'", "SHOW FUNCTION STATUS LIKE 'classdiff%'",
            "SHOW CREATE FUNCTION classdiff_f_read", "SHOW DATABASES", "SHOW ENGINES", "SHOW COLLATION LIKE 'utf8mb4_bin'");

    /// <summary>A SELECT over the tables with a select list, WHERE, ORDER BY and LIMIT drawn from the grammar, comments between parts.</summary>
    private void Select(ref SplitMix r)
    {
        Append("SELECT ").Expression(ref r, 1);
        if (r.Next(2) == 0)
            Append(", ").Expression(ref r, 1);
        MaybeComment(ref r);
        Append(" FROM classdiff_t");
        if (r.Next(3) > 0)
        {
            Append(" WHERE ");
            MaybeComment(ref r);
            Condition(ref r);
        }

        if (r.Next(3) == 0)
            Append(" ORDER BY ").Pick(ref r, "id", "n DESC", "v, id");
        if (r.Next(3) == 0)
            Append(" LIMIT ").Number(ref r, 1, 10);
    }

    private void Condition(ref SplitMix r)
    {
        switch (r.Next(7))
        {
            case 0: Append("id = ").Number(ref r, 1, 20); break;
            case 1: Append("v = ").Literal(ref r); break;
            case 2: Append("n BETWEEN ").Number(ref r, 0, 50).Append(" AND ").Number(ref r, 50, 300); break;
            case 3: Append("id IN (").Number(ref r, 1, 9).Append(", ").Number(ref r, 10, 20).Append(")"); break;
            case 4: Append("n > (SELECT MIN(t_id) FROM classdiff_u)"); break;
            case 5: Append("EXISTS (SELECT 1 FROM classdiff_u u WHERE u.t_id = classdiff_t.id)"); break;
            default: Append("v <> ").Literal(ref r).Append(" AND n >= ").NumberLiteral(ref r); break;
        }
    }

    /// <summary>An expression; <paramref name="columns"/>: whether it may name the columns of classdiff_t (a FROM follows).</summary>
    private StatementGenerator Expression(ref SplitMix r, int depth, bool columns = true)
    {
        switch (depth <= 0 ? r.Next(4) : r.Next(12))
        {
            case 0: NumberLiteral(ref r); break;
            case 1: Literal(ref r); break;
            case 2 when columns: Pick(ref r, "id", "v", "n", "classdiff_t.id", "`n`"); break;
            case 2: Pick(ref r, "@v", "@@version", "'c'"); break;
            case 3: Pick(ref r, "NOW()", "CURRENT_DATE", "PI()", "UUID()", "RAND(1)", "CONNECTION_ID()", "@@version", "@v", "NULL", "TRUE"); break;
            case 4: Append("CONCAT(").Expression(ref r, depth - 1, columns).Append(", ").Literal(ref r).Append(")"); break;
            case 5: Append("COALESCE(").Expression(ref r, depth - 1, columns).Append(", 0)"); break;
            case 6: Append("(").Expression(ref r, depth - 1, columns).Append(" + ").NumberLiteral(ref r).Append(")"); break;
            case 7: Append("CASE WHEN ").Expression(ref r, depth - 1, columns).Append(" THEN 'y' ELSE 'n' END"); break;
            case 8: Append("(SELECT MAX(t_id) FROM classdiff_u)"); break;
            case 9: Append("UPPER(").Literal(ref r).Append(")"); break;
            case 10: Append("LENGTH(").Expression(ref r, depth - 1, columns).Append(")"); break;
            default: Append("classdiff_f_read()"); break;
        }

        return this;
    }

    private StatementGenerator NumberLiteral(ref SplitMix r) =>
        Pick(ref r, "1", "42", "-3", "1.5", ".5", "1.", "1e3", "1.e5", "1.5e-2", "0x1F", "0b101", "X'4A'", "b'01'", "007", "18446744073709551616");

    /// <summary>String literals with everything that confuses a lexer: doubled and escaped quotes, backslashes, comment and statement text inside.</summary>
    private StatementGenerator Literal(ref SplitMix r) =>
        Pick(ref r, "'abc'", "'it''s'", @"'a\'b'", @"'back\\slash'", "'semi;colon'", "'-- not a comment'", "'# not a comment'", "'/* not a comment */'",
            "'x */ y'", "\"dq\"", "\"d\"\"q\"", "\"it's\"", "'FOR UPDATE'", "'INSERT INTO classdiff_w (v) VALUES (1)'", @"'\n\t\0\Z'", "_utf8mb4'x'", "N'nat'",
            "'ünï'", "'a' 'b'", @"'\%\_'", "''", @"'\\'", "'/*!50000 INSERT */'", "'\\\"'", "X''");

    private StatementGenerator Number(ref SplitMix r, int min, int max)
    {
        _text.Append(min + r.Next(max - min + 1));
        return this;
    }

    private void MaybeComment(ref SplitMix r)
    {
        if (r.Next(4) == 0)
            Comment(ref r);
    }

    /// <summary>A comment of every kind the servers know, some holding statement text, then a space or a newline.</summary>
    private void Comment(ref SplitMix r) =>
        Pick(ref r, " /* c */ ", " /**/ ", " /*+ hint */ ", " -- c\n", " --\tc\n", " #c\n", " # ; DELETE FROM classdiff_t\n", " /* ; DELETE FROM classdiff_t */ ",
            " -- ; UPDATE classdiff_t SET n = 0\n", " /*!50000 */ ", " /*M!100000 */ ", " /* ' */ ", " /* \" */ ", " -- '\n", " /* multi\nline */ ", " /*!*/ ");

    // ------------------------------------------------------------------------------------------------ writes and other primary work

    private void Write(ref SplitMix r)
    {
        switch (r.Next(18))
        {
            case 0: Append("INSERT INTO classdiff_w (v) VALUES (").Literal(ref r).Append(")"); break;
            case 1: Append("INSERT INTO classdiff_w (v) SELECT v FROM classdiff_t WHERE id = ").Number(ref r, 1, 20); break;
            case 2: Append("INSERT IGNORE INTO classdiff_t (id, v, n) VALUES (").Number(ref r, 1, 30).Append(", 'x', 1)"); break;
            case 3: Append("INSERT INTO classdiff_t (id, v, n) VALUES (").Number(ref r, 1, 30).Append(", 'x', 1) ON DUPLICATE KEY UPDATE n = n + 1"); break;
            case 4: Append("REPLACE INTO classdiff_w (id, v) VALUES (").Number(ref r, 1, 9).Append(", 'r')"); break;
            case 5: Append("UPDATE classdiff_t SET n = n + 1 WHERE id = ").Number(ref r, 1, 20); break;
            case 6: Append("UPDATE classdiff_t t JOIN classdiff_u u ON u.t_id = t.id SET t.n = t.n + 1 WHERE u.id = ").Number(ref r, 1, 20); break;
            case 7: Append("DELETE FROM classdiff_w WHERE id = ").Number(ref r, 1, 20); break;
            case 8: Append("DELETE w FROM classdiff_w w JOIN classdiff_t t ON t.id = w.id WHERE t.n < 0"); break;
            case 9: Append("INSERT INTO classdiff_w SET v = ").Literal(ref r); break;
            case 10:
                Pick(ref r, "CREATE TABLE IF NOT EXISTS classdiff_x (id INT)", "ALTER TABLE classdiff_w COMMENT 'x'", "DROP TABLE IF EXISTS classdiff_none", "TRUNCATE TABLE classdiff_w",
                    "CREATE INDEX ix_v ON classdiff_w (v)", "RENAME TABLE classdiff_none TO classdiff_none2", "CREATE OR REPLACE VIEW classdiff_v AS SELECT 1 AS k", "DROP VIEW IF EXISTS classdiff_none_v");
                break;
            case 11:
                Append(mariaDb ? "DELETE FROM classdiff_w WHERE id = 1 RETURNING id" : "WITH c AS (SELECT 1 AS k) UPDATE classdiff_t SET n = n + 1 WHERE id IN (SELECT k FROM c)");
                break;
            case 12: Append(mariaDb ? "INSERT INTO classdiff_w (v) VALUES ('r') RETURNING id" : "TABLE classdiff_t INTO @v"); break;
            case 13: Append("UPDATE classdiff_t SET v = ").Literal(ref r).Append(" WHERE id = ").Number(ref r, 1, 20).Append(" LIMIT 1"); break;
            case 14: Append("DELETE FROM classdiff_w ORDER BY id LIMIT 1"); break;
            case 15: Append("REPLACE classdiff_w (v) SELECT note FROM classdiff_u WHERE id = ").Number(ref r, 1, 20); break;
            case 16: Append("INSERT INTO classdiff_w (v) VALUES (").Literal(ref r).Append("), (").Literal(ref r).Append(")"); break;
            default: Append("CALL classdiff_p_ins()"); break;
        }
    }

    private void LockingRead(ref SplitMix r)
    {
        switch (r.Next(5))
        {
            case 0: Append("SELECT id, n FROM classdiff_t WHERE id = ").Number(ref r, 1, 20).Append(' ').LockClause(ref r); break;
            case 1: Append("SELECT * FROM classdiff_u WHERE t_id < ").Number(ref r, 1, 20).Append(" ORDER BY id ").LockClause(ref r); break;
            case 2: Append("(SELECT id FROM classdiff_t WHERE id < 5 ").LockClause(ref r).Append(")"); break;
            case 3: Append("SELECT a.id FROM classdiff_t a JOIN classdiff_u b ON b.t_id = a.id WHERE a.id < 4 ").LockClause(ref r); break;
            default: Append("SELECT id FROM classdiff_t WHERE id = 2 UNION SELECT id FROM classdiff_u WHERE id = 3 ").LockClause(ref r); break;
        }
    }

    private StatementGenerator LockClause(ref SplitMix r) => mariaDb
        ? Pick(ref r, "FOR UPDATE", "LOCK IN SHARE MODE", "FOR UPDATE NOWAIT", "FOR UPDATE SKIP LOCKED", "LOCK IN SHARE MODE NOWAIT", "FOR UPDATE WAIT 1", "lock in share mode")
        : Pick(ref r, "FOR UPDATE", "LOCK IN SHARE MODE", "FOR SHARE", "FOR UPDATE NOWAIT", "FOR SHARE SKIP LOCKED", "FOR UPDATE OF classdiff_t", "for share");

    private void SessionState(ref SplitMix r)
    {
        switch (r.Next(10))
        {
            case 0: Append("SET @v = ").Expression(ref r, 1, columns: false); break;
            case 1: Append("SET @v := ").NumberLiteral(ref r).Append(", @w = ").Literal(ref r); break;
            case 2: Append("SELECT @v := n FROM classdiff_t WHERE id = ").Number(ref r, 1, 20); break;
            case 3: Append("SELECT n INTO @v FROM classdiff_t WHERE id = ").Number(ref r, 1, 20); break;
            case 4: Append("SELECT n FROM classdiff_t WHERE id = ").Number(ref r, 1, 20).Append(" INTO @v"); break;
            case 5: Append("SELECT ").NumberLiteral(ref r).Append(" INTO @v"); break;
            case 6: Append("SELECT 1, @v := 2, @w := ").Literal(ref r); break;
            case 7: Pick(ref r, "SET NAMES utf8mb4", "SET SESSION sql_mode = 'ANSI_QUOTES'", "SET @@session.sql_mode = 'NO_BACKSLASH_ESCAPES'", "USE rr_test", "SET autocommit = 0", "SET TRANSACTION ISOLATION LEVEL READ COMMITTED"); break;
            case 8: Pick(ref r, "CREATE TEMPORARY TABLE classdiff_tmp (id INT)", "DROP TEMPORARY TABLE IF EXISTS classdiff_tmp", "LOCK TABLES classdiff_t READ", "UNLOCK TABLES", "PREPARE s FROM 'SELECT 1'"); break;
            default: Pick(ref r, "SELECT GET_LOCK('classdiff', 0)", "SELECT RELEASE_LOCK('classdiff')", "DO GET_LOCK('classdiff', 0)", "SELECT LAST_INSERT_ID(5)", "SELECT IS_FREE_LOCK('classdiff')"); break;
        }
    }

    /// <summary>The three stored functions the setup creates: one declared MODIFIES SQL DATA, one that writes but says CONTAINS SQL, one READS SQL DATA.</summary>
    private void RoutineCall(ref SplitMix r)
    {
        var function = r.Next(3) switch { 0 => "classdiff_f_ins()", 1 => "classdiff_f_sneaky()", _ => "classdiff_f_read()" };
        switch (r.Next(6))
        {
            case 0: Append("SELECT ").Append(function); break;
            case 1: Append("DO ").Append(function); break;
            case 2: Append("SELECT rr_test.").Append(function).Append(" AS x"); break;
            case 3: Append("SELECT id FROM classdiff_t WHERE n = ").Append(function); break;
            case 4: Append("SELECT `").Append(function.AsSpan(0, function.Length - 2)).Append("`()"); break;
            default: Append("SELECT COALESCE(").Append(function).Append(", 0) + 1 FROM DUAL"); break;
        }
    }

    // ------------------------------------------------------------------------------------------------ hostile texts

    /// <summary>A read, a construct the server and a lexer may read two ways, and a payload only one reading executes.</summary>
    private void Hostile(ref SplitMix r)
    {
        var clause = r.Next(4) == 0;   // a clause glued to the read (FOR UPDATE, INTO @v …) rather than a statement after it
        if (r.Next(9) == 0)
        {
            NumberDot(ref r);
            return;
        }

        if (r.Next(9) == 0)
        {
            BackslashQuote(ref r);
            return;
        }

        if (clause)
            Pick(ref r, "SELECT * FROM classdiff_t WHERE id = 3", "SELECT id FROM classdiff_t WHERE id < 4", "SELECT n FROM classdiff_t", "SELECT 1");
        else
            Pick(ref r, "SELECT 1", "SELECT id, v FROM classdiff_t WHERE id = 3", "SELECT * FROM classdiff_u", "SELECT 'a'", "SHOW TABLES", "SELECT COUNT(*) FROM classdiff_t", "DO 1");

        var quote = r.Next(6) switch { 0 => "\"", 1 => "`", _ => "'" };
        switch (r.Next(10))
        {
            case 0 or 1 or 2:
                // Reading A skips the versioned comment and runs the payload; reading B takes the quote as code and sees a string.
                Append(" /*").Version(ref r).Append(quote).Append(" */").Payload(ref r, clause).Append(' ').Pick(ref r, "#", "-- ", "--\t", "#", "/*").Append(quote).Append(" */");
                break;
            case 3:
                // Reading B runs the comment's content, payload included.
                Append(" /*").Version(ref r).Payload(ref r, clause).Append(" */");
                break;
            case 4:
                // A string holding */ inside a versioned comment: the comment ends there only for a reader that does not run it.
                Append(" /*").Version(ref r).Append(quote).Append("*/").Append(quote).Append(" */").Payload(ref r, clause).Append(" -- ").Append(quote);
                break;
            case 5 or 6:
                // -- is a comment only before whitespace or a control character.
                Append(" --").DashFollower(ref r).Append(quote).Append('\n').Payload(ref r, clause).Append(" -- ").Append(quote);
                break;
            case 7:
                Append(" #").Append(quote).Append('\n').Payload(ref r, clause).Append(" -- ").Append(quote);
                break;
            case 8:
                // Comments do not nest: the payload follows the first */.
                Append(r.Next(2) == 0 ? " /* /* */" : " /*").Version(ref r, always: false).Append(" /* x */").Payload(ref r, clause).Append(" -- */");
                break;
            default:
                // Plainly several statements (or a clause), with spacing and empty statements around the separator.
                Pick(ref r, "", "\n", " ;", ";", " -- c\n").Payload(ref r, clause);
                break;
        }
    }

    /// <summary>The version part of a versioned comment (after <c>/*</c>), with what follows it: MySQL's <c>!NNNNN</c>, MariaDB's <c>M!NNNNNN</c>.</summary>
    private StatementGenerator Version(ref SplitMix r, bool always = true)
    {
        if (!always && r.Next(2) == 0)
            return this;
        Pick(ref r, "!", "!0", "!1", "!32302", "!40101", "!50700", "!50799", "!80000", "!80035", "!90000", "!90704", "!90799", "!99999", "!100000", "!100500", "!101100",
            "!101119", "!101199", "!110000", "!999999", "!5070", "!507", "!1234567", "M!", "M!0", "M!50700", "M!99999", "M!100000", "M!101100", "M!101199", "M!999999", "M!5070");
        return Pick(ref r, " ", " ", "", "\t", "\n");
    }

    /// <summary>What follows <c>--</c>: every control character (a comment to the server), a space, or a printable character (not a comment).</summary>
    private StatementGenerator DashFollower(ref SplitMix r)
    {
        var roll = r.Next(48);
        if (roll < 32)
            _text.Append((char)(roll == 0 ? 0x7F : roll));   // 0x01 … 0x1F, 0x7F
        else
            Pick(ref r, " ", "-", "1", "x", "'", "+", "!", "\u00A0", "\u3000", "/*", "#", "@", "(", "\\", ".", "\u0085");
        return this;
    }

    /// <summary>A payload: a statement after <c>;</c>, or a clause that changes what the read before it does.</summary>
    private StatementGenerator Payload(ref SplitMix r, bool clause)
    {
        if (clause)
            return Pick(ref r, " FOR UPDATE", " LOCK IN SHARE MODE", mariaDb ? " FOR UPDATE NOWAIT" : " FOR SHARE", " INTO @v", ", @v := 1", " FOR UPDATE SKIP LOCKED");

        Append("; ");
        switch (r.Next(6))
        {
            case 0 or 1: Write(ref r); break;
            case 2: Pick(ref r, "SET @v = 1", "SELECT 1 INTO @v", "SELECT @v := 2"); break;
            case 3: Pick(ref r, "SELECT classdiff_f_ins()", "DO classdiff_f_sneaky()"); break;
            case 4: LockingRead(ref r); break;
            default: Pick(ref r, "INSERT INTO classdiff_w (v) VALUES ('h')", "UPDATE classdiff_t SET n = n + 1 WHERE id = 1", "DELETE FROM classdiff_w"); break;
        }

        return this;
    }

    /// <summary>A number glued to a keyword by a dot or an exponent: <c>1.FOR UPDATE</c>, <c>1.INTO @v</c>, <c>1.e5</c>, <c>0x1F</c>.</summary>
    private void NumberDot(ref SplitMix r)
    {
        Pick(ref r, "SELECT * FROM classdiff_t WHERE id = ", "SELECT id FROM classdiff_t WHERE n > ", "SELECT ", "SELECT id FROM classdiff_t LIMIT ");
        Pick(ref r, "1.", "1", "3.", "1.e5", "1e5", "1.5", ".5", "0x1F", "0x1", "1.5e", "1e", "0b1", "1..", "1.e", "1.5.", "2e+", "0.");
        Pick(ref r, "FOR UPDATE", "INTO @v", "LOCK IN SHARE MODE", mariaDb ? "FOR UPDATE NOWAIT" : "FOR SHARE", " FOR UPDATE", "FROM classdiff_t FOR UPDATE", "e5 INTO @v",
            ";DELETE FROM classdiff_w", "UNION SELECT classdiff_f_ins()", "", "INTO @v FROM classdiff_t");
    }

    /// <summary>A literal that ends at <c>\'</c> only without backslash escapes, or at <c>\\'</c> only with them, then a payload.</summary>
    private void BackslashQuote(ref SplitMix r)
    {
        var quote = r.Next(3) switch { 0 => "\"", 1 => "`", _ => "'" };
        Append("SELECT ").Append(quote).Append('a').Pick(ref r, @"\", @"\\", @"\\\", "").Append(quote).Payload(ref r, clause: r.Next(4) == 0).Append(" -- ").Append(quote);
    }

    // ------------------------------------------------------------------------------------------------ text helpers

    private StatementGenerator Append(string text)
    {
        _text.Append(text);
        return this;
    }

    private StatementGenerator Append(char c)
    {
        _text.Append(c);
        return this;
    }

    private StatementGenerator Append(ReadOnlySpan<char> text)
    {
        _text.Append(text);
        return this;
    }

    private StatementGenerator Pick(ref SplitMix r, params ReadOnlySpan<string> choices)
    {
        _text.Append(choices[r.Next(choices.Length)]);
        return this;
    }
}

/// <summary>SplitMix64 seeded by (seed, index): statement <c>index</c> is reproducible on its own, and costs no allocation.</summary>
public struct SplitMix(int seed, long index)
{
    private ulong _state = ((ulong)(uint)seed << 32) ^ (ulong)index * 0x9E3779B97F4A7C15UL ^ 0xD1B54A32D192ED03UL;

    /// <summary>A number in [0, <paramref name="bound"/>).</summary>
    public int Next(int bound)
    {
        _state += 0x9E3779B97F4A7C15UL;
        var z = _state;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (int)(z % (ulong)bound);
    }
}
