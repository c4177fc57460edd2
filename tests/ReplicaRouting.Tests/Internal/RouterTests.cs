using ReplicaRouting.Internal;

namespace ReplicaRouting.Tests.Internal;

public class RouterTests
{
    private const StatementKind Read = StatementKind.Read;
    private const SessionEffects NoEffect = SessionEffects.None;
    private const SessionEffects Pins = SessionEffects.PinsToPrimary;
    private const SessionEffects BeginsRo = SessionEffects.BeginsReadOnlyTransaction;
    private const SessionEffects Ends = SessionEffects.EndsTransaction;
    private const ReadConsistency Eventual = ReadConsistency.Eventual;
    private const ReadConsistency Primary = ReadConsistency.Primary;

    // kind, effects, sql hint, command hint, pin, consistency → target, reason
    // (internal enums travel as object: a public theory cannot name them)
    public static TheoryData<object, object, object, RoutingHint, object, ReadConsistency, RouteTarget, RoutingReason> Cases => new()
    {
        // plain split
        { Read, NoEffect, SqlHint.None, RoutingHint.None, ConnectionPin.None, Eventual, RouteTarget.Replica, RoutingReason.Read },
        { StatementKind.Write, NoEffect, SqlHint.None, RoutingHint.None, ConnectionPin.None, Eventual, RouteTarget.Primary, RoutingReason.Write },
        { StatementKind.Unknown, NoEffect, SqlHint.None, RoutingHint.None, ConnectionPin.None, Eventual, RouteTarget.Primary, RoutingReason.UnknownStatement },
        { StatementKind.Empty, NoEffect, SqlHint.None, RoutingHint.None, ConnectionPin.None, Eventual, RouteTarget.Primary, RoutingReason.UnknownStatement },
        { StatementKind.LockingRead, NoEffect, SqlHint.None, RoutingHint.None, ConnectionPin.None, Eventual, RouteTarget.Primary, RoutingReason.LockingRead },
        { StatementKind.SideEffectFunction, NoEffect, SqlHint.None, RoutingHint.None, ConnectionPin.None, Eventual, RouteTarget.Primary, RoutingReason.SideEffectFunction },
        { StatementKind.SideEffectFunction, Pins, SqlHint.None, RoutingHint.None, ConnectionPin.None, Eventual, RouteTarget.Primary, RoutingReason.SessionState },
        { StatementKind.SessionState, Pins, SqlHint.None, RoutingHint.None, ConnectionPin.None, Eventual, RouteTarget.Primary, RoutingReason.SessionState },
        { StatementKind.TransactionControl, Pins, SqlHint.None, RoutingHint.None, ConnectionPin.None, Eventual, RouteTarget.Primary, RoutingReason.Transaction },
        { StatementKind.TransactionControl, Ends, SqlHint.None, RoutingHint.None, ConnectionPin.None, Eventual, RouteTarget.Primary, RoutingReason.TransactionControl },
        // hints
        { Read, NoEffect, SqlHint.ReadFromPrimary, RoutingHint.None, ConnectionPin.None, Eventual, RouteTarget.Primary, RoutingReason.ReadFromPrimaryHint },
        { Read, NoEffect, SqlHint.None, RoutingHint.ReadFromPrimary, ConnectionPin.None, Eventual, RouteTarget.Primary, RoutingReason.ReadFromPrimaryHint },
        { StatementKind.Write, NoEffect, SqlHint.None, RoutingHint.ReadFromPrimary, ConnectionPin.None, Eventual, RouteTarget.Primary, RoutingReason.Write },
        // a write is a write, pinned or not (EF's SaveChanges in its transaction, after SET AUTOCOMMIT = 1)
        { StatementKind.Write, NoEffect, SqlHint.None, RoutingHint.None, ConnectionPin.Transaction, Eventual, RouteTarget.Primary, RoutingReason.Write },
        { StatementKind.Write, NoEffect, SqlHint.None, RoutingHint.None, ConnectionPin.SessionState, Eventual, RouteTarget.Primary, RoutingReason.Write },
        { StatementKind.Write, Pins, SqlHint.None, RoutingHint.None, ConnectionPin.None, Eventual, RouteTarget.Primary, RoutingReason.Write },
        // pins win over everything
        { Read, NoEffect, SqlHint.None, RoutingHint.None, ConnectionPin.Transaction, Eventual, RouteTarget.Primary, RoutingReason.Transaction },
        { Read, NoEffect, SqlHint.None, RoutingHint.None, ConnectionPin.SessionState, Eventual, RouteTarget.Primary, RoutingReason.SessionState },
        { Read, NoEffect, SqlHint.None, RoutingHint.None, ConnectionPin.Transaction, Primary, RouteTarget.Primary, RoutingReason.Transaction },
        // read-only transactions
        { StatementKind.TransactionControl, BeginsRo, SqlHint.None, RoutingHint.None, ConnectionPin.None, Eventual, RouteTarget.Replica, RoutingReason.ReadOnlyTransaction },
        { StatementKind.TransactionControl, BeginsRo, SqlHint.None, RoutingHint.None, ConnectionPin.None, Primary, RouteTarget.Primary, RoutingReason.ConsistencyPrimary },
        { Read, NoEffect, SqlHint.None, RoutingHint.None, ConnectionPin.ReadOnlyTransaction, Eventual, RouteTarget.Replica, RoutingReason.ReadOnlyTransaction },
        { StatementKind.Write, NoEffect, SqlHint.None, RoutingHint.None, ConnectionPin.ReadOnlyTransaction, Eventual, RouteTarget.Replica, RoutingReason.ReadOnlyTransaction },
        { StatementKind.TransactionControl, Ends, SqlHint.None, RoutingHint.None, ConnectionPin.ReadOnlyTransaction, Eventual, RouteTarget.Replica, RoutingReason.ReadOnlyTransaction },
        { StatementKind.SessionState, Pins, SqlHint.None, RoutingHint.None, ConnectionPin.ReadOnlyTransaction, Eventual, RouteTarget.Replica, RoutingReason.ReadOnlyTransaction },
        // no split
        { Read, NoEffect, SqlHint.None, RoutingHint.None, ConnectionPin.None, Primary, RouteTarget.Primary, RoutingReason.ConsistencyPrimary },
        { StatementKind.Write, NoEffect, SqlHint.None, RoutingHint.None, ConnectionPin.None, Primary, RouteTarget.Primary, RoutingReason.Write },
    };

