// EF's analyzer flags every ".Internal" namespace, this package's own internals (visible to tests) included.
#pragma warning disable EF1001

using Microsoft.EntityFrameworkCore.Diagnostics;
using ReplicaRouting.EntityFrameworkCore.Internal;

namespace ReplicaRouting.IntegrationTests.EntityFrameworkCore;

/// <summary>The interceptor's rules on command text and EF's command source; no server needed.</summary>
public sealed class InterceptorRulesTests
{
    [Theory]
    [InlineData("-- ReplicaRouting:ReadFromAnyReplica\n\nSELECT 1", true)]
    [InlineData("-- report\n-- ReplicaRouting:ReadFromAnyReplica\r\n\r\nSELECT 1", true)]
    [InlineData("--   replicarouting:readfromanyreplica   \nSELECT 1", true)]
    [InlineData("-- ReplicaRouting:ReadFromAnyReplica\n-- ReplicaRouting:ReadFromPrimary\n\nSELECT 1", false)]
    [InlineData("-- ReplicaRouting:ReadFromPrimary\n-- ReplicaRouting:ReadFromAnyReplica\n\nSELECT 1", false)]
    [InlineData("SELECT 1 -- ReplicaRouting:ReadFromAnyReplica", false)]
    [InlineData("SELECT '-- ReplicaRouting:ReadFromAnyReplica'", false)]
    [InlineData("-- ReplicaRouting:ReadFromAnyReplicas\nSELECT 1", false)]
    [InlineData("-- ReplicaRouting:ReadFromAnyReplica", true)]
    [InlineData("", false)]
    public void Any_replica_tag_is_found_only_among_the_leading_tag_lines(string sql, bool expected) =>
        Assert.Equal(expected, RoutingTags.AsksForAnyReplica(sql));

    [Theory]
    [InlineData(CommandSource.SaveChanges, "SELECT 1", RoutingHint.ReadFromPrimary)]
    [InlineData(CommandSource.Migrations, "SELECT MigrationId FROM __EFMigrationsHistory", RoutingHint.ReadFromPrimary)]
    [InlineData(CommandSource.Unknown, "SELECT COUNT(*) FROM information_schema.tables", RoutingHint.ReadFromPrimary)]
    [InlineData(CommandSource.ExecuteUpdate, "UPDATE t SET a = 1", RoutingHint.None)]   // a write goes there anyway: reason stays Write
    [InlineData(CommandSource.ExecuteDelete, "DELETE FROM t", RoutingHint.None)]
    [InlineData(CommandSource.LinqQuery, "SELECT 1", RoutingHint.None)]
    [InlineData(CommandSource.LinqQuery, "-- ReplicaRouting:ReadFromAnyReplica\n\nSELECT 1", RoutingHint.ReadFromAnyReplica)]
    [InlineData(CommandSource.FromSqlQuery, "-- ReplicaRouting:ReadFromAnyReplica\n\nSELECT 1", RoutingHint.ReadFromAnyReplica)]
    [InlineData(CommandSource.SaveChanges, "-- ReplicaRouting:ReadFromAnyReplica\n\nSELECT 1", RoutingHint.ReadFromPrimary)]
    public void Ef_command_source_decides_before_the_sql(CommandSource source, string sql, RoutingHint expected)
    {
        using var command = new ReplicaRoutingCommand(sql);
        RoutingCommandInterceptor.Apply(command, source);
        Assert.Equal(expected, command.RoutingHint);
    }

    [Fact]
    public void A_hint_the_caller_set_is_kept()
    {
        using var command = new ReplicaRoutingCommand("-- ReplicaRouting:ReadFromAnyReplica\nSELECT 1") { RoutingHint = RoutingHint.ReadFromPrimary };
        RoutingCommandInterceptor.Apply(command, CommandSource.LinqQuery);
        Assert.Equal(RoutingHint.ReadFromPrimary, command.RoutingHint);
    }
}
