namespace ReplicaRouting;

/// <summary>The server family whose GTID format and wait functions apply.</summary>
public enum ServerFlavor
{
    /// <summary>MySQL: GTID sets of <c>uuid[:tag]:intervals</c> (<c>@@global.gtid_executed</c>, <c>WAIT_FOR_EXECUTED_GTID_SET</c>).</summary>
    MySql,

    /// <summary>MariaDB: one <c>domain-server-seq</c> per replication domain (<c>@@gtid_binlog_pos</c>, <c>MASTER_GTID_WAIT</c>).</summary>
    MariaDb,
}