    // read-your-writes: session requirement, statement kind, hint → target, reason
    public static TheoryData<object, object, RoutingHint, RouteTarget, RoutingReason> SessionCases => new()
    {
        { SessionRequirement.None, Read, RoutingHint.None, RouteTarget.Replica, RoutingReason.Read },
        { SessionRequirement.Position, Read, RoutingHint.None, RouteTarget.Replica, RoutingReason.CausalRead },
        { SessionRequirement.RecentWrite, Read, RoutingHint.None, RouteTarget.Primary, RoutingReason.RecentWrite },
        { SessionRequirement.Position, Read, RoutingHint.ReadFromAnyReplica, RouteTarget.Replica, RoutingReason.Read },
        { SessionRequirement.RecentWrite, Read, RoutingHint.ReadFromAnyReplica, RouteTarget.Replica, RoutingReason.Read },
        { SessionRequirement.Position, Read, RoutingHint.ReadFromPrimary, RouteTarget.Primary, RoutingReason.ReadFromPrimaryHint },
        { SessionRequirement.None, StatementKind.Write, RoutingHint.ReadFromAnyReplica, RouteTarget.Primary, RoutingReason.Write },
        { SessionRequirement.Position, StatementKind.LockingRead, RoutingHint.None, RouteTarget.Primary, RoutingReason.LockingRead },
        { SessionRequirement.NotYetOnReplicas, Read, RoutingHint.None, RouteTarget.Primary, RoutingReason.ReplicasNotCaughtUp },
        { SessionRequirement.NotYetOnReplicas, Read, RoutingHint.ReadFromAnyReplica, RouteTarget.Replica, RoutingReason.Read },
    };

    [Theory]
    [MemberData(nameof(SessionCases))]
    public void Read_your_writes_follows_the_session(object requirement, object kind, RoutingHint hint, RouteTarget target, RoutingReason reason)
    {
        var facts = new RoutingFacts(new SqlClassification((StatementKind)kind, NoEffect, SqlHint.None), hint, ConnectionPin.None, ReadConsistency.ReadYourWrites, (SessionRequirement)requirement);
        Assert.Equal((target, reason), Router.Decide(facts));
    }

    [Fact]
    public void A_read_only_transaction_of_a_session_with_writes_starts_on_the_primary()
    {
        var start = new SqlClassification(StatementKind.TransactionControl, BeginsRo, SqlHint.None);
        Assert.Equal((RouteTarget.Primary, RoutingReason.RecentWrite), Router.Decide(new RoutingFacts(start, RoutingHint.None, ConnectionPin.None, ReadConsistency.ReadYourWrites, SessionRequirement.Position)));
        Assert.Equal((RouteTarget.Replica, RoutingReason.ReadOnlyTransaction), Router.Decide(new RoutingFacts(start, RoutingHint.None, ConnectionPin.None, ReadConsistency.ReadYourWrites)));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Decides_from_the_facts(object kind, object effects, object sqlHint, RoutingHint hint, object pin, ReadConsistency consistency, RouteTarget target, RoutingReason reason)
    {
        var facts = new RoutingFacts(new SqlClassification((StatementKind)kind, (SessionEffects)effects, (SqlHint)sqlHint), hint, (ConnectionPin)pin, consistency);
        Assert.Equal((target, reason), Router.Decide(facts));
    }

    [Fact]
    public void Deciding_allocates_nothing()
    {
        var facts = new RoutingFacts(new SqlClassification(Read, NoEffect, SqlHint.None), RoutingHint.None, ConnectionPin.None, Eventual);
        Router.Decide(facts);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
            Router.Decide(facts);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void A_write_never_goes_to_a_replica_outside_a_read_only_transaction()
    {
        foreach (var kind in Enum.GetValues<StatementKind>())
        foreach (var effects in new[] { NoEffect, Pins, BeginsRo, Ends, Pins | Ends })
        foreach (var sqlHint in Enum.GetValues<SqlHint>())
        foreach (var hint in Enum.GetValues<RoutingHint>())
        foreach (var pin in new[] { ConnectionPin.None, ConnectionPin.Transaction, ConnectionPin.SessionState })
        foreach (var consistency in Enum.GetValues<ReadConsistency>())
        foreach (var requirement in Enum.GetValues<SessionRequirement>())
        {
            var (target, _) = Router.Decide(new RoutingFacts(new SqlClassification(kind, effects, sqlHint), hint, pin, consistency, requirement));
            if (target == RouteTarget.Replica)
                Assert.True(kind == Read || (effects & BeginsRo) != 0, $"{kind} {effects} went to a replica");
        }
    }
}
