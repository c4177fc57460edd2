namespace ReplicaRouting;

/// <summary>One problem or note found by auditing a topology against the operational checklist.</summary>
/// <param name="Severity">How much it matters.</param>
/// <param name="Node">The node concerned, as <c>host:port</c>; empty for a finding about the whole topology (duplicate server ids, mixed flavors).</param>
/// <param name="Check">
/// A stable short id of the check, for filtering and alerting: <c>reachable</c>, <c>privileges</c>, <c>server_flavor</c>,
/// <c>server_id_unique</c>, <c>log_bin</c>, <c>gtid_mode</c>, <c>gtid_strict_mode</c>, <c>gtid_positioning</c>,
/// <c>binlog_format</c>, <c>read_only</c>, <c>super_read_only</c>, <c>log_replica_updates</c>, <c>sync_binlog</c>,
/// <c>innodb_flush_log_at_trx_commit</c>, <c>binlog_retention</c>, <c>replication_threads</c>, <c>replication_error</c>,
/// <c>parallel_workers</c>, <c>semi_sync_downgraded</c>.
/// </param>
/// <param name="Message">What was found, why it matters and what to change, for a person to read.</param>
public sealed record TopologyFinding(FindingSeverity Severity, string Node, string Check, string Message);
