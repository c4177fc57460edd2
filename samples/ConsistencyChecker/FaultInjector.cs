using System.Globalization;

namespace ReplicaRouting.ConsistencyChecker;

/// <summary>A kind of fault the checker injects for real on the failover set.</summary>
public enum FaultKind
{
    /// <summary>Replicas' apply threads stopped and started in staggered windows, then a replication delay on one replica.</summary>
    Lag,

    /// <summary>A replica killed with SIGKILL, and restarted a moment later (it catches up by itself).</summary>
    KillReplica,

    /// <summary>The primary killed with SIGKILL, the most advanced replica promoted and the other one repointed to it.</summary>
    Failover,
}

/// <summary>
/// Injects faults into the failover set (<see cref="FailoverLab"/>; node 1 the primary) while a check runs, one step after
/// the other so that they never overlap: lag (apply threads stopped and started, then <c>MASTER_DELAY</c>/<c>SOURCE_DELAY</c>),
/// a replica killed and restarted, and at most one failover, which ends the schedule (the set then has one replica left;
/// <see cref="FailoverLab.StartAsync"/> rebuilds it for the next run).
/// </summary>
/// <param name="lab">The failover set of one flavor.</param>
/// <param name="faults">Which kinds to inject; an empty set injects nothing.</param>
/// <param name="log">Where each step is reported, or <see langword="null"/>.</param>
public sealed class FaultInjector(FailoverLab lab, IReadOnlyCollection<FaultKind> faults, TextWriter? log)
{
    private static readonly TimeSpan LagWindow = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Stopped = TimeSpan.FromMilliseconds(300);
    private static readonly TimeSpan Running = TimeSpan.FromMilliseconds(150);
    private static readonly TimeSpan Delay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan DelayWindow = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Down = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Calm = TimeSpan.FromMilliseconds(500);
    private static readonly Dictionary<string, FaultKind> ByName = Enum.GetValues<FaultKind>().ToDictionary(Name);

    private readonly TaskCompletionSource _cycleCompleted = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Gets a task that completes when <see cref="RunAsync"/> has injected each kind of fault once (at once when there is none),
    /// or ended: a check that runs until then sees every fault.
    /// </summary>
    public Task CycleCompleted => _cycleCompleted.Task;

