using System.Buffers;
using System.Runtime.CompilerServices;

namespace ReplicaRouting.Internal;

/// <summary>
/// Classifies MySQL/MariaDB command text for routing: the statement kind, the session effects and the routing hint.
/// </summary>
/// <remarks>
/// Runs on every command, so it lexes spans in one forward pass: no strings, no regular expressions, no allocation.
/// The body of a long statement is first skimmed with vectorized searches (<see cref="Lexer.TrySkimStatement"/>), and
/// lexed token by token only from where the skim finds something that could matter. It never throws and it is
/// conservative: whatever it does not recognise is <see cref="StatementKind.Unknown"/>, which goes to the primary. The
/// rules are tabulated in docs/routing.md.
/// </remarks>
internal static class SqlClassifier
{
    /// <summary>The shortest rest of a text (after a statement's first token) worth skimming.</summary>
    private const int SkimMinLength = 64;

    /// <summary>How deep statements may nest inside one another (parentheses, WITH, EXPLAIN, SET STATEMENT … FOR).</summary>
    private const int MaxNesting = 8;

    private const string HintText = "REPLICAROUTING:READFROMPRIMARY";

    /// <summary>The staleness hint before its duration: <c>ReplicaRouting:AllowStale=500ms</c>, <c>…=2s</c>.</summary>
    private const string AllowStalePrefix = "REPLICAROUTING:ALLOWSTALE=";

    /// <summary>Classifies a command text knowing nothing of the servers (<see cref="SqlContext.Unknown"/>).</summary>
    public static SqlClassification Classify(ReadOnlySpan<char> sql) => Classify(sql, SqlContext.Unknown, SkimMinLength);

    /// <summary>
    /// Classifies a command text as the servers of <paramref name="context"/> read it; all statements of a
    /// multi-statement text are combined.
    /// </summary>
    public static SqlClassification Classify(ReadOnlySpan<char> sql, SqlContext context) => Classify(sql, context, SkimMinLength);

    /// <summary>
    /// <see cref="Classify(ReadOnlySpan{char}, SqlContext)"/> lexing every token of every statement, without the skim:
    /// the reference the skim is tested against.
    /// </summary>
    internal static SqlClassification ClassifyByFullLexing(ReadOnlySpan<char> sql, SqlContext? context = null) =>
        Classify(sql, context ?? SqlContext.Unknown, int.MaxValue);

    /// <summary><see cref="Classify(ReadOnlySpan{char})"/> with a given skim threshold (for tests).</summary>
    internal static SqlClassification Classify(ReadOnlySpan<char> sql, int skimMinLength) => Classify(sql, SqlContext.Unknown, skimMinLength);

    /// <summary>
    /// <see cref="Classify(ReadOnlySpan{char}, SqlContext)"/>, skimming the body of every statement that has at least
    /// <paramref name="skimMinLength"/> characters of text after its first token (0: every one; for tests).
    /// </summary>
    internal static SqlClassification Classify(ReadOnlySpan<char> sql, SqlContext context, int skimMinLength)
    {
        // Servers of different versions may read a versioned comment differently: the statement may run on any of them,
        // so the stronger verdict of their readings counts. Without a versioned comment they all read it alike.
        var readings = context.Readings;
        var verdict = ClassifyReading(sql, readings.IsEmpty ? default : readings[0], context.Routines, skimMinLength, out var versioned);
        for (var i = 1; versioned && i < readings.Length; i++)
            verdict = verdict.Or(ClassifyReading(sql, readings[i], context.Routines, skimMinLength, out _));

        return verdict.Hint
            ? new SqlClassification(verdict.Kind, verdict.Effects, SqlHint.ReadFromPrimary)   // wins over AllowStale
            : new SqlClassification(verdict.Kind, verdict.Effects, SqlHint.None, verdict.MaxStalenessMs);
    }

    /// <summary>How one server reads a text, in both of its possible quoting modes.</summary>
    private static TextVerdict ClassifyReading(
        ReadOnlySpan<char> sql, ServerReading reading, RoutineCatalog routines, int skimMinLength, out bool versioned)
    {
        var verdict = ClassifyText(sql, reading, routines, backslashEscapes: true, skimMinLength, out var ambiguous, out versioned);
        if (ambiguous)
        {
            // A quote escaped with a backslash ends the literal when the server runs with NO_BACKSLASH_ESCAPES, and what
            // follows is then code. Classify that reading too and keep the stronger verdict, so that a write hidden
            // behind `\'` can never pass for a read.
            verdict = verdict.Or(ClassifyText(sql, reading, routines, backslashEscapes: false, skimMinLength, out _, out _));
        }

        return verdict;
    }

    /// <summary>
    /// Whether the skim jumps over the whole body of the text's first statement, reading backslashes as escapes (for
    /// tests: which texts take the fast path all the way).
    /// </summary>
    internal static bool SkimsFirstStatement(ReadOnlySpan<char> sql)
    {
        var lexer = new Lexer(sql, backslashEscapes: true);
        var first = lexer.Next();
        while (first.Kind == TokenKind.Semicolon)
            first = lexer.Next();
        if (first.Kind == TokenKind.End)
            return false;

        var lookahead = lexer;
        return lexer.TrySkimStatement(first, ClassifyLeading(ref lookahead, first, depth: 0).IsQuery, out var complete) && complete;
    }

    /// <summary>
    /// Whether a stored routine's body may modify data: a writing statement, a side-effect function, a user variable
    /// assigned; adds the routines it calls (schema empty when unqualified) to <paramref name="calls"/>. Not a hot path.
    /// </summary>
    internal static bool RoutineBodyWrites(ReadOnlySpan<char> body, List<(string Schema, string Name)> calls)
    {
        var lexer = new Lexer(body, backslashEscapes: true);
        var writes = false;
        Token previous = Token.Neutral, beforePrevious = Token.Neutral, qualifier = Token.Neutral;
        while (true)
        {
            var token = lexer.Next();
            if (token.Kind == TokenKind.End)
                break;

            switch (token.Kind)
            {
                case TokenKind.Word when token.Keyword == Keyword.Replace:
                    var ahead = lexer;
                    writes |= ahead.Next().Kind != TokenKind.OpenParen;   // REPLACE(str, …) is a string function
                    break;
                case TokenKind.Word:
                    // UPDATE also ends FOR UPDATE: a locking read, which belongs on the primary too.
                    writes |= token.Keyword is Keyword.Insert or Keyword.Update or Keyword.Delete or Keyword.Load
                        or Keyword.Create or Keyword.Drop or Keyword.Alter or Keyword.Rename or Keyword.Truncate
                        or Keyword.Grant or Keyword.Revoke or Keyword.Call or Keyword.Flush or Keyword.Purge
                        or Keyword.Kill or Keyword.Lock or Keyword.Handler;
                    break;
                case TokenKind.Assign:
                    writes = true;   // @v := …
                    break;
                case TokenKind.UserVariable when previous.Keyword is Keyword.Set or Keyword.Into:
                    writes = true;   // SET @v = …, … INTO @v
                    break;
                case TokenKind.Dot:
                    qualifier = previous;
                    break;
                case TokenKind.OpenParen when previous.Kind is TokenKind.Word or TokenKind.Identifier:
                    if (IsSideEffectFunction(previous.Keyword))
                        writes = true;
                    else
                        calls.Add((beforePrevious.Kind == TokenKind.Dot ? NameOf(body, qualifier).ToString() : "", NameOf(body, previous).ToString()));
                    break;
            }

            beforePrevious = previous;
            previous = token;
        }

        return writes;
    }

    /// <summary>A name token's text: a quoted identifier without its backticks.</summary>
    private static ReadOnlySpan<char> NameOf(ReadOnlySpan<char> sql, Token token)
    {
        var text = sql.Slice(token.Start, token.Length);
        return text.Length >= 2 && text[0] == '`' && text[^1] == '`' ? text[1..^1] : text;
    }

    private static TextVerdict ClassifyText(
        ReadOnlySpan<char> sql, ServerReading reading, RoutineCatalog routines, bool backslashEscapes, int skimMinLength,
        out bool backslashQuote, out bool versioned)
    {
        var lexer = new Lexer(sql, backslashEscapes, reading, routines);
        var result = new Verdict(StatementKind.Empty);
        var beforeLast = result;   // the verdict before the last statement read
        while (true)
        {
            var first = lexer.Next();
            if (first.Kind == TokenKind.End)
                break;
            if (first.Kind == TokenKind.Semicolon)
                continue;   // empty statement

            // The leading keyword decides the statement's kind; it may need a few tokens of look-ahead, read from a copy.
            var lookahead = lexer;
            var leading = ClassifyLeading(ref lookahead, first, depth: 0);

            // Below the minimum length, lexing the few tokens left costs less than the skim's searches.
            var statement = lexer.Remaining >= skimMinLength
                ? SkimAndScanStatement(ref lexer, first, leading)
                : ScanStatement(ref lexer, first, leading);
            beforeLast = result;
            result = result.Raise(statement.Kind, statement.Effects);
            if (lexer.AtEnd)
                break;
        }

        // An unterminated string or comment is malformed in the primary reading (the server rejects it: leave the error to
        // the primary). In the NO_BACKSLASH_ESCAPES reading it is expected: there the server rejects the statement that
        // runs into it, which then does nothing (the statements before it still run).
        if (lexer.Malformed)
            result = backslashEscapes ? result.Raise(StatementKind.Unknown) : beforeLast;
        if (lexer.Ambiguous)
            result = result.Raise(StatementKind.Unknown);   // a versioned comment the reading cannot decide

        backslashQuote = lexer.SawBackslashQuote;
        versioned = lexer.SawVersionedComment;
        return new TextVerdict(result.Kind, result.Effects, lexer.SawHint, lexer.MaxStalenessMs);
    }

