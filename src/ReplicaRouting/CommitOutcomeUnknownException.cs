using System.Data.Common;

namespace ReplicaRouting;

/// <summary>
/// The connection to the primary broke after a COMMIT or an autocommit write was sent and before the server answered:
/// the write may or may not have been committed. It is never retried automatically; check the data (or make the write
/// idempotent) before doing it again.
/// </summary>
public sealed class CommitOutcomeUnknownException : DbException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What was interrupted, and where.</param>
    /// <param name="innerException">The connection failure.</param>
    public CommitOutcomeUnknownException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Gets <see langword="false"/>: repeating the write blindly could apply it twice.</summary>
    public override bool IsTransient => false;
}
