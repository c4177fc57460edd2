using System.Data.Common;

namespace ReplicaRouting;

/// <summary>
/// A read was not sent because a load-shedding limit was reached: it needed the session's GTID position, no replica could
/// serve it, and <see cref="ReplicaRoutingOptions.MaxConcurrentPrimaryFallbacks"/> connections were already reading the
/// primary on behalf of such reads. Nothing was executed. Writes never fail this way.
/// </summary>
public sealed class ReplicaRoutingOverloadedException : DbException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">Which limit was reached.</param>
    /// <param name="limitName">The option that sets the limit.</param>
    /// <param name="limit">The limit's value in force.</param>
    public ReplicaRoutingOverloadedException(string message, string limitName, int limit)
        : base(message)
    {
        LimitName = limitName;
        Limit = limit;
    }

    /// <summary>Gets the name of the <see cref="ReplicaRoutingOptions"/> property whose limit was reached.</summary>
    public string LimitName { get; }

    /// <summary>Gets the value of that limit.</summary>
    public int Limit { get; }

    /// <summary>Gets <see langword="true"/>: the read did not run, and may succeed once the replicas catch up or the load falls.</summary>
    public override bool IsTransient => true;
}