    /// <summary>
    /// <see cref="ScanStatement"/> after jumping over what in the rest of the statement could not raise the verdict: to
    /// its end when nothing could, else to a point from which lexing the rest gives the same verdict.
    /// </summary>
    /// <remarks>
    /// Apart from ScanStatement and its caller, so that neither's code is slowed down by the skim's; and ScanStatement
    /// runs only to lex, so that its profile (for the JIT) is that of lexing.
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Verdict SkimAndScanStatement(ref Lexer lexer, Token first, Verdict leading)
    {
        if (!lexer.TrySkimStatement(first, leading.IsQuery, out var complete))
            return ScanStatement(ref lexer, first, leading);
        if (!complete)
            return ScanStatement(ref lexer, Token.Neutral, leading);   // what the skim jumped over pairs with nothing

        lexer.Next();   // the statement's ; or End, as ScanStatement would read it
        return leading;
    }

    /// <summary>
    /// Reads the rest of one statement (to its <c>;</c> or the end) and raises the leading verdict with what is found
    /// anywhere in it: assignments, side-effect functions, connection-bound variables, locking and INTO clauses.
    /// </summary>
    /// <remarks>
    /// Every word this method reacts to must be a <see cref="IsRiskyWord">risky word</see>, and every operator one the
    /// skim looks for (<c>:=</c>, <c>@@</c>, <c>;</c>): the skim (<see cref="Lexer.TrySkimStatement"/>) only jumps over
    /// code in which none of them occurs. A new rule here needs the same there.
    /// </remarks>
    /// <param name="lexer">The lexer, after <paramref name="previous"/>.</param>
    /// <param name="previous">The statement's first token, or <see cref="Token.Neutral"/> after a skim.</param>
    /// <param name="leading">The verdict of the statement's leading keyword.</param>
    private static Verdict ScanStatement(ref Lexer lexer, Token previous, Verdict leading)
    {
        var verdict = leading;
        var beforePrevious = default(Token);
        var qualifier = default(Token);   // the name before the last dot
        var routines = lexer.Routines;
        while (true)
        {
            var token = lexer.Next();
            if (token.IsEndOfStatement)
                break;

            switch (token.Kind)
            {
                case TokenKind.Dot:
                    qualifier = previous;
                    break;
                case TokenKind.Assign:   // @v := …
                    verdict = verdict.Raise(StatementKind.SessionState, SessionEffects.PinsToPrimary);
                    break;
                case TokenKind.SystemVariable:
                    if (ReadsPreviousStatement(token.Keyword))   // @@warning_count, @@error_count
                        verdict = verdict.Raise(StatementKind.Read, SessionEffects.ReadsPreviousStatement);
                    else if (token.Keyword != Keyword.None)   // the lexer only names connection-bound variables
                        verdict = verdict.Raise(StatementKind.SideEffectFunction);
                    else if (token.Length == 0)   // @@`name` or a bare @@: not understood
                        verdict = verdict.Raise(StatementKind.Unknown);
                    break;
                case TokenKind.OpenParen when previous.Kind == TokenKind.Word && ReadsPreviousStatement(previous.Keyword):   // ROW_COUNT(), FOUND_ROWS()
                    verdict = verdict.Raise(StatementKind.Read, SessionEffects.ReadsPreviousStatement);
                    break;
                case TokenKind.OpenParen when previous.Kind == TokenKind.Word && IsSideEffectFunction(previous.Keyword):
                    verdict = verdict.Raise(
                        StatementKind.SideEffectFunction,
                        previous.Keyword == Keyword.GetLock ? SessionEffects.PinsToPrimary : SessionEffects.None);
                    break;
                case TokenKind.OpenParen when beforePrevious.Kind == TokenKind.Dot
                    || (routines.HasWriters && previous.Kind is TokenKind.Word or TokenKind.Identifier):
                    if (CallMayWrite(lexer.Text, routines, previous, beforePrevious.Kind == TokenKind.Dot ? qualifier : default))
                        verdict = verdict.Raise(StatementKind.Write);
                    break;
                case TokenKind.Word:
                    verdict = token.Keyword switch
                    {
                        Keyword.Update or Keyword.Share when previous.Keyword == Keyword.For => verdict.Raise(StatementKind.LockingRead),
                        Keyword.In when previous.Keyword == Keyword.Lock => verdict.Raise(StatementKind.LockingRead),   // LOCK IN SHARE MODE
                        Keyword.For when previous.Keyword == Keyword.Value && beforePrevious.Keyword is Keyword.Next or Keyword.Previous
                            => verdict.Raise(StatementKind.SideEffectFunction),   // NEXT VALUE FOR seq, PREVIOUS VALUE FOR seq
                        _ => verdict,
                    };
                    break;
            }

            if (leading.IsQuery && previous.Keyword == Keyword.Into)
                verdict = verdict.Raise(IntoTarget(token), token.Kind == TokenKind.UserVariable ? SessionEffects.PinsToPrimary : SessionEffects.None);

            beforePrevious = previous;
            previous = token;
        }

        if (leading.IsQuery && previous.Keyword == Keyword.Into)
            verdict = verdict.Raise(StatementKind.Unknown);   // INTO with nothing after it

        return verdict;
    }

    /// <summary>
    /// Whether a call to the function <paramref name="name"/> may modify data: a function the catalog says may, or a
    /// schema-qualified name the catalog does not know (a routine the library cannot see). An unqualified name it does not
    /// know is taken for a built-in function.
    /// </summary>
    private static bool CallMayWrite(ReadOnlySpan<char> sql, RoutineCatalog routines, Token name, Token schema)
    {
        if (!IsName(name) || (schema.Kind != TokenKind.End && !IsName(schema)))
            return false;   // not a name before the parenthesis: (SELECT …).x (…) cannot be a call
        var access = routines.Lookup(schema.Kind == TokenKind.End ? default : NameOf(sql, schema), NameOf(sql, name));
        return access == RoutineAccess.MayWrite || (schema.Kind != TokenKind.End && access == RoutineAccess.Unknown);
    }

    /// <summary>What <c>SELECT … INTO</c> does, from the token after INTO.</summary>
    private static StatementKind IntoTarget(Token token) =>
        token.Kind == TokenKind.UserVariable ? StatementKind.SessionState
        : token.Keyword is Keyword.Outfile or Keyword.Dumpfile ? StatementKind.LockingRead
        : StatementKind.Unknown;   // stored-program variables cannot occur in client SQL

    private static Verdict ClassifyLeading(ref Lexer lexer, Token first, int depth)
    {
        if (depth > MaxNesting)
            return Verdict.Unknown;

        if (first.Kind == TokenKind.OpenParen)
        {
            // (SELECT …), ((SELECT …) UNION (SELECT …)): the first word inside the parentheses must start a query.
            var token = lexer.Next();
            while (token.Kind == TokenKind.OpenParen)
                token = lexer.Next();
            return token.Keyword is Keyword.Select or Keyword.With or Keyword.Table or Keyword.Values
                ? ClassifyLeading(ref lexer, token, depth + 1)
                : Verdict.Unknown;
        }

        if (first.Kind != TokenKind.Word)
            return Verdict.Unknown;

        return first.Keyword switch
        {
            Keyword.Select or Keyword.Table or Keyword.Values => Verdict.Query,
            Keyword.With => ClassifyWith(ref lexer, depth),
            Keyword.Show => ClassifyShow(ref lexer),
            Keyword.Describe or Keyword.Desc or Keyword.Explain => ClassifyExplain(ref lexer, depth),
            // InnoDB takes shared locks on the rows read by any statement but SELECT (REPEATABLE READ), DO (SELECT …) included,
            // and DO discards its result: the primary loses nothing by running it. What it calls is judged by ScanStatement.
            Keyword.Do => new Verdict(StatementKind.LockingRead),
            Keyword.Help => new Verdict(StatementKind.Read),   // reads the help tables every node has
            Keyword.Checksum => lexer.Next().Keyword == Keyword.Table ? new Verdict(StatementKind.Read) : Verdict.Unknown,
            Keyword.Set => ClassifySet(ref lexer, depth),

            Keyword.Begin => ClassifyBegin(ref lexer),
            Keyword.Start => ClassifyStart(ref lexer),
            Keyword.Commit => ClassifyCommitOrRollback(ref lexer, isRollback: false),
            Keyword.Rollback => ClassifyCommitOrRollback(ref lexer, isRollback: true),
            Keyword.Savepoint => ClassifySavepointName(ref lexer),
            Keyword.Release => lexer.Next().Keyword == Keyword.Savepoint ? ClassifySavepointName(ref lexer) : Verdict.Unknown,
            Keyword.Xa => new Verdict(StatementKind.TransactionControl, SessionEffects.PinsToPrimary),

            Keyword.Lock or Keyword.Unlock or Keyword.Use or Keyword.Prepare or Keyword.Execute or Keyword.Deallocate
                or Keyword.Handler => Verdict.SessionState,
            Keyword.Get => ClassifyGet(ref lexer),
            Keyword.Create => ClassifyCreate(ref lexer),
            Keyword.Drop or Keyword.Alter when ChangesRoutine(lexer) => RoutineDdl,
            Keyword.Drop => lexer.Next().Keyword is Keyword.Temporary or Keyword.Prepare ? Verdict.SessionState : Verdict.Write,

            // A routine may assign user variables or create temporary tables: the session's state then lives on the primary.
            Keyword.Call => Verdict.Routine,
            Keyword.Insert or Keyword.Update or Keyword.Delete or Keyword.Replace or Keyword.Load
                or Keyword.Alter or Keyword.Rename or Keyword.Truncate or Keyword.Grant or Keyword.Revoke
                or Keyword.Analyze or Keyword.Optimize or Keyword.Repair or Keyword.Check or Keyword.Flush
                or Keyword.Reset or Keyword.Purge or Keyword.Kill or Keyword.Install or Keyword.Uninstall
                or Keyword.Change or Keyword.Stop or Keyword.Shutdown => Verdict.Write,

            _ => Verdict.Unknown,
        };
    }

