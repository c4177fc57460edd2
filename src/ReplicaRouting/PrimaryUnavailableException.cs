using System.Data.Common;

namespace ReplicaRouting;

/// <summary>
/// A statement that needs the primary was not sent, because no writable primary is known: it is unreachable, every node
/// is read-only (a failover is under way), or two nodes are writable (split brain). Nothing was executed, so the caller
/// may retry once the topology monitor sees a single writable primary again.
/// </summary>
public sealed class PrimaryUnavailableException : DbException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">Why no primary is available.</param>
    /// <param name="innerException">The failure that showed it, if any.</param>
    public PrimaryUnavailableException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }

    /// <summary>Gets <see langword="true"/>: the statement did not run, and may succeed once a primary is back.</summary>
    public override bool IsTransient => true;
}