    /// <summary>Parses a comma-separated list of <c>lag</c>, <c>kill-replica</c>, <c>failover</c> (or <c>none</c>).</summary>
    /// <param name="text">The list.</param>
    /// <returns>The kinds, in the order of <see cref="FaultKind"/>.</returns>
    /// <exception cref="ArgumentException">An unknown name.</exception>
    public static IReadOnlyList<FaultKind> Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text is "none" or "")
            return [];
        return text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(name => ByName.TryGetValue(name, out var kind)
                ? kind
                : throw new ArgumentException($"Unknown fault '{name}': expected {string.Join(", ", ByName.Keys)} or none.", nameof(text)))
            .Distinct().Order().ToArray();
    }

    /// <summary>The name of a kind on the command line and in <c>RESULT</c> lines.</summary>
    /// <param name="kind">The kind.</param>
    /// <returns><c>lag</c>, <c>kill-replica</c> or <c>failover</c>.</returns>
    public static string Name(FaultKind kind) => kind switch
    {
        FaultKind.Lag => "lag",
        FaultKind.KillReplica => "kill-replica",
        FaultKind.Failover => "failover",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>The names of <paramref name="kinds"/>, comma-separated, or <c>none</c>.</summary>
    /// <param name="kinds">The kinds.</param>
    /// <returns>The list as the command line takes it.</returns>
    public static string Names(IEnumerable<FaultKind> kinds) => string.Join(",", kinds.Select(Name)) is { Length: > 0 } names ? names : "none";

    /// <summary>
    /// Injects the faults in cycles (lag, kill a replica, fail over) until <paramref name="stop"/> is cancelled or a failover
    /// was done. A step in progress that changed the set (a killed replica, a failover) is always completed: a cancelled run
    /// never leaves a replica down or delayed, nor the set without a primary.
    /// </summary>
    /// <param name="stop">Ends the schedule; cancelling it is not an error.</param>
    /// <returns>What was injected.</returns>
    public async Task<FaultReport> RunAsync(CancellationToken stop)
    {
        try
        {
            return await InjectAsync(stop);
        }
        finally
        {
            _cycleCompleted.TrySetResult();
        }
    }

    private async Task<FaultReport> InjectAsync(CancellationToken stop)
    {
        var report = new FaultReport();
        var replicas = new[] { 2, 3 };
        var lag = new LagInjector(lab.Config.Flavor, replicas.Select(n => lab.Config.AdminConnectionString(lab.Endpoint(n))))
        {
            MaxDuration = LagWindow,
        };

        for (var cycle = 0; faults.Count > 0 && !stop.IsCancellationRequested; cycle++)
        {
            if (faults.Contains(FaultKind.Lag))
            {
                var stops = await lag.RunAsync(Stopped, Running, stop);
                report.ApplyStops += stops.Stops;
                Log($"lag: apply threads stopped {stops.Stops} times in {stops.Injected.TotalSeconds:F1} s, caught up in {stops.CatchUp.TotalMilliseconds:F0} ms");
                if (stop.IsCancellationRequested)
                    break;

                var delayed = cycle % replicas.Length;
                await lag.SetDelayAsync(delayed, Delay, CancellationToken.None);
                report.Delays++;
                await Pause(DelayWindow, stop);
                await lag.SetDelayAsync(delayed, TimeSpan.Zero, CancellationToken.None);
                Log($"lag: node {replicas[delayed]} ran {Delay.TotalSeconds:0} s behind for {DelayWindow.TotalSeconds:0} s");
                await Pause(Calm, stop);
            }

            if (faults.Contains(FaultKind.KillReplica) && !stop.IsCancellationRequested)
            {
                var victim = replicas[cycle % replicas.Length];
                await lab.KillAsync(victim, CancellationToken.None);
                report.ReplicaKills++;
                await Pause(Down, stop);
                await FailoverLab.StartAsync(lab.Config.Flavor, CancellationToken.None);
                Log($"kill-replica: node {victim} killed, restarted and caught up");
                await Pause(Calm, stop);
            }

            if (faults.Contains(FaultKind.Failover) && !stop.IsCancellationRequested)
            {
                await lab.KillAsync(1, CancellationToken.None);
                await Pause(Down, stop);
                var promoted = await lab.MostAdvancedReplicaAsync(replicas, CancellationToken.None);
                await lab.PromoteAsync(promoted, applyReceived: true, CancellationToken.None);
                await lab.RepointAsync(promoted == 2 ? 3 : 2, promoted, switchSemiSyncOn: false, CancellationToken.None);
                report.Failovers++;
                Log($"failover: node 1 killed, node {promoted} promoted; no more faults in this run");
                break;
            }

            _cycleCompleted.TrySetResult();
        }

        return report;
    }

    private void Log(string line) => log?.WriteLine($"  {lab.Config.Flavor}: {line}");

    private static async Task Pause(TimeSpan duration, CancellationToken stop)
    {
        try
        {
            await Task.Delay(duration, stop);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The run ended; the caller completes the step.
        }
    }
}

/// <summary>What one <see cref="FaultInjector.RunAsync"/> injected.</summary>
public sealed class FaultReport
{
    /// <summary>Gets how many times a replica's apply thread was stopped.</summary>
    public int ApplyStops { get; internal set; }

    /// <summary>Gets how many times a replica ran with a replication delay.</summary>
    public int Delays { get; internal set; }

    /// <summary>Gets how many times a replica was killed (and restarted).</summary>
    public int ReplicaKills { get; internal set; }

    /// <summary>Gets how many failovers were done (0 or 1).</summary>
    public int Failovers { get; internal set; }

    /// <inheritdoc/>
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture, $"apply_stops={ApplyStops} delays={Delays} replica_kills={ReplicaKills} failovers={Failovers}");
}