    /// <summary>WITH [RECURSIVE] cte [(cols)] AS (…) [, …] then the main statement, which decides.</summary>
    private static Verdict ClassifyWith(ref Lexer lexer, int depth)
    {
        var parens = 0;
        var afterCte = false;   // just closed a parenthesis at the top level
        while (true)
        {
            var token = lexer.Next();
            if (token.IsEndOfStatement)
                return Verdict.Unknown;

            if (parens == 0)
            {
                if (token.Kind == TokenKind.OpenParen && afterCte)
                    return ClassifyLeading(ref lexer, token, depth + 1);   // WITH … (SELECT …)
                switch (token.Keyword)
                {
                    case Keyword.Select or Keyword.Table or Keyword.Values:
                        return Verdict.Query;
                    case Keyword.Insert or Keyword.Update or Keyword.Delete or Keyword.Replace:
                        return Verdict.Write;
                }
            }

            if (token.Kind == TokenKind.OpenParen)
                parens++;
            else if (token.Kind == TokenKind.CloseParen && --parens < 0)
                return Verdict.Unknown;
            afterCte = token.Kind == TokenKind.CloseParen && parens == 0;
        }
    }

    /// <summary>
    /// GET [CURRENT | STACKED] DIAGNOSTICS: reports on the previous statement, so it runs where that ran; it assigns user
    /// variables, which pins the connection when that was the primary.
    /// </summary>
    private static Verdict ClassifyGet(ref Lexer lexer)
    {
        var token = lexer.Next();
        if (token.Kind == TokenKind.Word && token.Keyword != Keyword.Diagnostics)
            token = lexer.Next();   // CURRENT or STACKED (the server rejects anything else)
        return token.Keyword == Keyword.Diagnostics
            ? new Verdict(StatementKind.SessionState, SessionEffects.ReadsPreviousStatement | SessionEffects.PinsToPrimary)
            : Verdict.Unknown;
    }

    private static Verdict ClassifyShow(ref Lexer lexer)
    {
        var token = lexer.Next();
        if (token.IsEndOfStatement)
            return Verdict.Unknown;

        // These report on the previous statement of the same connection: they run where that ran.
        return token.Keyword is Keyword.Warnings or Keyword.Errors or Keyword.Count or Keyword.Profile or Keyword.Profiles
            ? new Verdict(StatementKind.Read, SessionEffects.ReadsPreviousStatement)
            : new Verdict(StatementKind.Read);
    }

    /// <summary>EXPLAIN/DESCRIBE/DESC [options] statement, or a table name (DESCRIBE t).</summary>
    private static Verdict ClassifyExplain(ref Lexer lexer, int depth)
    {
        var intoVariable = false;
        var token = lexer.Next();
        while (true)
        {
            if (token.Keyword is Keyword.Extended or Keyword.Partitions or Keyword.Analyze)
            {
                token = lexer.Next();
            }
            else if (token.Keyword == Keyword.Format)   // FORMAT = JSON
            {
                token = lexer.Next();
                if (token.Kind == TokenKind.Equals)
                    token = lexer.Next();
                if (token.IsEndOfStatement)
                    return Verdict.Unknown;
                token = lexer.Next();
            }
            else if (token.Keyword == Keyword.Into)   // EXPLAIN FORMAT=JSON INTO @v SELECT … (MySQL 8.1+)
            {
                if (lexer.Next().Kind != TokenKind.UserVariable)
                    return Verdict.Unknown;
                intoVariable = true;
                token = lexer.Next();
            }
            else
            {
                break;
            }
        }

        Verdict explained;
        if (token.Kind == TokenKind.OpenParen
            || token.Keyword is Keyword.Select or Keyword.With or Keyword.Table or Keyword.Values
                or Keyword.Insert or Keyword.Update or Keyword.Delete or Keyword.Replace)
        {
            // Plain EXPLAIN does not run the statement but EXPLAIN ANALYZE does: judge the statement itself either way.
            explained = ClassifyLeading(ref lexer, token, depth + 1);
        }
        else if (token.Keyword == Keyword.For   // EXPLAIN FOR CONNECTION n
            || token.Kind == TokenKind.Identifier
            || (token.Kind == TokenKind.Word && !IsStatementKeyword(token.Keyword)))   // DESCRIBE table
        {
            explained = new Verdict(StatementKind.Read);
        }
        else
        {
            return Verdict.Unknown;
        }

        return intoVariable ? explained.Raise(StatementKind.SessionState, SessionEffects.PinsToPrimary) : explained;
    }

    /// <summary>SET: session state unless every assignment is GLOBAL/PERSIST; MariaDB's SET STATEMENT … FOR is its statement.</summary>
    private static Verdict ClassifySet(ref Lexer lexer, int depth)
    {
        var token = lexer.Next();
        if (token.IsEndOfStatement)
            return Verdict.Unknown;

        var parens = 0;
        if (token.Keyword == Keyword.Statement)
        {
            // The variables only last for the statement after FOR, so that statement is what routes.
            while (true)
            {
                token = lexer.Next();
                if (token.IsEndOfStatement)
                    return Verdict.Unknown;
                if (token.Kind == TokenKind.OpenParen)
                    parens++;
                else if (token.Kind == TokenKind.CloseParen)
                    parens--;
                else if (parens == 0 && token.Keyword == Keyword.For)
                    break;
            }

            token = lexer.Next();
            return token.IsEndOfStatement ? Verdict.Unknown : ClassifyLeading(ref lexer, token, depth + 1);
        }

        // A scope modifier carries over to the following assignments until the next modifier.
        var globalScope = false;
        var anySession = false;
        var atAssignment = true;
        while (!token.IsEndOfStatement)
        {
            if (atAssignment && parens == 0)
            {
                atAssignment = false;
                bool isGlobal;
                if (token.Keyword is Keyword.Global or Keyword.Persist or Keyword.PersistOnly)
                    isGlobal = globalScope = true;
                else if (token.Keyword is Keyword.Session or Keyword.Local)
                    isGlobal = globalScope = false;
                else if (token.Kind == TokenKind.SystemVariable)
                    isGlobal = lexer.ScopeOf(token) is Keyword.Global or Keyword.Persist or Keyword.PersistOnly;
                else
                    isGlobal = token.Kind != TokenKind.UserVariable && globalScope;
                anySession |= !isGlobal;
            }

            if (token.Kind == TokenKind.OpenParen)
                parens++;
            else if (token.Kind == TokenKind.CloseParen)
                parens--;
            else if (token.Kind == TokenKind.Comma && parens == 0)
                atAssignment = true;
            token = lexer.Next();
        }

        // SET GLOBAL/PERSIST changes the server, not this session: it must run on the primary but pins nothing.
        return anySession ? Verdict.SessionState : Verdict.Write;
    }

    /// <summary>BEGIN [WORK]; anything after it (MariaDB's BEGIN NOT ATOMIC …) is not a transaction start.</summary>
    private static Verdict ClassifyBegin(ref Lexer lexer)
    {
        var token = lexer.Next();
        if (token.Keyword == Keyword.Work)
            token = lexer.Next();
        return token.IsEndOfStatement
            ? new Verdict(StatementKind.TransactionControl, SessionEffects.PinsToPrimary)
            : Verdict.Unknown;
    }

    /// <summary>START TRANSACTION [characteristic [, characteristic] …], START SLAVE/REPLICA/GROUP_REPLICATION.</summary>
    private static Verdict ClassifyStart(ref Lexer lexer)
    {
        var token = lexer.Next();
        if (token.Keyword is Keyword.Slave or Keyword.Replica or Keyword.GroupReplication)
            return Verdict.Write;
        if (token.Keyword != Keyword.Transaction)
            return Verdict.Unknown;

        var readOnly = false;
        var readWrite = false;
        token = lexer.Next();
        while (!token.IsEndOfStatement)
        {
            if (token.Keyword == Keyword.With)
            {
                if (lexer.Next().Keyword != Keyword.Consistent || lexer.Next().Keyword != Keyword.Snapshot)
                    return Verdict.Unknown;
            }
            else if (token.Keyword == Keyword.Read)
            {
                var access = lexer.Next().Keyword;
                if (access == Keyword.Only)
                    readOnly = true;
                else if (access == Keyword.Write)
                    readWrite = true;
                else
                    return Verdict.Unknown;
            }
            else
            {
                return Verdict.Unknown;
            }

            token = lexer.Next();
            if (token.IsEndOfStatement)
                break;
            if (token.Kind != TokenKind.Comma)
                return Verdict.Unknown;
            token = lexer.Next();
            if (token.IsEndOfStatement)
                return Verdict.Unknown;   // a trailing comma
        }

        if (readOnly && readWrite)
            return Verdict.Unknown;   // the server rejects it
        return readOnly
            ? new Verdict(StatementKind.TransactionControl, SessionEffects.BeginsReadOnlyTransaction)
            : new Verdict(StatementKind.TransactionControl, SessionEffects.PinsToPrimary);
    }

