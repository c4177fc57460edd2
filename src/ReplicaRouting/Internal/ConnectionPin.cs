namespace ReplicaRouting.Internal;

/// <summary>What ties a logical connection to one node, beyond a single command.</summary>
internal enum ConnectionPin : byte
{
    /// <summary>Free: each command is routed on its own.</summary>
    None,

    /// <summary>
    /// A transaction is open on the primary; pinned until the connection closes, or until the transaction ends when it was
    /// begun through the API on a free connection and created no session state.
    /// </summary>
    Transaction,

    /// <summary>Session state lives on the primary connection; pinned until the connection closes.</summary>
    SessionState,

    /// <summary>An explicitly read-only transaction is open on one node; pinned until it ends.</summary>
    ReadOnlyTransaction,
}
