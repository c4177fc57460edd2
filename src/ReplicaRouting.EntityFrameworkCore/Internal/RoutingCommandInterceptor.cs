using System.Data.Common;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore.Diagnostics;
using ReplicaRouting.Internal;

namespace ReplicaRouting.EntityFrameworkCore.Internal;

/// <summary>
/// Lets EF Core's own knowledge of a command decide before the SQL is sniffed: what EF itself runs to write or to
/// manage the schema (SaveChanges, ExecuteUpdate/ExecuteDelete, migrations, value generators, the database creator)
/// goes to the primary; user queries keep the classifier's verdict, plus the <c>ReadFromAnyReplica()</c> tag.
/// Stateless: one instance serves every context of every service provider.
/// </summary>
internal sealed partial class RoutingCommandInterceptor : DbCommandInterceptor
{
    public static readonly RoutingCommandInterceptor Instance = new();

    private RoutingCommandInterceptor()
    {
    }

    /// <summary>Called once per command, after EF set its text, parameters and transaction, before it runs.</summary>
    public override DbCommand CommandInitialized(CommandEndEventData eventData, DbCommand result)
    {
        // Master connections (database creation) and user-supplied connections are plain MySqlConnector commands.
        if (result is ReplicaRoutingCommand command)
            Apply(command, eventData.CommandSource);
        return result;
    }

    internal static void Apply(ReplicaRoutingCommand command, CommandSource source)
    {
        if (command.RoutingHint != RoutingHint.None)
            return;   // set by the caller on purpose

        switch (source)
        {
            case CommandSource.LinqQuery:
            case CommandSource.FromSqlQuery:
            case CommandSource.ExecuteSqlRaw:
                // The user's statement: the classifier decides (and honours the ReadFromPrimary tag).
                if (RoutingTags.AsksForAnyReplica(command.CommandText))
                    command.RoutingHint = RoutingHint.ReadFromAnyReplica;
                break;

            default:
                // Pomelo's guard before a write outside a transaction restores what every pooled connection has: it must not
                // pin the connection to the primary (it is pinned already when the application turned autocommit off).
                if (source == CommandSource.SaveChanges && EnsureAutocommit().Match(command.CommandText) is { Success: true } prefix)
                    command.RoutedTextStart = prefix.Length;

                // SaveChanges, ExecuteUpdate, ExecuteDelete, Migrations, ValueGenerator, Scaffolding and Unknown (EF's own
                // database-creator queries): the primary. Writes already go there; only what would look like a read to the
                // classifier (the history table, information_schema) needs the hint, so write reasons stay exact.
                // Before the servers are known, a versioned comment reads as Unknown here but may read as a read later.
                var context = (command.Connection as ReplicaRoutingConnection)?.SqlContext ?? SqlContext.Unknown;
                if (SqlClassifier.Classify(command.CommandText.AsSpan(command.RoutedTextStart), context).IsReplicaEligible
                    || (context.Readings.IsEmpty && command.CommandText.Contains("/*", StringComparison.Ordinal)))
                    command.RoutingHint = RoutingHint.ReadFromPrimary;
                break;
        }
    }

    [GeneratedRegex(@"\A\s*SET\s+AUTOCOMMIT\s*=\s*1\s*;", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex EnsureAutocommit();
}
