using MySqlConnector;

namespace ReplicaRouting.Internal;

/// <summary>What a probe read of a MariaDB Galera node's <c>wsrep_*</c> status (present only when <c>wsrep_on</c> is ON).</summary>
/// <param name="LocalState"><c>wsrep_local_state</c>: 1 Joining, 2 Donor/Desynced, 3 Joined, 4 Synced.</param>
/// <param name="LocalStateComment"><c>wsrep_local_state_comment</c>, as the server words it.</param>
/// <param name="Ready"><c>wsrep_ready</c>: the node accepts queries.</param>
/// <param name="PrimaryComponent"><c>wsrep_cluster_status</c> is <c>Primary</c>: the node is in the component that has quorum.</param>
/// <param name="ClusterSize"><c>wsrep_cluster_size</c>: members of the node's component.</param>
/// <param name="RecvQueue"><c>wsrep_local_recv_queue</c>: writesets received but not applied yet.</param>
/// <param name="FlowControlPaused"><c>wsrep_flow_control_paused</c>: fraction of time replication was paused by flow control since the last FLUSH STATUS.</param>
internal sealed record GaleraProbe(int LocalState, string LocalStateComment, bool Ready, bool PrimaryComponent, int ClusterSize, long RecvQueue, double FlowControlPaused)
{
    public const int Synced = 4;
    public const int DonorDesynced = 2;

    /// <summary>A member that may take writes and reads: Synced, ready, in the primary component.</summary>
    public bool Usable => PrimaryComponent && Ready && LocalState == Synced;
}

/// <summary>
/// MariaDB Galera: every member is writable, so the library chooses ONE writer itself (two writers of the same application
/// would fail each other's commits with certification conflicts). The choice is deterministic, so every process configured
/// alike agrees: the configured primary while it is usable, else the usable member that comes first in the configuration.
/// A member outside the primary component gets nothing; a donor, joining or desynced one gets no reads.
/// </summary>
internal static class Galera
{
    /// <summary>
    /// The probe's extra columns (after the replication ones): wsrep_on, then the status as <c>NAME=value</c> pairs. Scalar
    /// subqueries only: a member outside the primary component refuses a statement with a FROM clause (1047, "WSREP has not
    /// yet prepared node for application use") but answers these, and it is exactly that member the probe must still see.
    /// </summary>
    public const string ProbeColumns = """
        (SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_VARIABLES WHERE VARIABLE_NAME = 'WSREP_ON'),
          (SELECT GROUP_CONCAT(VARIABLE_NAME, '=', VARIABLE_VALUE SEPARATOR ';') FROM information_schema.GLOBAL_STATUS
            WHERE VARIABLE_NAME IN ('WSREP_LOCAL_STATE', 'WSREP_LOCAL_STATE_COMMENT', 'WSREP_READY', 'WSREP_CLUSTER_STATUS',
              'WSREP_CLUSTER_SIZE', 'WSREP_LOCAL_RECV_QUEUE', 'WSREP_FLOW_CONTROL_PAUSED'))
        """;

    /// <summary>Reads <see cref="ProbeColumns"/> from <paramref name="first"/> on; null when wsrep is off (not a Galera node).</summary>
    public static GaleraProbe? Read(MySqlDataReader reader, int first)
    {
        if (reader.IsDBNull(first) || !string.Equals(reader.GetString(first), "ON", StringComparison.OrdinalIgnoreCase))
            return null;
        var status = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (!reader.IsDBNull(first + 1))
        {
            foreach (var pair in reader.GetString(first + 1).Split(';'))
            {
                if (pair.Split('=', 2) is [var name, var value])
                    status[name] = value;
            }
        }

        string Text(string name) => status.GetValueOrDefault(name, "");
        var invariant = System.Globalization.CultureInfo.InvariantCulture;
        return new GaleraProbe(
            LocalState: int.TryParse(Text("WSREP_LOCAL_STATE"), invariant, out var state) ? state : 0,
            LocalStateComment: Text("WSREP_LOCAL_STATE_COMMENT"),
            Ready: string.Equals(Text("WSREP_READY"), "ON", StringComparison.OrdinalIgnoreCase),
            PrimaryComponent: string.Equals(Text("WSREP_CLUSTER_STATUS"), "Primary", StringComparison.OrdinalIgnoreCase),
            ClusterSize: int.TryParse(Text("WSREP_CLUSTER_SIZE"), invariant, out var size) ? size : 0,
            RecvQueue: long.TryParse(Text("WSREP_LOCAL_RECV_QUEUE"), invariant, out var queue) ? queue : 0,
            FlowControlPaused: double.TryParse(Text("WSREP_FLOW_CONTROL_PAUSED"), invariant, out var paused) ? paused : 0);
    }

