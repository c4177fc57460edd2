namespace ReplicaRouting.Internal;

/// <summary>The SQL that differs between MySQL and MariaDB, in one place. GTIDs always travel as parameters.</summary>
internal sealed class ServerDialect
{
    public const string GtidParameter = "@__ReplicaRouting_gtid";
    public const string TimeoutParameter = "@__ReplicaRouting_timeout";

    public static readonly ServerDialect MySql = new(
        ServerFlavor.MySql,
        // MySQL has no per-session "my last GTID" variable: the executed set right after the commit is a safe superset.
        captureSql: "SELECT @@global.gtid_executed",
        waitSql: $"SELECT WAIT_FOR_EXECUTED_GTID_SET({GtidParameter}, {TimeoutParameter})",
        waitReached: 0,
        primaryPositionSql: "SELECT @@global.gtid_executed");

    public static readonly ServerDialect MariaDb = new(
        ServerFlavor.MariaDb,
        captureSql: "SELECT @@last_gtid",
        waitSql: $"SELECT MASTER_GTID_WAIT({GtidParameter}, {TimeoutParameter})",
        waitReached: 0,
        primaryPositionSql: "SELECT @@gtid_binlog_pos");

    /// <summary>
    /// MariaDB Galera: <c>@@last_gtid</c> is the cluster's GTID of the session's commit (with <c>wsrep_gtid_mode</c>, the
    /// same on every member), but MASTER_GTID_WAIT returns -1 there; WSREP_SYNC_WAIT_UPTO_GTID waits for it (1 = applied;
    /// a timeout is error 1205, handled as not reached) and takes whole seconds (see <see cref="WaitTimeout"/>).
    /// </summary>
    public static readonly ServerDialect MariaDbGalera = new(
        ServerFlavor.MariaDb,
        captureSql: "SELECT @@last_gtid",
        waitSql: $"SELECT CAST(WSREP_SYNC_WAIT_UPTO_GTID({GtidParameter}, {TimeoutParameter}) AS SIGNED)",   // (it answers a string)
        waitReached: 1,
        primaryPositionSql: "SELECT @@gtid_binlog_pos",
        galera: true);

    private ServerDialect(ServerFlavor flavor, string captureSql, string waitSql, long waitReached, string primaryPositionSql, bool galera = false)
    {
        Galera = galera;
        Flavor = flavor;
        CaptureSql = captureSql;
        WaitSql = waitSql;
        WaitReached = waitReached;
        PrimaryPositionSql = primaryPositionSql;
    }

    public ServerFlavor Flavor { get; }

    /// <summary>The servers are MariaDB Galera members (<see cref="MariaDbGalera"/>).</summary>
    public bool Galera { get; }

    /// <summary>
    /// The wait's timeout parameter. WSREP_SYNC_WAIT_UPTO_GTID truncates to whole seconds (0.3 timed out at once, measured),
    /// so Galera waits at least a second.
    /// </summary>
    public object WaitTimeout(TimeSpan timeout, object seconds) => Galera ? Math.Max(1, (int)Math.Ceiling(timeout.TotalSeconds)) : seconds;

    /// <summary>
    /// The GTID of this session's writes (MySQL: the executed set, a safe superset), read on the primary session that ran them,
    /// between statements (see <c>ReplicaRoutingConnection.CaptureUncapturedWritesAsync</c>).
    /// </summary>
    public string CaptureSql { get; }

    /// <summary>Prepended to a causal read (same round trip); never sent to a primary (MariaDB answers -1 there).</summary>
    public string WaitSql { get; }

    /// <summary>The wait's result when the replica has applied the position (anything else: timeout or broken replica).</summary>
    public long WaitReached { get; }

    /// <summary>The primary's executed position, to tell whether a token's position exists on the current primary.</summary>
    public string PrimaryPositionSql { get; }

    public static ServerDialect FromServerVersion(string serverVersion) =>
        serverVersion.Contains("MariaDB", StringComparison.OrdinalIgnoreCase) ? MariaDb : MySql;

    public static ServerDialect For(ServerFlavor flavor) => flavor == ServerFlavor.MariaDb ? MariaDb : MySql;
}
