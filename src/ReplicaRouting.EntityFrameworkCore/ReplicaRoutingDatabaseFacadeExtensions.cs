using Microsoft.EntityFrameworkCore.Infrastructure;
using ReplicaRouting;

namespace Microsoft.EntityFrameworkCore;

/// <summary>Binds a routed context to a unit of work explicitly.</summary>
public static class ReplicaRoutingDatabaseFacadeExtensions
{
    /// <summary>
    /// Makes every command of this context belong to <paramref name="session"/>, whatever session is ambient where it runs
    /// (see <see cref="ReplicaRoutingConnection.Session"/>). A pooled context forgets it when it returns to the pool.
    /// </summary>
    /// <param name="database">The context's <c>Database</c>.</param>
    /// <param name="session">The session, or <see langword="null"/> to follow the ambient one again.</param>
    /// <exception cref="InvalidOperationException">The context does not use <c>UseReplicaRouting</c>.</exception>
    public static void UseRoutingSession(this DatabaseFacade database, RoutingSession? session)
    {
        ArgumentNullException.ThrowIfNull(database);
        if (database.GetDbConnection() is not ReplicaRoutingConnection connection)
            throw new InvalidOperationException("UseRoutingSession needs a context configured with UseReplicaRouting.");
        connection.Session = session;
    }
}