    /// <summary>COMMIT|ROLLBACK [WORK] [AND [NO] CHAIN] [[NO] RELEASE], ROLLBACK [WORK] TO [SAVEPOINT] name.</summary>
    private static Verdict ClassifyCommitOrRollback(ref Lexer lexer, bool isRollback)
    {
        var token = lexer.Next();
        if (token.Keyword == Keyword.Work)
            token = lexer.Next();

        if (isRollback && token.Keyword == Keyword.To)
        {
            // ROLLBACK [WORK] TO [SAVEPOINT] name undoes part of the transaction, which stays open.
            var name = lexer.Next();
            if (name.Keyword == Keyword.Savepoint)
            {
                var afterSavepoint = lexer.Next();
                if (afterSavepoint.IsEndOfStatement)
                    return new Verdict(StatementKind.TransactionControl);   // a savepoint named "savepoint"
                name = afterSavepoint;
            }

            return IsName(name) ? EndOrUnknown(ref lexer, new Verdict(StatementKind.TransactionControl)) : Verdict.Unknown;
        }

        var chain = false;
        var release = false;
        if (token.Keyword == Keyword.And)
        {
            token = lexer.Next();
            var no = token.Keyword == Keyword.No;
            if (no)
                token = lexer.Next();
            if (token.Keyword != Keyword.Chain)
                return Verdict.Unknown;
            chain = !no;
            token = lexer.Next();
        }

        if (token.Keyword == Keyword.No)
        {
            if (lexer.Next().Keyword != Keyword.Release)
                return Verdict.Unknown;
            token = lexer.Next();
        }
        else if (token.Keyword == Keyword.Release)
        {
            release = true;
            token = lexer.Next();
        }

        if (!token.IsEndOfStatement || (chain && release))
            return Verdict.Unknown;

        // AND CHAIN starts the next transaction at once: the connection stays in a transaction.
        return chain
            ? new Verdict(StatementKind.TransactionControl, SessionEffects.PinsToPrimary)
            : new Verdict(StatementKind.TransactionControl, SessionEffects.EndsTransaction);
    }

    /// <summary>The name after SAVEPOINT, then the end of the statement.</summary>
    private static Verdict ClassifySavepointName(ref Lexer lexer) =>
        IsName(lexer.Next()) ? EndOrUnknown(ref lexer, new Verdict(StatementKind.TransactionControl)) : Verdict.Unknown;

    private static Verdict EndOrUnknown(ref Lexer lexer, Verdict verdict) =>
        lexer.Next().IsEndOfStatement ? verdict : Verdict.Unknown;

    /// <summary>DDL of a stored routine: a write after which the routine catalog is reloaded.</summary>
    private static Verdict RoutineDdl => new(StatementKind.Write, SessionEffects.ChangesRoutines);

    /// <summary>
    /// After CREATE, ALTER or DROP: whether FUNCTION or PROCEDURE comes within the next few tokens (past OR REPLACE,
    /// DEFINER = user, AGGREGATE). Reads a copy of the lexer.
    /// </summary>
    private static bool ChangesRoutine(Lexer lexer)
    {
        for (var i = 0; i < 8; i++)
        {
            var token = lexer.Next();
            if (token.IsEndOfStatement)
                return false;
            if (token.Keyword is Keyword.Function or Keyword.Procedure)
                return true;
        }

        return false;
    }

    /// <summary>CREATE [OR REPLACE] TEMPORARY … is session state; any other CREATE writes.</summary>
    private static Verdict ClassifyCreate(ref Lexer lexer)
    {
        if (ChangesRoutine(lexer))
            return RoutineDdl;

        var token = lexer.Next();
        if (token.Keyword == Keyword.Or)
        {
            lexer.Next();   // REPLACE
            token = lexer.Next();
        }

        return token.Keyword == Keyword.Temporary ? Verdict.SessionState : Verdict.Write;
    }

    private static bool IsName(Token token) => token.Kind is TokenKind.Word or TokenKind.Identifier;

    private static bool IsStatementKeyword(Keyword keyword) => keyword is > Keyword.None and <= Keyword.Checksum;

    private static bool IsSideEffectFunction(Keyword keyword) => keyword is >= Keyword.LastInsertId and <= Keyword.WaitUntilSqlThreadAfterGtids;

    /// <summary>Functions and variables that report on the connection's previous statement (its affected or found rows, its diagnostics).</summary>
    private static bool ReadsPreviousStatement(Keyword keyword) =>
        keyword is Keyword.FoundRows or Keyword.RowCount or Keyword.WarningCount or Keyword.ErrorCount;

    private static bool IsConnectionBoundVariable(Keyword keyword) =>
        keyword is Keyword.LastInsertId or (>= Keyword.Identity and <= Keyword.PseudoThreadId);

