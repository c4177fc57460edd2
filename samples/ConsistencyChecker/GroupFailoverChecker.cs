using System.Diagnostics;
using System.Globalization;
using Dapper;
using MySqlConnector;

namespace ReplicaRouting.ConsistencyChecker;

/// <summary>What one run of <see cref="GroupFailoverChecker.RunAsync"/> measured on the Group Replication set. Nothing is estimated.</summary>
/// <param name="DetectMilliseconds">Kill command start until the data source knew there was no primary (its snapshot, or a write refused at once).</param>
/// <param name="ElectedMilliseconds">Kill command start until a surviving member said the group had elected a new primary.</param>
/// <param name="FollowedMilliseconds">Election seen on the servers until the data source's snapshot named the same primary (can be negative: both are polled).</param>
/// <param name="RecoverMilliseconds">Kill command start until the first write acknowledged by the new primary through the same data source.</param>
/// <param name="AckedWrites">Writes acknowledged over the run.</param>
/// <param name="LostAckedWrites">Acknowledged writes missing on the new primary afterwards.</param>
/// <param name="WritesToNonPrimary">Acknowledged writes taken by a member that was neither the old nor the new primary.</param>
/// <param name="ReadOnlyErrors">Writes the survivors refused as read-only (error 1290, counted by the servers themselves).</param>
public sealed record GroupFailoverResult(
    double DetectMilliseconds,
    double ElectedMilliseconds,
    double FollowedMilliseconds,
    double RecoverMilliseconds,
    int AckedWrites,
    int LostAckedWrites,
    int WritesToNonPrimary,
    long ReadOnlyErrors)
{
    /// <summary>Gets the member the group elected (2 or 3).</summary>
    public int NewPrimary { get; init; }

    /// <summary>Gets writes that failed during the election, by exception type.</summary>
    public IReadOnlyDictionary<string, int> FailedWrites { get; init; } = new Dictionary<string, int>();

    /// <summary>The machine-readable line.</summary>
    /// <returns><c>RESULT flavor=mysql-gr scenario=failover detect_ms=… recover_ms=… …</c>.</returns>
    public string ToResultLine() => string.Create(CultureInfo.InvariantCulture,
        $"RESULT flavor=mysql-gr scenario=failover detect_ms={DetectMilliseconds:F0} recover_ms={RecoverMilliseconds:F0} elected_ms={ElectedMilliseconds:F0} " +
        $"followed_ms={FollowedMilliseconds:F0} lost_acked_writes={LostAckedWrites} writes_to_non_primary={WritesToNonPrimary} read_only_errors={ReadOnlyErrors}");

    /// <summary>The details, for people.</summary>
    /// <returns>One line.</returns>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"member {NewPrimary} elected by the group; writes acknowledged {AckedWrites}, failed during the election: " +
        $"{(FailedWrites.Count == 0 ? "none" : string.Join(", ", FailedWrites.Select(f => $"{f.Key} {f.Value}")))}");
}

/// <summary>
/// A failover that the group does by itself, under load: writers insert through ONE data source (monitor on, default interval)
/// over the gr set; member 1 (the primary) is killed with SIGKILL; the group expels it and elects another primary, and the
/// data source must follow with no restart and no write sent to a secondary. Leaves member 1 dead: <see cref="GroupReplicationLab.StartAsync"/>
/// brings it back.
/// </summary>
public static class GroupFailoverChecker
{
    private const string Table = "gr_failover_writes";
    private static readonly TimeSpan HangDetector = TimeSpan.FromSeconds(90);

