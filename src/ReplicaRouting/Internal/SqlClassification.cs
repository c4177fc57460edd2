namespace ReplicaRouting.Internal;

/// <summary>What a statement (or the strongest statement of a batch) is, as far as routing cares.</summary>
/// <remarks>Ordered by strength: when a batch mixes kinds, the largest value wins.</remarks>
internal enum StatementKind : byte
{
    /// <summary>Only whitespace and comments: nothing to execute.</summary>
    Empty,

    /// <summary>A plain read (SELECT, WITH … SELECT, SHOW, DESCRIBE, EXPLAIN, HELP, CHECKSUM TABLE): replica-eligible.</summary>
    Read,

    /// <summary>Transaction control that starts or ends a transaction (BEGIN, START TRANSACTION, COMMIT, ROLLBACK, XA …).</summary>
    TransactionControl,

    /// <summary>A read that takes locks or writes a result (FOR UPDATE, FOR SHARE, LOCK IN SHARE MODE, INTO, DO).</summary>
    LockingRead,

    /// <summary>A read that calls a function with side effects or connection-bound results (LAST_INSERT_ID, GET_LOCK, NEXTVAL …).</summary>
    SideEffectFunction,

    /// <summary>Changes session state (SET, user-variable assignment, temporary tables, LOCK TABLES, USE, PREPARE …).</summary>
    SessionState,

    /// <summary>Writes data or schema (INSERT, UPDATE, DELETE, REPLACE, LOAD, DDL, CALL, GRANT, …).</summary>
    Write,

    /// <summary>Not understood: goes to the primary (safe by default).</summary>
    Unknown,
}

/// <summary>Effects of a statement on the logical connection that outlive the statement.</summary>
[Flags]
internal enum SessionEffects : byte
{
    None = 0,

    /// <summary>Creates state only the primary connection holds (transaction, temp table, user variable, session SET, named lock, table lock): pin to the primary until the connection closes.</summary>
    PinsToPrimary = 1,

    /// <summary>Starts an explicitly read-only transaction (START TRANSACTION READ ONLY): may be served by one replica until it ends.</summary>
    BeginsReadOnlyTransaction = 2,

    /// <summary>Ends the current transaction (COMMIT, ROLLBACK).</summary>
    EndsTransaction = 4,

    /// <summary>
    /// Reports on the connection's previous statement (<c>ROW_COUNT()</c>, <c>FOUND_ROWS()</c>, <c>SHOW WARNINGS</c>,
    /// <c>GET DIAGNOSTICS</c> …): runs on the physical connection that ran that statement, wherever it was.
    /// </summary>
    ReadsPreviousStatement = 8,

    /// <summary>Creates, alters or drops a stored function or procedure: what calls to routines do may have changed.</summary>
    ChangesRoutines = 16,
}

/// <summary>A routing hint written in the SQL as a comment: <c>-- ReplicaRouting:ReadFromPrimary</c> or <c>/* ReplicaRouting:ReadFromPrimary */</c>.</summary>
/// <remarks>
/// The staleness hint (<c>-- ReplicaRouting:AllowStale=500ms</c>) is not a value here: it carries a bound, in
/// <see cref="SqlClassification.MaxStalenessMs"/>.
/// </remarks>
internal enum SqlHint : byte
{
    None,
    ReadFromPrimary,
}

/// <summary>The classifier's verdict on one command text (all statements of a multi-statement text combined).</summary>
/// <param name="Kind">The strongest statement kind.</param>
/// <param name="Effects">The session effects of all statements.</param>
/// <param name="Hint">The routing hint written as a leading comment, if any.</param>
/// <param name="MaxStalenessMs">
/// The bound of a <c>ReplicaRouting:AllowStale=&lt;n&gt;ms|s</c> leading comment, in milliseconds
/// (<see cref="AllowStaleMinMs"/> … <see cref="AllowStaleMaxMs"/>); 0 when there is none. Always 0 when
/// <paramref name="Hint"/> is <see cref="SqlHint.ReadFromPrimary"/>, which wins.
/// </param>
internal readonly record struct SqlClassification(StatementKind Kind, SessionEffects Effects, SqlHint Hint, int MaxStalenessMs = 0)
{
    /// <summary>The smallest staleness bound an AllowStale hint may carry: 1 ms.</summary>
    public const int AllowStaleMinMs = 1;

    /// <summary>The largest staleness bound an AllowStale hint may carry: 1 hour.</summary>
    public const int AllowStaleMaxMs = 3_600_000;

    /// <summary>
    /// A stored routine call (<c>CALL</c>, <see cref="System.Data.CommandType.StoredProcedure"/>): it may write, and it may leave
    /// session state behind (user variables, temporary tables), so it runs on the primary and pins the connection there.
    /// </summary>
    public static SqlClassification Routine => new(StatementKind.Write, SessionEffects.PinsToPrimary, SqlHint.None);

    /// <summary>True when the text may run on a replica as far as its own content goes.</summary>
    public bool IsReplicaEligible => Kind == StatementKind.Read;

    /// <summary>True when the text carries an AllowStale hint (and no ReadFromPrimary hint).</summary>
    public bool AllowsStale => MaxStalenessMs > 0;

    /// <summary>
    /// The verdict for two statements run together: the stronger kind, both effects, either hint, and the smaller
    /// (stricter) of two staleness bounds, or the one there is; no bound when either asks for the primary.
    /// </summary>
    public static SqlClassification Combine(SqlClassification first, SqlClassification second)
    {
        var hint = first.Hint != SqlHint.None ? first.Hint : second.Hint;
        return new(
            first.Kind >= second.Kind ? first.Kind : second.Kind,
            first.Effects | second.Effects,
            hint,
            hint == SqlHint.ReadFromPrimary ? 0 : StricterStaleness(first.MaxStalenessMs, second.MaxStalenessMs));
    }

    /// <summary>The smaller positive bound of two (0 = none): the stricter one.</summary>
    internal static int StricterStaleness(int first, int second) =>
        first <= 0 ? Math.Max(second, 0)
        : second <= 0 ? first
        : Math.Min(first, second);
}
