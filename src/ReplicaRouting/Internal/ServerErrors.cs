using System.Net.Sockets;
using MySqlConnector;

namespace ReplicaRouting.Internal;

/// <summary>How to read MySqlConnector's exceptions: which mean "the node is gone" and which mean "the node was demoted".</summary>
internal static class ServerErrors
{
    /// <summary>
    /// The connection itself failed (refused, reset, closed, server shutting down), as opposed to the server rejecting the
    /// statement: the same statement may well succeed on another node.
    /// </summary>
    public static bool IsConnectionFailure(MySqlException exception) =>
        exception.ErrorCode is MySqlErrorCode.UnableToConnectToHost or MySqlErrorCode.ServerShutdown or MySqlErrorCode.ConnectionCountError
        || exception.Number is 2006 or 2013   // CR_SERVER_GONE_ERROR, CR_SERVER_LOST
        || exception.InnerException is IOException or SocketException or EndOfStreamException or ObjectDisposedException;

    /// <summary>
    /// <see cref="IsConnectionFailure(MySqlException)"/>, or the bare socket error MySqlConnector lets through from a few
    /// calls (<c>BeginTransaction</c> on a pooled connection whose server died).
    /// </summary>
    public static bool IsConnectionFailure(Exception exception) =>
        exception is MySqlException mySql ? IsConnectionFailure(mySql) : exception is IOException or SocketException;

    /// <summary>The node refused a write because it is read-only now (1290, 1792, 1836): it was demoted.</summary>
    public static bool IsReadOnlyRefusal(MySqlException exception) =>
        exception.ErrorCode == MySqlErrorCode.CannotExecuteInReadOnlyTransaction
        || exception.Number == 1836   // ER_READ_ONLY_MODE
        // 1290 names the option that refused: only --read-only/--super-read-only mean a replica or a demoted primary
        // (--secure-file-priv, --skip-grant-tables … refuse for good). The name is a parameter, so it is not translated.
        || (exception.ErrorCode == MySqlErrorCode.OptionPreventsStatement && exception.Message.Contains("read-only", StringComparison.OrdinalIgnoreCase));
}