    /// <summary>Runs the scenario once.</summary>
    /// <param name="writers">Writer tasks.</param>
    /// <param name="log">Progress lines, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Stops the run.</param>
    /// <returns>What was measured.</returns>
    public static async Task<GroupFailoverResult> RunAsync(int writers = 4, TextWriter? log = null, CancellationToken cancellationToken = default)
    {
        var lab = GroupReplicationLab.Create();
        await GroupReplicationLab.StartAsync(cancellationToken);
        await lab.AdminScalarAsync(1, $"CREATE TABLE IF NOT EXISTS {Table} (id BIGINT AUTO_INCREMENT PRIMARY KEY, written_by BIGINT NOT NULL) ENGINE=InnoDB", cancellationToken);
        var refusedBefore = await lab.ErrorCountAsync(2, 1290, cancellationToken) + await lab.ErrorCountAsync(3, 1290, cancellationToken);

        var builder = new ReplicaRoutingDataSourceBuilder().UsePrimary(lab.Config.ConnectionString(lab.Endpoint(1)));
        builder.AddReplica(lab.Config.ConnectionString(lab.Endpoint(2))).AddReplica(lab.Config.ConnectionString(lab.Endpoint(3)));
        await using var dataSource = builder.Build();
        await dataSource.RefreshTopologyAsync(cancellationToken);

        var clock = Stopwatch.StartNew();
        double? killedAt = null, writeRefusedAt = null, recoveredAt = null;
        var acked = new List<(long Id, string Node, double At)>();
        var failed = new Dictionary<string, int>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var tasks = Enumerable.Range(0, writers).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await using var connection = await dataSource.OpenConnectionAsync(stop.Token);
                    var id = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                        $"INSERT INTO {Table} (written_by) VALUES (@@server_id); SELECT LAST_INSERT_ID()", cancellationToken: stop.Token));
                    var at = clock.Elapsed.TotalMilliseconds;
                    lock (acked)
                        acked.Add((id, connection.LastRoutingDecision!.Value.Node, at));
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex) when (ex is PrimaryUnavailableException or CommitOutcomeUnknownException or MySqlException)
                {
                    lock (failed)
                    {
                        failed[ex.GetType().Name] = failed.GetValueOrDefault(ex.GetType().Name) + 1;
                        if (ex is PrimaryUnavailableException && killedAt is not null)
                            writeRefusedAt ??= clock.Elapsed.TotalMilliseconds;
                    }

                    await Task.Delay(5, CancellationToken.None);
                }
            }
        }, CancellationToken.None)).ToArray();

        await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        killedAt = clock.Elapsed.TotalMilliseconds;
        log?.WriteLine("  killing member 1 (the primary) ...");
        await lab.KillAsync(1, cancellationToken);

        double? noPrimarySeenAt = null, electedAt = null, followedAt = null;
        var newPrimary = 0;
        var deadline = clock.Elapsed + HangDetector;
        while (followedAt is null || electedAt is null)
        {
            if (clock.Elapsed > deadline)
                throw new TimeoutException($"The group or the data source did not get a new primary within {HangDetector.TotalSeconds:0} s: {dataSource.Topology}");
            var topology = dataSource.Topology;
            if (topology.Primary is null)
                noPrimarySeenAt ??= clock.Elapsed.TotalMilliseconds;
            if (electedAt is null)
            {
                try
                {
                    // Until the group suspects the killed member (about 5 s), the survivors still list it as the ONLINE primary.
                    if (await lab.GroupPrimaryAsync(2, cancellationToken) is var named and (2 or 3))
                        (newPrimary, electedAt) = (named, clock.Elapsed.TotalMilliseconds);
                }
                catch (MySqlException)
                {
                    // a member too busy to answer: ask again
                }
            }

            if (newPrimary != 0 && topology.Primary?.Endpoint == lab.Endpoint(newPrimary))
                followedAt ??= clock.Elapsed.TotalMilliseconds;
            await Task.Delay(10, cancellationToken);
        }

        while (recoveredAt is null && clock.Elapsed < deadline)
        {
            lock (acked)
                recoveredAt = acked.Where(a => a.Node == lab.Endpoint(newPrimary)).Select(a => (double?)a.At).FirstOrDefault();
            await Task.Delay(10, cancellationToken);
        }

        await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        await stop.CancelAsync();
        await Task.WhenAll(tasks);

        (long Id, string Node, double At)[] writes;
        lock (acked)
            writes = [.. acked];
        await using var survivor = await lab.OpenAdminAsync(newPrimary, cancellationToken);
        var ids = writes.Length == 0 ? [] : (await survivor.QueryAsync<long>(
            $"SELECT id FROM {Table} WHERE id IN ({string.Join(",", writes.Select(w => w.Id))})")).ToHashSet();
        var refusedAfter = await lab.ErrorCountAsync(2, 1290, cancellationToken) + await lab.ErrorCountAsync(3, 1290, cancellationToken);
        var detect = Math.Min(noPrimarySeenAt ?? double.MaxValue, writeRefusedAt ?? double.MaxValue);
        return new GroupFailoverResult(
            DetectMilliseconds: detect == double.MaxValue ? -1 : detect - killedAt.Value,
            ElectedMilliseconds: electedAt!.Value - killedAt.Value,
            FollowedMilliseconds: followedAt!.Value - electedAt.Value,
            RecoverMilliseconds: (recoveredAt ?? double.NaN) - killedAt.Value,
            AckedWrites: writes.Length,
            LostAckedWrites: writes.Count(w => !ids.Contains(w.Id)),
            WritesToNonPrimary: writes.Count(w => w.Node != lab.Endpoint(1) && w.Node != lab.Endpoint(newPrimary)),
            ReadOnlyErrors: refusedAfter - refusedBefore)
        {
            NewPrimary = newPrimary,
            FailedWrites = failed,
        };
    }
}
