namespace ReplicaRouting.Internal;

/// <summary>What the routing session asks of a replica-eligible read.</summary>
internal enum SessionRequirement : byte
{
    /// <summary>Nothing: any replica will do.</summary>
    None,

    /// <summary>The read must see the session's GTID position: a replica that has it, or that waits for it.</summary>
    Position,

    /// <summary>The session wrote recently and its position is unknown (or the strategy is primary-after-write).</summary>
    RecentWrite,

    /// <summary>The session's last write is younger than every replica's expected apply delay: only the primary has it now.</summary>
    NotYetOnReplicas,
}

/// <summary>Everything the routing decision depends on, gathered before a command runs.</summary>
internal readonly record struct RoutingFacts(
    SqlClassification Statement,
    RoutingHint Hint,
    ConnectionPin Pin,
    ReadConsistency Consistency,
    SessionRequirement Session = SessionRequirement.None,
    bool PreviousOnReplica = false);

/// <summary>The pure routing decision: facts in, target and reason out. Selecting the replica is a separate step.</summary>
internal static class Router
{
    public static (RouteTarget Target, RoutingReason Reason) Decide(in RoutingFacts facts) => facts switch
    {
        // Inside a read-only transaction every statement must run where the transaction is.
        { Pin: ConnectionPin.ReadOnlyTransaction } => (RouteTarget.Replica, RoutingReason.ReadOnlyTransaction),

        // A write goes to the primary whatever else holds (a pin, a hint, the consistency level): it is reported as a write,
        // so logs and the commands metric count writes as writes (a batch that starts a read-only transaction excepted).
        { Statement: { Kind: StatementKind.Write, Effects: var e } } when (e & SessionEffects.BeginsReadOnlyTransaction) == 0
            => (RouteTarget.Primary, RoutingReason.Write),

        // State the primary session holds wins over everything else.
        { Pin: ConnectionPin.Transaction } => (RouteTarget.Primary, RoutingReason.Transaction),
        { Pin: ConnectionPin.SessionState } => (RouteTarget.Primary, RoutingReason.SessionState),

        // ROW_COUNT(), FOUND_ROWS(), SHOW WARNINGS … report on the previous statement: they run where it ran (a write wins).
        { Statement: { Effects: var e, Kind: < StatementKind.Write } } when (e & SessionEffects.ReadsPreviousStatement) != 0
            => (facts.PreviousOnReplica ? RouteTarget.Replica : RouteTarget.Primary, RoutingReason.PreviousStatement),

        // A statement that creates primary-side state goes there (and the connection pins after it).
        { Statement.Effects: var e } when (e & SessionEffects.PinsToPrimary) != 0 => (RouteTarget.Primary, PinReason(facts.Statement.Kind)),

        { Consistency: ReadConsistency.Primary } => (RouteTarget.Primary, RoutingReason.ConsistencyPrimary),
        { Hint: RoutingHint.ReadFromPrimary } => (RouteTarget.Primary, RoutingReason.ReadFromPrimaryHint),
        { Statement.Hint: SqlHint.ReadFromPrimary } => (RouteTarget.Primary, RoutingReason.ReadFromPrimaryHint),

        // A read-only transaction is only sent to a replica when the session asks nothing of it.
        { Statement.Effects: var e, Session: not SessionRequirement.None, Hint: not RoutingHint.ReadFromAnyReplica }
            when (e & SessionEffects.BeginsReadOnlyTransaction) != 0 => (RouteTarget.Primary, RoutingReason.RecentWrite),
        { Statement.Effects: var e } when (e & SessionEffects.BeginsReadOnlyTransaction) != 0 => (RouteTarget.Replica, RoutingReason.ReadOnlyTransaction),

        { Statement.Kind: StatementKind.Read, Hint: RoutingHint.ReadFromAnyReplica } => (RouteTarget.Replica, RoutingReason.Read),
        { Statement.Kind: StatementKind.Read, Session: SessionRequirement.RecentWrite } => (RouteTarget.Primary, RoutingReason.RecentWrite),
        { Statement.Kind: StatementKind.Read, Session: SessionRequirement.NotYetOnReplicas } => (RouteTarget.Primary, RoutingReason.ReplicasNotCaughtUp),
        { Statement.Kind: StatementKind.Read, Session: SessionRequirement.Position } => (RouteTarget.Replica, RoutingReason.CausalRead),
        { Statement.Kind: StatementKind.Read } => (RouteTarget.Replica, RoutingReason.Read),
        _ => (RouteTarget.Primary, PrimaryReason(facts.Statement.Kind)),
    };

    private static RoutingReason PinReason(StatementKind kind) =>
        kind == StatementKind.TransactionControl ? RoutingReason.Transaction : RoutingReason.SessionState;

    private static RoutingReason PrimaryReason(StatementKind kind) => kind switch
    {
        StatementKind.LockingRead => RoutingReason.LockingRead,
        StatementKind.SideEffectFunction => RoutingReason.SideEffectFunction,
        StatementKind.SessionState => RoutingReason.SessionState,
        StatementKind.TransactionControl => RoutingReason.TransactionControl,
        _ => RoutingReason.UnknownStatement,
    };
}
