using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace ReplicaRouting.Internal;

/// <summary>
/// The library's metrics and traces: one <see cref="Meter"/> and one <see cref="ActivitySource"/>, both named
/// <c>ReplicaRouting</c> (so <c>AddMeter("ReplicaRouting")</c> / <c>AddSource("ReplicaRouting")</c> is the whole
/// OpenTelemetry set-up). Tag values are precomputed strings: recording allocates nothing. docs/observability.md lists them.
/// </summary>
internal static class Telemetry
{
    public const string Name = "ReplicaRouting";

    public static readonly ActivitySource Source = new(Name, typeof(Telemetry).Assembly.GetName().Version?.ToString());

    private static readonly Meter s_meter = new(Name, typeof(Telemetry).Assembly.GetName().Version?.ToString());

    private static readonly Counter<long> s_commands = s_meter.CreateCounter<long>(
        "replicarouting.commands", "{command}", "Commands routed, by target and reason.");

    private static readonly Counter<long> s_causalWaits = s_meter.CreateCounter<long>(
        "replicarouting.causal_waits", "{wait}", "GTID waits sent to replicas, by outcome (reached, timed_out) and causal read policy (adaptive, wait).");

    private static readonly Histogram<double> s_causalWaitDuration = s_meter.CreateHistogram<double>(
        "replicarouting.causal_wait.duration", "s", "Time from sending a causal read until the replica answered its GTID wait.");

    private static readonly Counter<long> s_primaryFallbacks = s_meter.CreateCounter<long>(
        "replicarouting.primary_fallbacks", "{read}", "Reads that could have used a replica but ran on the primary, by reason.");

    private static readonly UpDownCounter<int> s_causalWaitsActive = s_meter.CreateUpDownCounter<int>(
        "replicarouting.causal_waits.active", "{wait}", "Causal reads waiting on a replica for a GTID position now (capped by MaxConcurrentCausalWaits).");

    private static readonly UpDownCounter<int> s_primaryFallbacksActive = s_meter.CreateUpDownCounter<int>(
        "replicarouting.primary_fallbacks.active", "{connection}", "Connections holding a primary connection for a causal read that gave up on the replicas (capped by MaxConcurrentPrimaryFallbacks).");

    private static readonly Counter<long> s_shed = s_meter.CreateCounter<long>(
        "replicarouting.shed", "{read}", "Causal reads shed by a limit, by kind (causal_wait: sent to the primary instead of waiting; primary_fallback: not sent).");

    private static readonly Counter<long> s_gtidCaptures = s_meter.CreateCounter<long>(
        "replicarouting.gtid_captures", "{write}", "Writes whose GTID was captured, by outcome (captured, nothing_written, unknown).");

    private static readonly Counter<long> s_tokensIgnored = s_meter.CreateCounter<long>(
        "replicarouting.tokens.ignored", "{token}", "Consistency tokens ignored, by reason (malformed, foreign, wrong_flavor, expired, not_on_primary).");

    private static readonly Counter<long> s_failovers = s_meter.CreateCounter<long>(
        "replicarouting.failovers", "{failover}", "Times the monitor saw writes move to another node.");

    private static readonly List<WeakReference<TopologyMonitor>> s_monitors = [];

    private static readonly string[] s_states = ToTagValues<NodeState>();
    private static readonly string[] s_roles = ToTagValues<NodeRole>();

    private static readonly string[] s_targets = ToTagValues<RouteTarget>();

    private static readonly ObservableGauge<double> s_lag = s_meter.CreateObservableGauge(
        "replicarouting.replica.lag", ObserveLag, "s", "Each replica's lag as the monitor last measured it (absent while unknown).");

    private static readonly ObservableGauge<int> s_state = s_meter.CreateObservableGauge(
        "replicarouting.node.state", ObserveState, "{node}", "1 for each node, tagged with its current role and state.");
    private static readonly string[] s_reasons = ToTagValues<RoutingReason>();
    private static readonly string[] s_policies = ToTagValues<CausalReadPolicy>();

    public static void CommandRouted(string cluster, RouteTarget target, RoutingReason reason)
    {
        if (s_commands.Enabled)
            s_commands.Add(1, Cluster(cluster), new("replicarouting.target", s_targets[(int)target]), new("replicarouting.reason", s_reasons[(int)reason]));
    }

