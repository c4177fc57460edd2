using MySqlConnector;

namespace ReplicaRouting.Internal;

/// <summary>
/// One MySQL Group Replication member's view of its group, from <c>performance_schema</c>: its own state and role, how many
/// members it sees ONLINE out of how many, and how far its applier is behind.
/// </summary>
/// <param name="State">ONLINE, RECOVERING, OFFLINE, ERROR or UNREACHABLE (the member's own row).</param>
/// <param name="Role">PRIMARY or SECONDARY (every ONLINE member is PRIMARY in a multi-primary group).</param>
/// <param name="Online">Members this member sees ONLINE, itself included.</param>
/// <param name="Members">Members in its view of the group (an expelled member drops out of the view).</param>
/// <param name="SinglePrimary">The group runs in single-primary mode.</param>
/// <param name="ApplierQueue">Transactions certified but not applied yet on this member.</param>
/// <param name="ApplyingFor">How long the oldest transaction its applier works on has been committed on its origin; null when idle.</param>
internal sealed record GroupView(string State, string Role, int Online, int Members, bool SinglePrimary, long ApplierQueue, TimeSpan? ApplyingFor)
{
    /// <summary>ONLINE in a view where a majority is ONLINE: a member that can commit (a minority blocks every commit).</summary>
    public bool HasQuorum => State == "ONLINE" && Online * 2 > Members;
}

/// <summary>
/// MySQL Group Replication: the group elects its primary and the library follows it (never second-guesses it). Members
/// are detected from the servers themselves: a server with <c>group_replication_group_name</c> set is judged by its view of
/// the group, not by <c>SHOW REPLICA STATUS</c>.
/// </summary>
internal static class GroupReplication
{
    /// <summary>Columns appended to the MySQL probe's first row: the group's name ('' or NULL when not a member) and mode.</summary>
    public const string ProbeColumns = """
        (SELECT VARIABLE_VALUE FROM performance_schema.global_variables WHERE VARIABLE_NAME = 'group_replication_group_name'),
        (SELECT VARIABLE_VALUE FROM performance_schema.global_variables WHERE VARIABLE_NAME = 'group_replication_single_primary_mode')
        """;

    // Needs SELECT on these three performance_schema tables (the probe user's only grants beyond the usual).
    private const string ViewSql = """
        SELECT m.MEMBER_ID = @@server_uuid, m.MEMBER_STATE, m.MEMBER_ROLE, s.COUNT_TRANSACTIONS_REMOTE_IN_APPLIER_QUEUE
          FROM performance_schema.replication_group_members m
          LEFT JOIN performance_schema.replication_group_member_stats s ON s.MEMBER_ID = m.MEMBER_ID;
        SELECT MAX(TIMESTAMPDIFF(MICROSECOND, APPLYING_TRANSACTION_ORIGINAL_COMMIT_TIMESTAMP, NOW(6)))
          FROM performance_schema.replication_applier_status_by_worker
         WHERE CHANNEL_NAME = 'group_replication_applier' AND APPLYING_TRANSACTION <> '';
        """;

    /// <summary>Reads the member's view of its group (one round trip, on the probe's connection).</summary>
    public static async Task<GroupView> ReadAsync(MySqlConnection connection, bool singlePrimary, CancellationToken cancellationToken)
    {
        var command = new MySqlCommand(ViewSql, connection);
        await using var disposeCommand = command.ConfigureAwait(false);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var disposeReader = reader.ConfigureAwait(false);
        string state = "OFFLINE", role = "";
        int online = 0, members = 0;
        long queue = 0;
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var memberState = reader.GetString(1);
            members++;
            if (memberState == "ONLINE")
                online++;
            if (reader.GetInt64(0) == 1)
            {
                (state, role) = (memberState, reader.IsDBNull(2) ? "" : reader.GetString(2));
                queue = reader.IsDBNull(3) ? 0 : reader.GetInt64(3);
            }
        }

        TimeSpan? applyingFor = null;
        if (await reader.NextResultAsync(cancellationToken).ConfigureAwait(false) && await reader.ReadAsync(cancellationToken).ConfigureAwait(false) && !reader.IsDBNull(0))
            applyingFor = TimeSpan.FromMicroseconds(Math.Max(0, reader.GetInt64(0)));
        return new GroupView(state, role, online, members, singlePrimary, queue, applyingFor);
    }

    /// <summary>
    /// The member writes go to in a multi-primary group: the first configured one that can commit. Every member could take
    /// them, but one stable writer means the application's own writes never conflict with each other in certification.
    /// -1 when no probe shows a multi-primary member.
    /// </summary>
    public static int MultiPrimaryWriter(ProbeResult[] results)
    {
        for (var i = 0; i < results.Length; i++)
        {
            if (results[i] is { Reachable: true, ReadOnly: false, Group: { SinglePrimary: false, HasQuorum: true } })
                return i;
        }

        return -1;
    }

    /// <summary>
    /// A member's status from its view of the group. The group's view wins over the configured role: its primary takes the
    /// writes, ONLINE secondaries the reads; a member that is recovering, has left (OFFLINE, ERROR), or sits in a minority
    /// that lost quorum gets nothing. <c>writer</c>: in a multi-primary group, whether this member is the one chosen for
    /// writes (see <see cref="MultiPrimaryWriter"/>).
    /// </summary>
    public static NodeStatus Assess(ProbeResult probe, GroupView group, NodeStatus previous, TimeSpan maxReplicaLag, GtidPosition? position, DateTimeOffset now, GtidPosition? primaryPosition, bool writer)
    {
        var endpoint = previous.Endpoint;
        if (group.State == "RECOVERING")
            return new NodeStatus(endpoint, NodeRole.Replica, NodeState.Broken, Lag: null, position, "group member is RECOVERING (catching up with the group)", now);
        if (group.State != "ONLINE")
            return new NodeStatus(endpoint, NodeRole.Demoted, NodeState.Broken, Lag: null, position, $"group member is {group.State}: not part of the group", now);
        if (!group.HasQuorum)
            return new NodeStatus(endpoint, NodeRole.Demoted, NodeState.Broken, Lag: null, position, $"group member lost quorum: it sees {group.Online} of {group.Members} members ONLINE", now);
        if (group.Role == "PRIMARY" && !probe.ReadOnly && writer)
            return new NodeStatus(endpoint, NodeRole.Primary, NodeState.Healthy, Lag: null, position, LastError: null, now);

        // A secondary (or, multi-primary, a member not chosen for writes). Lag: the heartbeat when configured, else none when it
        // has the primary's position or applies nothing, else how long ago its oldest transaction in apply was committed.
        var lag = probe.HeartbeatLag
            ?? (position is not null && primaryPosition is not null && primaryPosition.IsSatisfiedBy(position) ? TimeSpan.Zero : (TimeSpan?)null)
            ?? group.ApplyingFor
            ?? (group.ApplierQueue == 0 ? TimeSpan.Zero : (TimeSpan?)null);
        var (state, error) = lag switch
        {
            null => (NodeState.Lagging, $"lag is unknown ({group.ApplierQueue} transactions in the applier queue)"),
            { } l when l > maxReplicaLag => (NodeState.Lagging, $"lag {l.TotalMilliseconds:0} ms is above {maxReplicaLag.TotalMilliseconds:0} ms ({group.ApplierQueue} transactions in the applier queue)"),
            _ => (NodeState.Healthy, (string?)null),
        };
        return new NodeStatus(endpoint, NodeRole.Replica, state, lag, position, error, now);
    }
}
