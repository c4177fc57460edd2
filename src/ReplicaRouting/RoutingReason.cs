namespace ReplicaRouting;

/// <summary>Why a command went where it went. Feeds logs, tests and (later) metric tags.</summary>
public enum RoutingReason
{
    /// <summary>A replica-eligible read in a mode that allows replicas.</summary>
    Read,

    /// <summary>The data source is configured with <see cref="ReadConsistency.Primary"/>.</summary>
    ConsistencyPrimary,

    /// <summary>The statement writes data or schema (whatever else holds: a transaction, session state, a hint, the consistency level).</summary>
    Write,

    /// <summary>The statement was not understood, so it went to the primary (safe by default).</summary>
    UnknownStatement,

    /// <summary>A locking read (<c>FOR UPDATE</c>, <c>FOR SHARE</c>, <c>LOCK IN SHARE MODE</c>) or <c>SELECT … INTO</c>.</summary>
    LockingRead,

    /// <summary>The statement calls a function whose result is bound to the connection or has side effects (<c>LAST_INSERT_ID()</c>, <c>GET_LOCK()</c> …).</summary>
    SideEffectFunction,

    /// <summary>The statement is transaction control (<c>COMMIT</c>, <c>ROLLBACK</c>, <c>SAVEPOINT</c> …).</summary>
    TransactionControl,

    /// <summary>A transaction is open on the primary: every statement other than a write stays on the primary.</summary>
    Transaction,

    /// <summary>The connection holds session state (temporary table, user variable, session <c>SET</c>, named lock …) that only its primary session has; writes say <see cref="Write"/>.</summary>
    SessionState,

    /// <summary>An explicitly read-only transaction runs on one replica until it ends.</summary>
    ReadOnlyTransaction,

    /// <summary>The caller asked for the primary (command API or a <c>ReplicaRouting:ReadFromPrimary</c> comment).</summary>
    ReadFromPrimaryHint,

    /// <summary>The read could have gone to a replica, but no replica was available.</summary>
    NoReplicaAvailable,

    /// <summary>A read-your-writes read on a replica that has applied the session's GTID position (known, or waited for in the same round trip).</summary>
    CausalRead,

    /// <summary>The session wrote recently and its position cannot be waited for (primary-after-write, or the write's GTID is unknown).</summary>
    RecentWrite,

    /// <summary>The replica did not reach the session's GTID position within the causal read timeout, so the read ran on the primary.</summary>
    CausalWaitTimedOut,

    /// <summary>The read allowed bounded staleness, but no replica was measured to be that fresh, so it ran on the primary.</summary>
    NoReplicaFreshEnough,

    /// <summary>
    /// The statement reports on the previous one (<c>ROW_COUNT()</c>, <c>FOUND_ROWS()</c>, <c>SHOW WARNINGS</c>, <c>GET DIAGNOSTICS</c> …),
    /// so it ran on the node that ran the previous statement.
    /// </summary>
    PreviousStatement,

    /// <summary>
    /// The statement looked like a read, but a replica refused it as a write (a stored function that modifies data): it ran on
    /// the primary, and counts as a write of the session.
    /// </summary>
    RefusedByReplica,

    /// <summary>
    /// The read needed a GTID wait on a replica, but <see cref="ReplicaRoutingOptions.MaxConcurrentCausalWaits"/> waits were
    /// already running, so it ran on the primary (load shedding).
    /// </summary>
    CausalWaitShed,

    /// <summary>
    /// The read needs a GTID position no readable replica is known to have applied, and the <see cref="ReplicaRoutingOptions.CausalReadPolicy"/>
    /// found none worth waiting on (<see cref="CausalReadPolicy.Adaptive"/>: the write is younger than every replica's expected
    /// apply delay; <see cref="CausalReadPolicy.Fast"/>: it never waits), so it ran on the primary at once, which has it now.
    /// </summary>
    ReplicasNotCaughtUp,

    /// <summary>
    /// Under <see cref="ReadConsistency.Causal"/> the read had to leave the node its previous read ran on, and no position of that
    /// node read since that read is known yet: it ran on the primary, which has at least what that read saw.
    /// </summary>
    CausalFloorUnknown,
}