    public static void CausalWaitCompleted(string cluster, bool reached, TimeSpan duration, CausalReadPolicy policy)
    {
        var outcome = new KeyValuePair<string, object?>("replicarouting.outcome", reached ? "reached" : "timed_out");
        s_causalWaits.Add(1, Cluster(cluster), outcome, new("replicarouting.policy", s_policies[(int)policy]));
        s_causalWaitDuration.Record(duration.TotalSeconds, Cluster(cluster), outcome);
    }

    public static void PrimaryFallback(string cluster, RoutingReason reason) =>
        s_primaryFallbacks.Add(1, Cluster(cluster), new("replicarouting.reason", s_reasons[(int)reason]));

    public static void CausalWaitsActive(string cluster, int change) => s_causalWaitsActive.Add(change, Cluster(cluster));

    public static void PrimaryFallbacksActive(string cluster, int change) => s_primaryFallbacksActive.Add(change, Cluster(cluster));

    /// <summary>A causal read shed by a limit: <paramref name="kind"/> is <c>causal_wait</c> or <c>primary_fallback</c>.</summary>
    public static void Shed(string cluster, string kind) => s_shed.Add(1, Cluster(cluster), new("replicarouting.kind", kind));

    public static void GtidCapture(string cluster, string outcome) =>
        s_gtidCaptures.Add(1, Cluster(cluster), new("replicarouting.outcome", outcome));

    public static void TokenIgnored(string cluster, string reason) =>
        s_tokensIgnored.Add(1, Cluster(cluster), new("replicarouting.reason", reason));

    public static void Failover(string cluster) => s_failovers.Add(1, Cluster(cluster));

    /// <summary>Lists a monitor for the lag and state gauges (held weakly: a forgotten data source is not kept alive).</summary>
    public static void Track(TopologyMonitor monitor)
    {
        lock (s_monitors)
        {
            s_monitors.RemoveAll(r => !r.TryGetTarget(out _));
            s_monitors.Add(new WeakReference<TopologyMonitor>(monitor));
        }
    }

    public static void Untrack(TopologyMonitor monitor)
    {
        lock (s_monitors)
            s_monitors.RemoveAll(r => !r.TryGetTarget(out var m) || m == monitor);
    }

    private static IEnumerable<Measurement<double>> ObserveLag()
    {
        foreach (var (cluster, status) in Statuses())
        {
            if (status.Lag is { } lag)
                yield return new(lag.TotalSeconds, Cluster(cluster), new("replicarouting.node", status.Endpoint));
        }
    }

    private static IEnumerable<Measurement<int>> ObserveState()
    {
        foreach (var (cluster, status) in Statuses())
        {
            yield return new(1, Cluster(cluster), new("replicarouting.node", status.Endpoint),
                new("replicarouting.role", s_roles[(int)status.Role]), new("replicarouting.state", s_states[(int)status.State]));
        }
    }

    private static List<(string Cluster, NodeStatus Status)> Statuses()
    {
        var statuses = new List<(string, NodeStatus)>();
        lock (s_monitors)
        {
            foreach (var reference in s_monitors)
            {
                if (reference.TryGetTarget(out var monitor))
                {
                    foreach (var status in monitor.Snapshot.Nodes)
                        statuses.Add((monitor.ClusterId, status));
                }
            }
        }

        return statuses;
    }

    /// <summary>Every instrument carries the cluster id (low cardinality: one per configured data source cluster).</summary>
    private static KeyValuePair<string, object?> Cluster(string cluster) => new("replicarouting.cluster", cluster);

    /// <summary>A span for a causal wait, only when someone listens (no cost otherwise).</summary>
    public static Activity? StartCausalWait(string node, GtidPosition position)
    {
        if (!Source.HasListeners())
            return null;
        var activity = Source.StartActivity("replicarouting.causal_wait", ActivityKind.Client);
        activity?.SetTag("replicarouting.node", node);
        activity?.SetTag("replicarouting.gtid", position.ToString());
        return activity;
    }

    /// <summary>snake_case names of an enum's values, indexed by value, computed once.</summary>
    private static string[] ToTagValues<TEnum>()
        where TEnum : struct, Enum
    {
        var values = Enum.GetValues<TEnum>();
        var names = new string[values.Length];
        foreach (var value in values)
        {
            var name = value.ToString();
            var snake = new System.Text.StringBuilder(name.Length + 4);
            for (var i = 0; i < name.Length; i++)
            {
                if (char.IsUpper(name[i]) && i > 0)
                    snake.Append('_');
                snake.Append(char.ToLowerInvariant(name[i]));
            }

            names[Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture)] = snake.ToString();
        }

        return names;
    }
}