    /// <summary>
    /// The writer among <paramref name="results"/> (indexes as configured; 0 is the configured primary): the first usable
    /// member, or -1 when none is (quorum lost, every member joining or desynced). Null when no node is a Galera member.
    /// </summary>
    public static (int Index, string Reason)? ChooseWriter(IReadOnlyList<ProbeResult> results)
    {
        var members = 0;
        for (var i = 0; i < results.Count; i++)
        {
            if (results[i].Galera is not { } galera)
                continue;
            members++;
            if (galera.Usable)
            {
                return (i, i == 0
                    ? "the configured primary, Synced in the primary component"
                    : $"the first configured member that is Synced in the primary component (the configured primary is {Describe(results[0])})");
            }
        }

        return members == 0 ? null : (-1, "no Galera member is Synced in the primary component");
    }

    /// <summary>
    /// A member's status. The chosen writer is the Primary; other members are Replicas that read when Synced (or, with
    /// <paramref name="desyncedReads"/>, Donor/Desynced).
    /// </summary>
    public static NodeStatus Assess(ProbeResult probe, GaleraProbe galera, NodeStatus previous, GtidPosition? position, DateTimeOffset now, bool writer, bool desyncedReads = false)
    {
        // A heartbeat, when configured, measures lag as on any replica; Galera itself reports only its receive queue.
        var lag = probe.HeartbeatLag;
        var (state, problem) = galera switch
        {
            { PrimaryComponent: false } => (NodeState.Broken, $"outside the primary component (wsrep_cluster_status non-Primary, {galera.ClusterSize} member(s) in its component): it gets no reads nor writes"),
            { Ready: false } => (NodeState.Broken, "wsrep_ready is OFF: it gets no reads nor writes"),
            { LocalState: GaleraProbe.Synced } => (NodeState.Healthy, (string?)null),
            { LocalState: GaleraProbe.DonorDesynced } when desyncedReads && !writer => (NodeState.Healthy, $"{galera.LocalStateComment}: reads allowed (ReadFromDesyncedGaleraMembers)"),
            _ => (NodeState.Lagging, $"{galera.LocalStateComment} (wsrep_local_state {galera.LocalState}, receive queue {galera.RecvQueue}): it gets no reads"),
        };
        return new NodeStatus(previous.Endpoint, writer ? NodeRole.Primary : NodeRole.Replica, state, writer ? null : lag, position, problem, now);
    }

    /// <summary>
    /// A wait before a read that WSREP_SYNC_WAIT_UPTO_GTID refused: 1205 on timeout (it raises an error instead of returning
    /// a value), 1210 for a position it cannot wait for (more than one GTID). The read then goes to the writer.
    /// </summary>
    public static bool IsWaitNotReached(MySqlException exception) => exception.Number is 1205 or 1210;

    private static string Describe(ProbeResult probe) => probe switch
    {
        { Reachable: false } => "unreachable",
        { Galera: { } g } when !g.PrimaryComponent => "outside the primary component",
        { Galera: { } g } => $"{g.LocalStateComment}",
        _ => "not a Galera member",
    };
}