    /// <summary>ASCII case-insensitive equality with an upper-case ASCII constant.</summary>
    private static bool EqualsUpperAscii(ReadOnlySpan<char> text, ReadOnlySpan<char> upper)
    {
        if (text.Length != upper.Length)
            return false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsAsciiLetterLower(c))
                c = (char)(c - ('a' - 'A'));
            if (c != upper[i])
                return false;
        }

        return true;
    }

    /// <summary>The keyword a word spells (ASCII, case-insensitive), or <see cref="Keyword.None"/>.</summary>
    private static Keyword Identify(ReadOnlySpan<char> word) => Keywords.Find(word);

    /// <summary>Every word the classifier recognises, upper case.</summary>
    private static readonly (string Text, Keyword Keyword)[] KeywordEntries =
    [
        ("SELECT", Keyword.Select), ("WITH", Keyword.With), ("TABLE", Keyword.Table), ("VALUES", Keyword.Values),
        ("SHOW", Keyword.Show), ("DESCRIBE", Keyword.Describe), ("DESC", Keyword.Desc), ("EXPLAIN", Keyword.Explain),
        ("DO", Keyword.Do), ("SET", Keyword.Set), ("BEGIN", Keyword.Begin), ("START", Keyword.Start),
        ("COMMIT", Keyword.Commit), ("ROLLBACK", Keyword.Rollback), ("SAVEPOINT", Keyword.Savepoint),
        ("RELEASE", Keyword.Release), ("XA", Keyword.Xa), ("LOCK", Keyword.Lock), ("UNLOCK", Keyword.Unlock),
        ("USE", Keyword.Use), ("PREPARE", Keyword.Prepare), ("EXECUTE", Keyword.Execute),
        ("DEALLOCATE", Keyword.Deallocate), ("HANDLER", Keyword.Handler), ("CREATE", Keyword.Create),
        ("DROP", Keyword.Drop), ("INSERT", Keyword.Insert), ("UPDATE", Keyword.Update), ("DELETE", Keyword.Delete),
        ("REPLACE", Keyword.Replace), ("LOAD", Keyword.Load), ("CALL", Keyword.Call), ("ALTER", Keyword.Alter),
        ("RENAME", Keyword.Rename), ("TRUNCATE", Keyword.Truncate), ("GRANT", Keyword.Grant), ("REVOKE", Keyword.Revoke),
        ("ANALYZE", Keyword.Analyze), ("OPTIMIZE", Keyword.Optimize), ("REPAIR", Keyword.Repair), ("CHECK", Keyword.Check),
        ("FUNCTION", Keyword.Function), ("PROCEDURE", Keyword.Procedure), ("FLUSH", Keyword.Flush), ("RESET", Keyword.Reset), ("PURGE", Keyword.Purge), ("KILL", Keyword.Kill),
        ("INSTALL", Keyword.Install), ("UNINSTALL", Keyword.Uninstall), ("CHANGE", Keyword.Change), ("STOP", Keyword.Stop),
        ("SHUTDOWN", Keyword.Shutdown), ("GET", Keyword.Get), ("HELP", Keyword.Help), ("CHECKSUM", Keyword.Checksum),

        ("AND", Keyword.And), ("CHAIN", Keyword.Chain), ("CONSISTENT", Keyword.Consistent), ("COUNT", Keyword.Count),
        ("DIAGNOSTICS", Keyword.Diagnostics), ("DUMPFILE", Keyword.Dumpfile), ("ERRORS", Keyword.Errors), ("EXTENDED", Keyword.Extended), ("FOR", Keyword.For),
        ("FORMAT", Keyword.Format), ("GLOBAL", Keyword.Global), ("GROUP_REPLICATION", Keyword.GroupReplication),
        ("IN", Keyword.In), ("INTO", Keyword.Into), ("LOCAL", Keyword.Local), ("NEXT", Keyword.Next), ("NO", Keyword.No),
        ("ONLY", Keyword.Only), ("OR", Keyword.Or), ("OUTFILE", Keyword.Outfile), ("PARTITIONS", Keyword.Partitions),
        ("PERSIST", Keyword.Persist), ("PERSIST_ONLY", Keyword.PersistOnly), ("PREVIOUS", Keyword.Previous),
        ("PROFILE", Keyword.Profile), ("PROFILES", Keyword.Profiles), ("READ", Keyword.Read), ("REPLICA", Keyword.Replica),
        ("SESSION", Keyword.Session), ("SHARE", Keyword.Share), ("SLAVE", Keyword.Slave), ("SNAPSHOT", Keyword.Snapshot),
        ("STATEMENT", Keyword.Statement),
        ("TEMPORARY", Keyword.Temporary), ("TO", Keyword.To), ("TRANSACTION", Keyword.Transaction),
        ("VALUE", Keyword.Value), ("WARNINGS", Keyword.Warnings), ("WORK", Keyword.Work), ("WRITE", Keyword.Write),

        ("LAST_INSERT_ID", Keyword.LastInsertId), ("FOUND_ROWS", Keyword.FoundRows), ("ROW_COUNT", Keyword.RowCount),
        ("GET_LOCK", Keyword.GetLock), ("RELEASE_LOCK", Keyword.ReleaseLock),
        ("RELEASE_ALL_LOCKS", Keyword.ReleaseAllLocks), ("IS_USED_LOCK", Keyword.IsUsedLock),
        ("IS_FREE_LOCK", Keyword.IsFreeLock), ("NEXTVAL", Keyword.NextVal), ("LASTVAL", Keyword.LastVal),
        ("SETVAL", Keyword.SetVal), ("CONNECTION_ID", Keyword.ConnectionId), ("MASTER_POS_WAIT", Keyword.MasterPosWait),
        ("SOURCE_POS_WAIT", Keyword.SourcePosWait), ("MASTER_GTID_WAIT", Keyword.MasterGtidWait),
        ("WAIT_FOR_EXECUTED_GTID_SET", Keyword.WaitForExecutedGtidSet),
        ("WAIT_UNTIL_SQL_THREAD_AFTER_GTIDS", Keyword.WaitUntilSqlThreadAfterGtids),

        ("IDENTITY", Keyword.Identity), ("INSERT_ID", Keyword.InsertId), ("LAST_GTID", Keyword.LastGtid),
        ("WARNING_COUNT", Keyword.WarningCount), ("ERROR_COUNT", Keyword.ErrorCount),
        ("IN_TRANSACTION", Keyword.InTransaction), ("PSEUDO_THREAD_ID", Keyword.PseudoThreadId),
    ];

    private static readonly KeywordTable Keywords = new([.. KeywordEntries]);

    /// <summary>
    /// A word <see cref="ScanStatement"/> reacts to: one word of each keyword pair (FOR UPDATE, FOR SHARE, LOCK IN,
    /// NEXT/PREVIOUS VALUE FOR), every side-effect function, and in a query INTO.
    /// </summary>
    private static bool IsRiskyWord(Keyword keyword, bool query) =>
        keyword is Keyword.Update or Keyword.Share or Keyword.Lock or Keyword.Next or Keyword.Previous
        || IsSideEffectFunction(keyword)
        || (query && keyword == Keyword.Into);

    /// <summary>
    /// Text of which every <see cref="IsRiskyWord">risky word</see> contains at least one (ASCII case-insensitively),
    /// for the skim to search: where none occurs, no risky word does.
    /// </summary>
    private static readonly SearchValues<string> RiskyWordFragments = CreateRiskyWordFragments();

    private static SearchValues<string> CreateRiskyWordFragments()
    {
        // WAIT stands for the five *_WAIT* functions. Any fragment is sound, as the skim checks the whole word around a
        // match; the words themselves are what guarantees coverage.
        List<string> fragments = ["WAIT"];
        foreach (var (text, keyword) in KeywordEntries)
        {
            if (IsRiskyWord(keyword, query: true))
                fragments.Add(text);
        }

        // A fragment that contains another one (GET_LOCK, NEXTVAL) finds nothing the other does
        // not: fewer values keep the search fast.
        fragments.RemoveAll(word => fragments.Exists(other => other.Length < word.Length && word.Contains(other, StringComparison.Ordinal)));
        return SearchValues.Create([.. fragments], StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The stops of the skim besides quotes: comments (<c>#</c>, <c>--</c>, <c>/*</c>), <c>;</c> and <c>:=</c>.</summary>
    /// <remarks>Backticks are not stops: the skim counts them instead (<see cref="Lexer.TrySkimStatement"/>).</remarks>
    private static readonly SearchValues<char> SkimRareStops = SearchValues.Create("#-/;:");

    /// <summary>The words the classifier cares about. The order of the blocks matters to the range checks above.</summary>
    private enum Keyword : byte
    {
        None,

        // Statement-leading keywords (first block: IsStatementKeyword).
        Select, With, Table, Values, Show, Describe, Desc, Explain, Do, Set, Begin, Start, Commit, Rollback, Savepoint,
        Release, Xa, Lock, Unlock, Use, Prepare, Execute, Deallocate, Handler, Create, Drop, Insert, Update, Delete,
        Replace, Load, Call, Alter, Rename, Truncate, Grant, Revoke, Analyze, Optimize, Repair, Check, Flush, Reset,
        Purge, Kill, Install, Uninstall, Change, Stop, Shutdown, Get, Help, Checksum,

        // Other keywords.
        And, Chain, Consistent, Function, Procedure, Count, Diagnostics, Dumpfile, Errors, Extended, For, Format, Global, GroupReplication, In, Into,
        Local, Next, No, Only, Or, Outfile, Partitions, Persist, PersistOnly, Previous, Profile, Profiles, Read,
        Replica, Session, Share, Slave, Snapshot, Statement, Temporary, To, Transaction, Value,
        Warnings, Work, Write,

        // Functions with side effects or connection-bound results (IsSideEffectFunction).
        LastInsertId, FoundRows, RowCount, GetLock, ReleaseLock, ReleaseAllLocks, IsUsedLock, IsFreeLock, NextVal,
        LastVal, SetVal, ConnectionId, MasterPosWait, SourcePosWait, MasterGtidWait, WaitForExecutedGtidSet,
        WaitUntilSqlThreadAfterGtids,

        // Connection-bound system variables besides @@last_insert_id (IsConnectionBoundVariable).
        Identity, InsertId, LastGtid, WarningCount, ErrorCount, InTransaction, PseudoThreadId,
    }

    /// <summary>
    /// Keywords bucketed by length and first letter, so that a word that is not a keyword (most of them) costs one
    /// array look-up, and one that is costs a comparison or two. Built once; look-ups allocate nothing.
    /// </summary>
    private sealed class KeywordTable
    {
        private const int Letters = 26;
        private const int MaxLength = 33;   // WAIT_UNTIL_SQL_THREAD_AFTER_GTIDS

        private readonly string[] _texts;
        private readonly Keyword[] _keywords;
        private readonly int[] _bucketStarts = new int[((MaxLength + 1) * Letters) + 1];   // bucket b is [starts[b], starts[b + 1])

        public KeywordTable((string Text, Keyword Keyword)[] entries)
        {
            Array.Sort(entries, (x, y) => Bucket(x.Text).CompareTo(Bucket(y.Text)));
            _texts = new string[entries.Length];
            _keywords = new Keyword[entries.Length];
            for (var i = 0; i < entries.Length; i++)
            {
                (_texts[i], _keywords[i]) = entries[i];
                _bucketStarts[Bucket(entries[i].Text) + 1] = i + 1;
            }

            for (var b = 1; b < _bucketStarts.Length; b++)
                _bucketStarts[b] = Math.Max(_bucketStarts[b], _bucketStarts[b - 1]);
        }

        public Keyword Find(ReadOnlySpan<char> word)
        {
            var bucket = Bucket(word);
            if (bucket < 0)
                return Keyword.None;

            for (var i = _bucketStarts[bucket]; i < _bucketStarts[bucket + 1]; i++)
            {
                if (EqualsUpperAscii(word, _texts[i]))
                    return _keywords[i];
            }

            return Keyword.None;
        }

        /// <summary>The bucket of a word by length and first ASCII letter, or -1 when no keyword can match.</summary>
        private static int Bucket(ReadOnlySpan<char> word)
        {
            if (word.IsEmpty || word.Length > MaxLength)
                return -1;
            var letter = (uint)((word[0] | 0x20) - 'a');
            return letter < Letters ? (word.Length * Letters) + (int)letter : -1;
        }
    }

    private enum TokenKind : byte
    {
        End,
        Word,             // an unquoted identifier or keyword
        Identifier,       // `quoted`, or a word after a dot: never a keyword
        String,
        Number,
        UserVariable,     // @name, @'name'
        SystemVariable,   // @@name, @@scope.name (Start/Length cover what follows @@)
        Assign,           // :=
        Semicolon,
        OpenParen,
        CloseParen,
        Comma,
        Dot,
        Equals,
        Other,
    }

    private readonly struct Token
    {
        public readonly TokenKind Kind;
        public readonly Keyword Keyword;
        public readonly int Start;
        public readonly int Length;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]   // built once per token: the JIT would otherwise call it
        public Token(TokenKind kind, Keyword keyword, int start, int length)
        {
            Kind = kind;
            Keyword = keyword;
            Start = start;
            Length = length;
        }

        /// <summary>A token no rule pairs with the next one (no keyword, not a word): what the skim leaves behind.</summary>
        public static Token Neutral => new(TokenKind.Other, Keyword.None, 0, 0);

        public bool IsEndOfStatement => Kind is TokenKind.End or TokenKind.Semicolon;
    }

    /// <summary>A statement's verdict so far.</summary>
    private readonly struct Verdict(StatementKind kind, SessionEffects effects = SessionEffects.None, bool isQuery = false)
    {
        public static Verdict Unknown => new(StatementKind.Unknown);
        public static Verdict Write => new(StatementKind.Write);
        public static Verdict SessionState => new(StatementKind.SessionState, SessionEffects.PinsToPrimary);
        public static Verdict Routine => new(SqlClassification.Routine.Kind, SqlClassification.Routine.Effects);
        public static Verdict Query => new(StatementKind.Read, isQuery: true);

        public StatementKind Kind { get; } = kind;
        public SessionEffects Effects { get; } = effects;

        /// <summary>A query expression (SELECT, TABLE, VALUES): its INTO clause matters.</summary>
        public bool IsQuery { get; } = isQuery;

        public Verdict Raise(StatementKind kind, SessionEffects effects = SessionEffects.None) =>
            new(kind > Kind ? kind : Kind, Effects | effects, IsQuery);
    }

    /// <summary>The verdict on a whole text in one reading: the strongest statement, the effects, the leading hints.</summary>
    private readonly record struct TextVerdict(StatementKind Kind, SessionEffects Effects, bool Hint, int MaxStalenessMs)
    {
        /// <summary>
        /// The verdict when the server may read the text either way: the stronger kind, all effects. The ReadFromPrimary
        /// hint is a restriction, so either reading's counts; AllowStale is a relaxation, so it only counts when both
        /// readings carry one (the smaller bound).
        /// </summary>
        public TextVerdict Or(TextVerdict other) => new(
            other.Kind > Kind ? other.Kind : Kind,
            Effects | other.Effects,
            Hint | other.Hint,
            MaxStalenessMs > 0 && other.MaxStalenessMs > 0 ? Math.Min(MaxStalenessMs, other.MaxStalenessMs) : 0);
    }

    /// <summary>
    /// A MySQL/MariaDB lexer over a span. Comments are trivia, except executable comments (<c>/*! … */</c>,
    /// <c>/*M! … */</c>), whose content is code. Copying the struct saves its position (look-ahead).
    /// </summary>
    private ref struct Lexer(ReadOnlySpan<char> sql, bool backslashEscapes, ServerReading reading = default, RoutineCatalog? routines = null)
    {
        private readonly ReadOnlySpan<char> _sql = sql;
        private readonly bool _backslashEscapes = backslashEscapes;
        private readonly ServerReading _reading = reading;
        private int _position;
        private bool _inExecutableComment;
        private bool _atStatementStart = true;   // no token of the current statement yet: a comment here may be a hint
        private bool _afterDot;

        /// <summary>An unterminated string, identifier or comment was seen.</summary>
        public bool Malformed { get; private set; }

        /// <summary>A leading comment of some statement is the ReadFromPrimary hint.</summary>
        public bool SawHint { get; private set; }

        /// <summary>The smallest bound of the valid AllowStale hints among the statements' leading comments, or 0.</summary>
        public int MaxStalenessMs { get; private set; }

        /// <summary>A quote inside a literal was escaped with a backslash (the literal ends there under NO_BACKSLASH_ESCAPES).</summary>
        public bool SawBackslashQuote { get; private set; }

        /// <summary>A versioned comment (<c>/*!NNNNN</c>, <c>/*M!</c>) was seen: servers of other versions may read the text otherwise.</summary>
        public bool SawVersionedComment { get; private set; }

        /// <summary>
        /// Something this reading cannot decide was seen: a versioned comment for an unknown server, or an executable
        /// comment inside an executable comment (whose first <c>*/</c> ends both on the server).
        /// </summary>
        public bool Ambiguous { get; private set; }

        /// <summary>The text being lexed.</summary>
        public readonly ReadOnlySpan<char> Text => _sql;

        /// <summary>The stored functions whose calls matter.</summary>
        public readonly RoutineCatalog Routines { get; } = routines ?? RoutineCatalog.Empty;

        public readonly bool AtEnd => _position >= _sql.Length && !_inExecutableComment;

        /// <summary>How many characters are left to read.</summary>
        public readonly int Remaining => _sql.Length - _position;

        public Token Next()
        {
            SkipTrivia();
            var token = ReadToken();
            _atStatementStart = token.Kind == TokenKind.Semicolon;
            _afterDot = token.Kind == TokenKind.Dot;
            return token;
        }

        /// <summary>The scope before the dot of a system variable (<c>@@global.x</c> → GLOBAL).</summary>
        public readonly Keyword ScopeOf(Token token)
        {
            var name = _sql.Slice(token.Start, token.Length);
            var dot = name.IndexOf('.');
            return dot < 0 ? Keyword.None : Identify(name[..dot]);
        }

        private void SkipTrivia()
        {
            var sql = _sql;
            while (_position < sql.Length)
            {
                var c = sql[_position];
                if (c <= ' ')
                {
                    _position++;
                    continue;
                }

                if (c is not ('#' or '-' or '/' or '*'))
                    break;   // the usual case: a token starts here

                var next = _position + 1 < sql.Length ? sql[_position + 1] : '\0';
                if (c == '#')
                {
                    SkipLineComment(_position + 1);
                }
                else if (c == '-' && next == '-' && StartsDashComment(sql, _position))
                {
                    SkipLineComment(_position + 2);
                }
                else if (c == '/' && next == '*')
                {
                    if (!_inExecutableComment)
                    {
                        SkipOrEnterComment();
                        continue;
                    }

                    Ambiguous |= IsExecutableCommentStart(sql, _position);
                    SkipBlockComment();
                }
                else if (c == '*' && next == '/' && _inExecutableComment)
                {
                    _position += 2;
                    _inExecutableComment = false;
                }
                else
                {
                    break;
                }
            }
        }

        /// <summary>
        /// From just after a statement's first token, jumps over what token-by-token lexing could not raise the
        /// statement's verdict with: to the statement's end (its <c>;</c>, left to read, or the end of the text) when that
        /// is all of it, else to the last point before the first thing that might, where lexing can resume.
        /// </summary>
        /// <param name="first">The statement's first token. When it can pair with the next token (LOCK IN, NEXT VALUE
        /// FOR, a side-effect function and its parenthesis, INTO), the skim does not start.</param>
        /// <param name="query">Whether the statement is a query, whose INTO counts.</param>
        /// <param name="complete">Whether it got to the statement's end.</param>
        /// <returns>Whether it moved the lexer; the token before the new position then pairs with nothing.</returns>
        /// <remarks>
        /// <para>
        /// The skim jumps with vectorized searches from one stop to the next: quotes, comment starts, <c>;</c> and
        /// <c>:</c>, <c>-</c>, <c>/</c>. Literals and comments are skipped with the lexer's own methods, so its flags
        /// (malformed text, a <c>\'</c>) come out as lexing would leave them. Between stops only backticks open or close
        /// anything: a quoted identifier takes an even number of them (opening, doubled pairs, closing), so an odd count
        /// up to a stop means the stop lies inside one, and the skim gives up there.
        /// </para>
        /// <para>
        /// What it proves for the code it jumps over (outside literals, comments and quoted identifiers): no
        /// <see cref="IsRiskyWord">risky word</see> as a word the lexer could read as a keyword (every one contains one of
        /// <see cref="RiskyWordFragments"/>, and the whole word around each match is checked), no <c>@@</c>, no
        /// <c>:=</c>, no executable comment, and no <c>;</c> but the one it stops at. So <see cref="ScanStatement"/>
        /// would raise nothing there. A statement's first token is never a <c>;</c>, so no hint can be due on the way
        /// (hints lead a statement).
        /// </para>
        /// <para>
        /// When it gives up after a literal or an operator (<c>-</c>, <c>/</c>, <c>:</c>), it stops right after the last
        /// one: the lexer would be there too, after a token without a keyword, which no rule pairs with the next
        /// (<see cref="Token.Neutral"/>), and with the same flags. After a comment it cannot (the comment is no token: the
        /// token before it may pair with the next), so it backs up to the literal or operator before.
        /// </para>
        /// </remarks>
        public bool TrySkimStatement(Token first, bool query, out bool complete)
        {
            complete = false;
            if (_inExecutableComment)
                return false;   // its */ matters: leave it to the lexer
            if (first.Keyword is Keyword.Lock or Keyword.Next or Keyword.Previous or Keyword.Into || IsSideEffectFunction(first.Keyword))
                return false;   // it may pair with the next token

            var skim = this;   // skipping literals and comments sets flags: commit them only with a position to resume at
            var resume = skim.Skim(query, out complete);
            if (resume < 0)
                return false;

            this = skim;
            _position = resume;
            _afterDot = false;
            return true;
        }

        /// <summary>
        /// Skims from the current position: returns the statement's end when nothing on the way counts
        /// (<paramref name="complete"/>), else where lexing may resume (after the last literal or operator), or -1 when
        /// there is no such point.
        /// </summary>
        private int Skim(bool query, out bool complete)
        {
            complete = false;
            var sql = _sql;
            var p = _position;   // outside any token; [p, stop) is code with backticks
            var resume = -1;
            var word = NextFragment(p);   // the next match of a risky-word fragment not yet known to be harmless
            var variable = NextSystemVariable(p);   // the next @@ not known to be inside a literal or comment
            var call = NextCall(p);   // the next parenthesis that may call a function that writes
            var rare = NextRareStop(p);
            while (true)
            {
                // Literals often come in lists ('DE', 'FR', …): look at the next few characters before searching.
                var stop = p;
                var near = Math.Min(rare, p + ShortRun);
                while (stop < near && sql[stop] is not ('\'' or '"' or '`'))
                    stop++;
                if (stop == near || sql[stop] == '`')
                {
                    var quote = sql[p..rare].IndexOfAny('\'', '"');
                    stop = quote < 0 ? rare : p + quote;
                    if ((sql[p..stop].Count('`') & 1) != 0)
                        return resume;   // the stop is inside a quoted identifier, or one never closes
                }

                if (variable < stop || call < stop)
                    return resume;
                var counted = p;   // backticks are counted from p to here, with this parity (counted once: no quadratic cost)
                var inQuotedIdentifier = false;
                while (word < stop)
                {
                    inQuotedIdentifier ^= (sql[counted..word].Count('`') & 1) != 0;
                    counted = word;
                    word = AfterHarmlessWord(p, word, inQuotedIdentifier, query);
                    if (word < 0)
                        return resume;
                    word = NextFragment(word);
                }

                if (stop == sql.Length || sql[stop] == ';')
                {
                    complete = true;
                    return stop;
                }

                var c = sql[stop];
                var next = stop + 1 < sql.Length ? sql[stop + 1] : '\0';
                switch (c)
                {
                    case '\'' or '"':
                        _position = stop + 1;
                        SkipQuoted(c);
                        resume = _position;   // after a literal (or a user variable @'name')
                        break;
                    case '#':
                        SkipLineComment(stop + 1);
                        break;
                    case '-' when next == '-' && StartsDashComment(sql, stop):
                        SkipLineComment(stop + 2);
                        break;
                    case '/' when next == '*':
                        if (IsExecutableCommentStart(sql, stop))
                            return resume;   // its content is code
                        _position = stop;
                        SkipBlockComment();
                        break;
                    case ':' when next == '=':
                        return resume;
                    default:
                        p = resume = stop + 1;   // after an operator: - / :
                        rare = NextRareStop(p);
                        continue;
                }

                // A literal or comment ends at _position. Fragments and @@ inside it are harmless. None of them contains a
                // delimiter (quote, #, -, /, *, line break), so a match is either inside or after it.
                p = _position;
                if (rare < p)
                    rare = NextRareStop(p);
                if (word < p)
                    word = NextFragment(p);
                if (variable < p)
                    variable = NextSystemVariable(p);
                if (call < p)
                    call = NextCall(p);
            }
        }

        /// <summary>
        /// At a fragment match between <paramref name="segment"/> (outside any token) and the next stop, in code or in a
        /// quoted identifier: where to look for the next match when the word around it cannot be a risky keyword, or -1.
        /// </summary>
        private readonly int AfterHarmlessWord(int segment, int match, bool inQuotedIdentifier, bool query)
        {
            var sql = _sql;
            var end = match;
            while (end < sql.Length && IsIdentifierPart(sql[end]))
                end++;
            if (inQuotedIdentifier)
                return end;   // a name (which the word cannot leave: a backtick is no identifier part)

            var start = match;
            while (start > 0 && IsIdentifierPart(sql[start - 1]))
                start--;
            if (start < segment)
                return -1;   // not expected (the segment starts after a token or a stop); be safe

            // A run that starts with a digit may be a number and a word (1e5for): leave it to the lexer. Otherwise, unquoted,
            // the lexer reads exactly this run of identifier characters as one token. After @ it is a variable; after a
            // dot a name (t.update), unless the dot ends a number (1.for).
            if (char.IsAsciiDigit(sql[start]))
                return -1;
            if (start > 0 && (sql[start - 1] == '@' || (sql[start - 1] == '.' && !(start > 1 && char.IsAsciiDigit(sql[start - 2])))))
                return end;
            return IsRiskyWord(Identify(sql[start..end]), query) ? -1 : end;
        }

        /// <summary>The next match of <see cref="RiskyWordFragments"/> from <paramref name="from"/>, or <see cref="int.MaxValue"/>.</summary>
        private readonly int NextFragment(int from)
        {
            var found = _sql[from..].IndexOfAny(RiskyWordFragments);
            return found < 0 ? int.MaxValue : from + found;
        }

        /// <summary>
        /// The next <c>(</c> from <paramref name="from"/> that may open a call to a function that writes, or
        /// <see cref="int.MaxValue"/>: after a qualified name (<c>db.f(</c>), a quoted name, a comment or a line break (the
        /// name may be further back), or after a name the catalog says may write.
        /// </summary>
        private readonly int NextCall(int from)
        {
            var sql = _sql;
            while (true)
            {
                var found = sql[from..].IndexOf('(');
                if (found < 0)
                    return int.MaxValue;
                var paren = from + found;
                from = paren + 1;

                var p = paren;
                while (p > 0 && sql[p - 1] is ' ' or '\t' or '\r')
                    p--;
                if (p == 0)
                    continue;
                var before = sql[p - 1];
                if (before is '/' || before < ' ')
                    return paren;   // a comment or a line break (which may end a comment) between the name and the parenthesis
                ReadOnlySpan<char> name;
                if (before == '`')
                {
                    var open = sql[..(p - 1)].LastIndexOf('`');
                    if (open <= 0 || sql[open - 1] == '`')
                        return paren;   // a doubled backtick: leave it to the lexer
                    name = sql[(open + 1)..(p - 1)];
                    p = open;
                }
                else if (IsIdentifierPart(before))
                {
                    var end = p;
                    while (p > 0 && IsIdentifierPart(sql[p - 1]))
                        p--;
                    name = sql[p..end];
                }
                else
                {
                    continue;
                }

                while (p > 0 && sql[p - 1] is ' ' or '\t' or '\r' or '\n')
                    p--;
                if ((p > 0 && sql[p - 1] == '.') || (Routines.HasWriters && Routines.Lookup(default, name) == RoutineAccess.MayWrite))
                    return paren;
            }
        }

        /// <summary>The next <c>@@</c> from <paramref name="from"/>, or <see cref="int.MaxValue"/>.</summary>
        private readonly int NextSystemVariable(int from)
        {
            var sql = _sql;
            while (true)
            {
                var found = sql[from..].IndexOf('@');
                if (found < 0)
                    return int.MaxValue;
                from += found + 1;
                if (from < sql.Length && sql[from] == '@')
                    return from - 1;
            }
        }

        /// <summary>The next of <see cref="SkimRareStops"/> from <paramref name="from"/>, or the end of the text.</summary>
        private readonly int NextRareStop(int from)
        {
            var found = _sql[from..].IndexOfAny(SkimRareStops);
            return found < 0 ? _sql.Length : from + found;
        }

        /// <summary>At <c>/*</c>: whether it opens <c>/*!</c> or <c>/*M!</c>, an executable comment.</summary>
        private static bool IsExecutableCommentStart(ReadOnlySpan<char> sql, int slash)
        {
            var p = slash + 2;
            return (p < sql.Length && sql[p] == '!') || (p + 1 < sql.Length && sql[p] == 'M' && sql[p + 1] == '!');
        }

        /// <summary>
        /// At <c>--</c>: whether it starts a comment, as the server reads it: followed by whitespace or a control character
        /// (<c>my_isspace</c>/<c>my_iscntrl</c>: up to the space, and DEL), or by the end of the text.
        /// </summary>
        private static bool StartsDashComment(ReadOnlySpan<char> sql, int dash) =>
            dash + 2 >= sql.Length || sql[dash + 2] <= ' ' || sql[dash + 2] == '\x7F';

        /// <summary>
        /// At <c>/*</c> outside an executable comment: skips an ordinary comment or a versioned comment this server does
        /// not run (which may hold one nested comment), or enters an executable comment, whose content is code.
        /// </summary>
        /// <remarks>
        /// <c>/*!</c> runs on both servers; <c>/*!</c> with a version (5 digits, or 6: MariaDB takes a sixth digit,
        /// MySQL only when whitespace follows it) runs when the server's version is at least that, except that MariaDB
        /// skips MySQL's versions 50700 to 99999; MariaDB's <c>/*M!</c> (with or without a version) is an ordinary comment
        /// to MySQL. Verified on MySQL 9.7 and MariaDB 10.11 (docs/routing.md).
        /// </remarks>
        private void SkipOrEnterComment()
        {
            var sql = _sql;
            var p = _position + 2;
            var unknown = _reading.Version == 0;
            var maria = p + 1 < sql.Length && sql[p] == 'M' && sql[p + 1] == '!';
            if (maria)
            {
                SawVersionedComment = true;
                Ambiguous |= unknown;
                if (!unknown && _reading.Flavor == ServerFlavor.MySql)
                {
                    SkipBlockComment();
                    return;
                }

                p++;
            }
            else if (p >= sql.Length || sql[p] != '!')
            {
                SkipBlockComment();
                return;
            }

            p++;   // after !
            var digits = VersionDigits(sql, p, _reading.Flavor);
            var runs = true;
            if (digits > 0)
            {
                SawVersionedComment = true;
                Ambiguous |= unknown;
                var version = int.Parse(sql.Slice(p, digits), provider: System.Globalization.CultureInfo.InvariantCulture);
                runs = unknown || (version <= _reading.Version
                    && (_reading.Flavor == ServerFlavor.MySql || maria || version is < 50700 or > 99999));
                p += digits;
            }

            if (runs)
            {
                _position = p;
                _inExecutableComment = true;
            }
            else
            {
                SkipVersionedComment(p);
            }
        }

        /// <summary>How many digits from <paramref name="p"/> are a comment's version: 5, 6, or 0 (then it is code).</summary>
        private static int VersionDigits(ReadOnlySpan<char> sql, int p, ServerFlavor flavor)
        {
            for (var i = 0; i < 5; i++)
            {
                if (p + i >= sql.Length || !char.IsAsciiDigit(sql[p + i]))
                    return 0;
            }

            if (p + 5 >= sql.Length || !char.IsAsciiDigit(sql[p + 5]))
                return 5;
            return flavor == ServerFlavor.MariaDb || (p + 6 < sql.Length && sql[p + 6] is ' ' or '\t' or '\n' or '\v' or '\f' or '\r')
                ? 6
                : 5;
        }

        /// <summary>From <paramref name="p"/> (after the version) to after the <c>*/</c> of a versioned comment the server skips, past one nested comment.</summary>
        private void SkipVersionedComment(int p)
        {
            var sql = _sql;
            while (true)
            {
                var close = sql[p..].IndexOf("*/");
                var open = sql[p..].IndexOf("/*");
                if (close < 0)
                    break;
                if (open < 0 || close < open)
                {
                    _position = p + close + 2;
                    return;
                }

                var nestedClose = sql[(p + open + 2)..].IndexOf("*/");   // a nested comment has none of its own
                if (nestedClose < 0)
                    break;
                p += open + 2 + nestedClose + 2;
            }

            Malformed = true;
            _position = sql.Length;
        }

        private void SkipLineComment(int contentStart)
        {
            var newline = _sql[contentStart..].IndexOf('\n');
            var end = newline < 0 ? _sql.Length : contentStart + newline;
            CheckHint(_sql[contentStart..end]);
            _position = newline < 0 ? _sql.Length : end + 1;
        }

        private void SkipBlockComment()
        {
            var contentStart = _position + 2;
            var close = _sql[contentStart..].IndexOf("*/");
            if (close < 0)
            {
                Malformed = true;
                _position = _sql.Length;
                return;
            }

            CheckHint(_sql.Slice(contentStart, close));
            _position = contentStart + close + 2;
        }

        private void CheckHint(ReadOnlySpan<char> comment)
        {
            if (!_atStatementStart)
                return;

            comment = comment.Trim();
            if (EqualsUpperAscii(comment, HintText))
            {
                SawHint = true;
            }
            else if (comment.Length > AllowStalePrefix.Length && EqualsUpperAscii(comment[..AllowStalePrefix.Length], AllowStalePrefix))
            {
                var bound = ParseStaleness(comment[AllowStalePrefix.Length..]);
                if (bound > 0)
                    MaxStalenessMs = SqlClassification.StricterStaleness(MaxStalenessMs, bound);
            }
        }

        /// <summary>
        /// <c>&lt;digits&gt;ms</c> or <c>&lt;digits&gt;s</c> (any case) as milliseconds, or 0 when it is anything else or
        /// outside <see cref="SqlClassification.AllowStaleMinMs"/> … <see cref="SqlClassification.AllowStaleMaxMs"/>.
        /// </summary>
        private static int ParseStaleness(ReadOnlySpan<char> duration)
        {
            long value = 0;
            var digits = 0;
            while (digits < duration.Length && char.IsAsciiDigit(duration[digits]))
            {
                value = (value * 10) + (duration[digits] - '0');
                if (value > SqlClassification.AllowStaleMaxMs)
                    return 0;   // too large in either unit; also stops long runs of digits from overflowing
                digits++;
            }

            if (digits == 0)
                return 0;

            var unit = duration[digits..];
            var milliseconds = EqualsUpperAscii(unit, "MS") ? value
                : EqualsUpperAscii(unit, "S") ? value * 1000
                : 0;
            return milliseconds is >= SqlClassification.AllowStaleMinMs and <= SqlClassification.AllowStaleMaxMs
                ? (int)milliseconds
                : 0;
        }

        private Token ReadToken()
        {
            var sql = _sql;
            var start = _position;
            if (start >= sql.Length)
            {
                if (_inExecutableComment)
                {
                    Malformed = true;   // an executable comment without its */
                    _inExecutableComment = false;
                }

                return new Token(TokenKind.End, Keyword.None, start, 0);
            }

            var c = sql[start];
            if (IsIdentifierStart(c))
                return ReadWord(start);
            if (c == '@')
                return ReadVariable(start);

            // One construction site keeps this method small enough for the JIT to inline what it calls.
            _position = start + 1;
            TokenKind kind;
            switch (c)
            {
                case >= '0' and <= '9':
                    // 12, 1.5, 1., 1e10, 0x1F, 0b101; 1abc and 0x1G are names. After a dot (t.1abc) always a name.
                    var isName = _afterDot;
                    _position = isName ? SkipIdentifierChars(start, allowDot: false) : SkipNumber(start, out isName);
                    kind = isName ? TokenKind.Identifier : TokenKind.Number;
                    break;
                case '.' when _position < sql.Length && char.IsAsciiDigit(sql[_position]) && !(start > 0 && (IsIdentifierPart(sql[start - 1]) || sql[start - 1] == '`')):
                    _position = SkipFraction(_position);   // .5 is a number, unless the dot follows a name (t.5)
                    kind = TokenKind.Number;
                    break;
                case '\'' or '"':
                    SkipQuoted(c);
                    kind = TokenKind.String;
                    break;
                case '`':
                    SkipQuoted(c);
                    kind = TokenKind.Identifier;
                    break;
                case ':' when _position < sql.Length && sql[_position] == '=':
                    _position++;
                    kind = TokenKind.Assign;
                    break;
                case ';':
                    kind = TokenKind.Semicolon;
                    break;
                case '(':
                    kind = TokenKind.OpenParen;
                    break;
                case ')':
                    kind = TokenKind.CloseParen;
                    break;
                case ',':
                    kind = TokenKind.Comma;
                    break;
                case '.':
                    kind = TokenKind.Dot;
                    break;
                case '=':
                    kind = TokenKind.Equals;
                    break;
                default:
                    kind = TokenKind.Other;
                    break;
            }

            return new Token(kind, Keyword.None, start, _position - start);
        }

        /// <summary>A word; after a dot (<c>t.select</c>) it is a name, never a keyword.</summary>
        private Token ReadWord(int start)
        {
            _position = SkipIdentifierChars(start + 1, allowDot: false);
            var length = _position - start;
            return _afterDot
                ? new Token(TokenKind.Identifier, Keyword.None, start, length)
                : new Token(TokenKind.Word, Identify(_sql.Slice(start, length)), start, length);
        }

        /// <summary>After <c>@</c>: a user variable, or after <c>@@</c> a system variable.</summary>
        private Token ReadVariable(int start)
        {
            var sql = _sql;
            _position = start + 1;
            if (_position < sql.Length && sql[_position] == '@')
            {
                var nameStart = _position + 1;
                _position = SkipIdentifierChars(nameStart, allowDot: true);
                var name = sql[nameStart.._position];
                var keyword = Identify(name[(name.LastIndexOf('.') + 1)..]);
                return new Token(
                    TokenKind.SystemVariable,
                    IsConnectionBoundVariable(keyword) ? keyword : Keyword.None,
                    nameStart,
                    name.Length);
            }

            if (_position < sql.Length && sql[_position] is '\'' or '"' or '`')
            {
                _position++;
                SkipQuoted(sql[_position - 1]);
            }
            else
            {
                _position = SkipIdentifierChars(_position, allowDot: true);
            }

            return new Token(TokenKind.UserVariable, Keyword.None, start, _position - start);
        }

        /// <summary>From just after the opening quote to just after the closing one; doubled quotes and (for literals) backslashes escape.</summary>
        private void SkipQuoted(char quote)
        {
            var sql = _sql;
            var escapes = _backslashEscapes && quote != '`';
            var p = _position;
            while (p < sql.Length)
            {
                // Most literals and quoted identifiers are short: look at a few characters before searching.
                var found = 0;
                var near = Math.Min(sql.Length - p, ShortRun);
                while (found < near && sql[p + found] != quote && !(escapes && sql[p + found] == '\\'))
                    found++;
                if (found == near)
                    found = escapes ? sql[p..].IndexOfAny(quote, '\\') : sql[p..].IndexOf(quote);

                if (found < 0)
                    break;
                p += found;
                if (sql[p] == '\\')
                {
                    if (p + 1 < sql.Length && sql[p + 1] == quote)
                        SawBackslashQuote = true;
                    p += 2;
                }
                else if (p + 1 < sql.Length && sql[p + 1] == quote)
                {
                    p += 2;   // doubled quote
                }
                else
                {
                    _position = p + 1;
                    return;
                }
            }

            Malformed = true;
            _position = sql.Length;
        }

        /// <summary>
        /// From a digit, to the end of the token the server reads there (MY_LEX_NUMBER_IDENT, MY_LEX_INT_OR_REAL,
        /// MY_LEX_REAL): a number ends where its digits, one dot and its fraction, or its exponent end, so that a word right
        /// after it is a token of its own (<c>1.FOR</c>, <c>1e5FOR</c>); digits followed by other identifier characters
        /// are a name (<c>1abc</c>, <c>0x1G</c>), which runs to the end of those.
        /// </summary>
        private readonly int SkipNumber(int start, out bool isName)
        {
            var sql = _sql;
            var p = start;
            isName = false;
            if (sql[p] == '0' && p + 1 < sql.Length && sql[p + 1] is 'x' or 'b')
            {
                var hex = sql[p + 1] == 'x';
                var q = p + 2;
                while (q < sql.Length && (hex ? char.IsAsciiHexDigit(sql[q]) : sql[q] is '0' or '1'))
                    q++;
                if (q > p + 2 && (q == sql.Length || !IsIdentifierPart(sql[q])))
                    return q;
                isName = true;
                return SkipIdentifierChars(start, allowDot: false);
            }

            while (p < sql.Length && char.IsAsciiDigit(sql[p]))
                p++;
            if (p < sql.Length && sql[p] == '.')
                return SkipFraction(p + 1);
            if (p < sql.Length && IsIdentifierPart(sql[p]))
            {
                var exponent = SkipExponent(p);
                isName = exponent < 0;
                return exponent > 0 ? exponent : SkipIdentifierChars(p, allowDot: false);
            }

            return p;
        }

        /// <summary>After a number's dot: its digits and exponent.</summary>
        private readonly int SkipFraction(int p)
        {
            var sql = _sql;
            while (p < sql.Length && char.IsAsciiDigit(sql[p]))
                p++;
            var exponent = SkipExponent(p);
            return exponent > 0 ? exponent : p;
        }

        /// <summary>At <c>e</c>/<c>E</c>: after <c>e[+-]digits</c>, or -1 when that is not what follows.</summary>
        private readonly int SkipExponent(int p)
        {
            var sql = _sql;
            if (p >= sql.Length || sql[p] is not ('e' or 'E'))
                return -1;
            p++;
            if (p < sql.Length && sql[p] is '+' or '-')
                p++;
            if (p >= sql.Length || !char.IsAsciiDigit(sql[p]))
                return -1;
            while (p < sql.Length && char.IsAsciiDigit(sql[p]))
                p++;
            return p;
        }

        /// <summary>How far a few character-by-character look-ups go before a vectorized search pays for itself.</summary>
        private const int ShortRun = 16;

        private readonly int SkipIdentifierChars(int p, bool allowDot)
        {
            var sql = _sql;
            while (p < sql.Length && (IsIdentifierPart(sql[p]) || (allowDot && sql[p] == '.')))
                p++;
            return p;
        }

        private static bool IsIdentifierStart(char c) => char.IsAsciiLetter(c) || c is '_' or '$' || c >= '\u0080';

        private static bool IsIdentifierPart(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '$' || c >= '\u0080';
    }
}
