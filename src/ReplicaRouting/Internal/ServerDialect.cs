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

    private ServerDialect(ServerFlavor flavor, string captureSql, string waitSql, long waitReached, string primaryPositionSql)
    {
        Flavor = flavor;
        CaptureSql = captureSql;
        WaitSql = waitSql;
        WaitReached = waitReached;
        PrimaryPositionSql = primaryPositionSql;
    }

    public ServerFlavor Flavor { get; }

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
